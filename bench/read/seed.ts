// The read benchmark's data: a tenant made through the admin API, consents authorised at the sandbox
// bank through the real OAuth flow and synced by the real sync-worker (in this process, as bench/sync
// does), so every row is one the product wrote.
import { addDays, localDateOf } from '@ais/domain';
import { PSUS, PSU_IP, SyncHarness } from '../../apps/sync-worker/test/sync-harness.js';

export interface BenchTenant {
  tenantId: string;
  apiKey: string;
  clientId: string;
  clientSecret: string;
  oauthCredentialId: string;
}

export interface SeededData {
  consentIds: string[];
  accountIds: string[];
  /** The account the per-account rows read: the one with the most transactions. */
  accountId: string;
  transactions: number;
  changes: number;
  /** Average stored size of a transaction's bank JSON (`raw`) and of the whole row, in bytes. */
  rawBytes: number;
  rowBytes: number;
  perAccount: { accountId: string; transactions: number }[];
  seconds: number;
}

/** POST /admin/tenants, as an operator creates a tenant: the API key and OAuth client are shown once. */
export async function createTenant(
  gatewayUrl: string,
  adminToken: string,
  rateLimitPerMinute: number,
): Promise<BenchTenant> {
  const res = await fetch(`${gatewayUrl}/admin/tenants`, {
    method: 'POST',
    headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      name: 'Read benchmark',
      redirectUris: ['https://app.example.com/bank/callback'],
      rateLimitPerMinute,
    }),
  });
  const body = (await res.json()) as {
    id: string;
    apiKey: string;
    clientId: string;
    clientSecret: string;
    oauthClientCredentialId: string;
  };
  if (res.status !== 201) throw new Error(`POST /admin/tenants answered ${res.status}: ${JSON.stringify(body)}`);
  return {
    tenantId: body.id,
    apiKey: body.apiKey,
    clientId: body.clientId,
    clientSecret: body.clientSecret,
    oauthCredentialId: body.oauthClientCredentialId,
  };
}

/**
 * `consents` consents of the sandbox's PSUs at allstar (alternately alice and bob), each with
 * `historyDays` of history, authorised through the OAuth flow and synced once by the sync-worker.
 */
export async function seedThroughSync(
  database: { url: string; name: string },
  tenantId: string,
  options: { consents: number; historyDays: number },
): Promise<SeededData> {
  const started = performance.now();
  const h = await SyncHarness.start({
    worker: true,
    // The harness drops the database it is given when it closes: this one outlives it.
    database: { ...database, drop: async () => undefined },
    env: { LOG_LEVEL: 'silent', SYNC_CONCURRENCY: '4' },
  });
  const consentIds: string[] = [];
  try {
    const from = addDays(localDateOf(h.clock.now(), 'Europe/London'), -options.historyDays);
    for (let i = 0; i < options.consents; i++) {
      const psu = i % 2 === 0 ? PSUS.alice : PSUS.bob;
      const { consentId } = await h.authorise('allstar', psu, { tenantId, transactionsFrom: from });
      consentIds.push(consentId);
    }
    const runIds: string[] = [];
    for (const id of consentIds) runIds.push(await h.request(id, { trigger: 'initial', psuIpAddress: PSU_IP }));
    const runs = await Promise.all(runIds.map((id) => h.waitForRun(id, 600_000)));
    const failed = runs.filter((r) => r.status !== 'succeeded');
    if (failed.length > 0)
      throw new Error(`${failed.length} of ${runs.length} seeding syncs did not succeed: ${failed[0].status}`);
    const perAccount = await h.prisma.$queryRaw<{ accountId: string; transactions: number }[]>`
      SELECT a.id AS "accountId", count(t.id)::int AS transactions
        FROM accounts a LEFT JOIN transactions t ON t.account_id = a.id AND t.removed_at IS NULL
       WHERE a.tenant_id = ${tenantId}
       GROUP BY a.id ORDER BY a.created_at, a.id`;
    const [{ changes }] = await h.prisma.$queryRaw<{ changes: number }[]>`
      SELECT count(*)::int AS changes FROM transaction_changes WHERE tenant_id = ${tenantId}`;
    const [{ rawBytes, rowBytes }] = await h.prisma.$queryRaw<{ rawBytes: number; rowBytes: number }[]>`
      SELECT avg(pg_column_size(raw))::int AS "rawBytes", avg(pg_column_size(t.*))::int AS "rowBytes"
        FROM transactions t WHERE tenant_id = ${tenantId}`;
    await h.prisma.$executeRawUnsafe('VACUUM ANALYZE');
    const busiest = [...perAccount].sort((a, b) => b.transactions - a.transactions)[0];
    return {
      consentIds,
      accountIds: perAccount.map((a) => a.accountId),
      accountId: busiest.accountId,
      transactions: perAccount.reduce((sum, a) => sum + a.transactions, 0),
      changes,
      rawBytes,
      rowBytes,
      perAccount,
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    await h.close();
  }
}
