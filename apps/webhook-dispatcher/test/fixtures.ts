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

  async endpoint(tenantId: string, url: string, events: string[] = ['*']): Promise<{ id: string; secret: string }> {
    const id = newId('webhookEndpoint');
    const secret = generateWebhookSecret();
    await this.prisma.$transaction((tx) => this.endpoints.create(tx, tenantId, { id, url, description: null, events, secretEncrypted: this.ring.seal(secret, id) }));
    return { id, secret };
  }

  async emit<T extends EventType>(tenantId: string, type: T, data: (i: number) => EventPayloads[T], count = 1): Promise<string[]> {
    return this.prisma.$transaction(async (tx) => {
      const ids: string[] = [];
      for (let i = 0; i < count; i++) ids.push(await this.events.append(tx, tenantId, type, data(i)));
      return ids;
    });
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
