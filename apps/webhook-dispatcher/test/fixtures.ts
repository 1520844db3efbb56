import { randomBytes } from 'node:crypto';
import { KeyRing } from '@ais/crypto';
import { EventRepository, WebhookEndpointRepository, createPrismaClient, type PrismaClient } from '@ais/db';
import { newId } from '@ais/domain';
import type { EventPayloads, EventType } from '@ais/contracts';
import { parseKeyRing } from '@ais/config';
import { generateWebhookSecret } from '@ais/webhooks';

/**
 * Data set-up for dispatcher tests, written the way the owners write it: tenants and endpoints as the
 * gateway stores them (secret sealed to the endpoint id), events with EventRepository inside a
 * transaction (as the sync worker and consent service do).
 */
export class Fixtures {
  readonly prisma: PrismaClient;
  private readonly ring: KeyRing;
  private readonly endpoints: WebhookEndpointRepository;
  private readonly events: EventRepository;

  constructor(databaseUrl: string, encryptionKeys: string) {
    this.prisma = createPrismaClient({ url: databaseUrl, poolSize: 4 });
    const keys = parseKeyRing(encryptionKeys);
    this.ring = new KeyRing(keys, [...keys.keys()].at(-1)!);
    this.endpoints = new WebhookEndpointRepository(this.prisma);
    this.events = new EventRepository(this.prisma);
  }

  async tenant(name = `T ${randomBytes(3).toString('hex')}`): Promise<string> {
    const id = newId('tenant');
    await this.prisma.tenant.create({ data: { id, name, rateLimitPerMinute: 600 } });
    return id;
  }

  async endpoint(
    tenantId: string,
    url: string,
    events: string[] = ['*'],
    consentId: string | null = null,
  ): Promise<{ id: string; secret: string }> {
    const id = newId('webhookEndpoint');
    const secret = generateWebhookSecret();
    await this.prisma.$transaction((tx) =>
      this.endpoints.create(tx, tenantId, {
        id,
        url,
        description: null,
        events,
        secretEncrypted: this.ring.seal(secret, id),
        consentId,
      }),
    );
    return { id, secret };
  }

  /** A consent row of the tenant (at a provider row made for it), for endpoints scoped to a consent. */
  async consent(tenantId: string): Promise<string> {
    const id = newId('consent');
    await this.prisma.$executeRaw`
      INSERT INTO providers (id, name, country, standard, profile, status, capabilities, updated_at)
      VALUES ('fixture-bank', 'Fixture Bank', 'GB', 'obie_3_1', 'uk-generic', 'active', '{}', now())
      ON CONFLICT (id) DO NOTHING`;
    await this.prisma.$executeRaw`
      INSERT INTO consents (id, tenant_id, provider_id, status, permissions, expires_at, frequency_per_day, redirect_uri, updated_at)
      VALUES (${id}, ${tenantId}, 'fixture-bank', 'authorised', '{accounts}', now() + interval '90 days', 4, 'https://app.example/cb', now())`;
    return id;
  }

  async emit<T extends EventType>(
    tenantId: string,
    type: T,
    data: (i: number) => EventPayloads[T],
    count = 1,
  ): Promise<string[]> {
    return this.prisma.$transaction(async (tx) => {
      const ids: string[] = [];
      for (let i = 0; i < count; i++) ids.push(await this.events.append(tx, tenantId, type, data(i)));
      return ids;
    });
  }

  /**
   * Deliveries written straight into the table, in the order given (the heap order a scan meets), for
   * tests about how statements over many deliveries lock and prune them.
   */
  async deliveries(
    tenantId: string,
    rows: Array<{
      id: string;
      endpointId: string;
      eventId: string;
      status: 'pending' | 'succeeded' | 'failed';
      attempts: number;
      nextAttemptAt: Date | null;
    }>,
  ): Promise<void> {
    const col = <K extends keyof (typeof rows)[number]>(key: K) => rows.map((r) => r[key]);
    await this.prisma.$executeRaw`
      INSERT INTO webhook_deliveries (id, tenant_id, endpoint_id, event_id, event_seq, status, attempts, next_attempt_at, created_at, updated_at)
      SELECT d.id, ${tenantId}, d.endpoint_id, d.event_id, ev.seq, d.status::"WebhookDeliveryStatus", d.attempts, d.next_at, now(), now()
        FROM unnest(${col('id')}::text[], ${col('endpointId')}::text[], ${col('eventId')}::text[], ${col('status')}::text[], ${col('attempts')}::int[], ${col('nextAttemptAt')}::timestamptz[])
             WITH ORDINALITY AS d(id, endpoint_id, event_id, status, attempts, next_at, n)
        JOIN events ev ON ev.id = d.event_id
       ORDER BY d.n`;
  }

  async close(): Promise<void> {
    await this.prisma.$disconnect();
  }
}

export const txnData = (i: number): EventPayloads['transactions.added'] => ({
  consentId: 'cons_test',
  accountId: 'acc_test',
  syncRunId: `sr_${i}`,
  count: 1,
  transactionIds: [`txn_${i}`],
  truncated: false,
});
