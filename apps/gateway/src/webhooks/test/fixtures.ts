import pg from 'pg';
import { EventRepository, PRISMA, type PrismaClient } from '@ais/db';
import type { EventPayloads, EventType } from '@ais/contracts';
import type { GatewayUnderTest } from '../../../test/gateway-harness.js';

export interface TestTenant {
  id: string;
  apiKey: string;
}

export async function createTenant(gw: GatewayUnderTest, name: string): Promise<TestTenant> {
  const res = await gw.request('POST', '/admin/tenants', {
    token: gw.adminToken,
    body: { name, redirectUris: ['https://app.example.com/cb'] },
  });
  if (res.status !== 201) throw new Error(`tenant: ${res.status} ${JSON.stringify(res.body)}`);
  return { id: res.body.id, apiKey: res.body.apiKey };
}

/** Appends events the way the sync worker and consent service do: EventRepository inside a transaction. */
export async function appendEvents<T extends EventType>(
  gw: GatewayUnderTest,
  tenantId: string,
  type: T,
  data: (i: number) => EventPayloads[T],
  count = 1,
): Promise<string[]> {
  const prisma = gw.app.get<PrismaClient>(PRISMA);
  const events = gw.app.get(EventRepository);
  return prisma.$transaction(async (tx) => {
    const ids: string[] = [];
    for (let i = 0; i < count; i++) ids.push(await events.append(tx, tenantId, type, data(i)));
    return ids;
  });
}

export const txnData = (i: number): EventPayloads['transactions.added'] => ({
  consentId: 'cons_test',
  accountId: 'acc_test',
  syncRunId: `sr_${i}`,
  count: 1,
  transactionIds: [`txn_${i}`],
  truncated: false,
});

export async function sqlClient(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  return client;
}
