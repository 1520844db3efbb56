import pg from 'pg';
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient, SyncConsentRepository } from '@ais/db';
import { createTestDatabase, type TestDatabase, captureQueries, LOG_QUERIES } from '@ais/testing';

/**
 * The two questions a scheduled run asks before its first bank call (where its window starts: the
 * newest booked date held, the oldest open pending item) read the consent's own index entries, a
 * few per account, however much the tenant holds and however old Postgres' statistics are. The
 * statistics here are taken while the tenant holds 1,000 rows and it then holds 181,000, as after a
 * first sync of many consents before autovacuum has analysed the table: that is when a join on the
 * tenant's rows was planned as an intersection with the tenant's whole index (150 ms a run).
 */
describe('a scheduled run’s window queries', () => {
  let db: TestDatabase;
  let client: pg.Client;
  let prisma: PrismaClient;
  let repo: SyncConsentRepository;
  const captured: { query: string; params: unknown[] }[] = [];

  /** Rows of tenant A, spread over 600 accounts (200 consents): every 100th pending, every 300th of those removed. */
  const tenantRows = (from: number, to: number) => `
    INSERT INTO transactions (id, tenant_id, consent_id, account_id, id_source, identity_key, status, booking_date,
                              amount, currency, content_hash, removed_at, created_at, updated_at)
      SELECT 'ta_' || g, 'ten_a', 'cons_' || ((g % 600) / 3 + 1), 'acc_' || (g % 600 + 1), 'bank', 'b:' || g,
             CASE WHEN g % 100 = 0 THEN 'pending' ELSE 'booked' END::"TransactionStatus",
             date '2026-12-01' - (g / 600), -1.5, 'GBP', 'h',
             CASE WHEN g % 300 = 0 THEN now() END, now(), now()
        FROM generate_series(${from}, ${to}) g`;

  beforeAll(async () => {
    db = await createTestDatabase('window-queries');
    client = new pg.Client({ connectionString: db.url });
    await client.connect();
    await client.query(`
      ALTER TABLE transactions SET (autovacuum_enabled = false);
      INSERT INTO providers (id, name, country, standard, profile, status, capabilities, updated_at)
        VALUES ('bank', 'Bank', 'GB', 'obie_3_1', 'allstar', 'active', '{}', now());
      INSERT INTO tenants (id, name, rate_limit_per_minute, updated_at) VALUES ('ten_a', 'A', 100, now()), ('ten_b', 'B', 100, now());
      INSERT INTO consents (id, tenant_id, provider_id, status, expires_at, frequency_per_day, redirect_uri, end_user_id, created_at, updated_at)
        SELECT 'cons_' || g, CASE WHEN g <= 200 THEN 'ten_a' ELSE 'ten_b' END, 'bank', 'authorised',
               now() + interval '30 days', 4, 'https://x/cb', 'u', now(), now()
          FROM generate_series(1, 400) g;
      INSERT INTO accounts (id, tenant_id, consent_id, provider_id, external_id, identity_key, type, currency, created_at, updated_at)
        SELECT 'acc_' || g, CASE WHEN g <= 600 THEN 'ten_a' ELSE 'ten_b' END, 'cons_' || ((g - 1) / 3 + 1), 'bank',
               'x' || g, 'k' || g, 'personal', 'GBP', now(), now()
          FROM generate_series(1, 1200) g;
      INSERT INTO transactions (id, tenant_id, consent_id, account_id, id_source, identity_key, status, booking_date,
                                amount, currency, content_hash, created_at, updated_at)
        SELECT 'tb_' || g, 'ten_b', 'cons_' || ((g % 600 + 600) / 3 + 1), 'acc_' || (g % 600 + 601), 'bank', 'b:' || g,
               CASE WHEN g % 100 = 0 THEN 'pending' ELSE 'booked' END::"TransactionStatus",
               date '2026-12-01' - (g / 600), -1.5, 'GBP', 'h', now(), now()
          FROM generate_series(1, 100000) g;
      ${tenantRows(1, 1000)};
      ANALYZE;
      ${tenantRows(1001, 181000)};`);
    prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: db.url, max: 2 }), log: [...LOG_QUERIES] });
    captureQueries(prisma, captured);
    repo = new SyncConsentRepository(prisma);
  }, 120_000);
  afterAll(async () => {
    await client?.end();
    await prisma?.$disconnect();
    await db?.drop();
  });

  /** Index entries and rows the statement read from `transactions`, as EXPLAIN ANALYZE counts them. */
  async function transactionRowsRead(query: string, params: unknown[]): Promise<number> {
    const literal = (v: unknown) => `'${String(v).replace(/'/g, "''")}'`;
    await client.query(`PREPARE q AS ${query}`);
    try {
      const { rows } = await client.query(
        `EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE q${params.length ? `(${params.map(literal).join(', ')})` : ''}`,
      );
      let read = 0;
      const walk = (p: Record<string, any>) => {
        const onTransactions =
          p['Relation Name'] === 'transactions' || String(p['Index Name'] ?? '').startsWith('transactions_');
        if (onTransactions)
          read +=
            (p['Actual Rows'] + (p['Rows Removed by Filter'] ?? 0) + (p['Rows Removed by Index Recheck'] ?? 0)) *
            p['Actual Loops'];
        for (const child of p.Plans ?? []) walk(child);
      };
      walk(rows[0]['QUERY PLAN'][0].Plan);
      return read;
    } finally {
      await client.query('DEALLOCATE q');
    }
  }

  const expected = async (consentId: string) => {
    const { rows } = await client.query<{ newest: string | null; oldest: string | null }>(
      `SELECT (SELECT max(booking_date)::text FROM transactions WHERE consent_id = $1 AND status = 'booked' AND removed_at IS NULL) AS newest,
              (SELECT min(booking_date)::text FROM transactions WHERE consent_id = $1 AND status = 'pending' AND removed_at IS NULL) AS oldest`,
      [consentId],
    );
    return rows[0];
  };

  it.each([
    // acc_1..3: acc_1 holds pending rows, every third of them removed (booked since).
    ['cons_1', 'ten_a'],
    // acc_19..21: no pending row at all.
    ['cons_7', 'ten_a'],
    ['cons_201', 'ten_b'],
  ])('answer for %s from a few index entries per account', async (consentId, tenantId) => {
    const want = await expected(consentId);
    captured.length = 0;
    const { newestBooked: newest, oldestOpenPending: oldest } = await repo.windowAnchors(tenantId, consentId);
    expect({ newest, oldest }).toEqual(want);
    expect(captured).toHaveLength(1);
    for (const { query, params } of captured) {
      // Three accounts, two questions: an entry each (a removed booked row or two may sit on top of the newest).
      const read = await transactionRowsRead(query, params);
      expect({ query, read, few: read <= 12 }).toEqual({ query, read, few: true });
    }
  });

  it('answers nothing for another tenant’s consent', async () => {
    expect(await repo.windowAnchors('ten_b', 'cons_1')).toEqual({ newestBooked: null, oldestOpenPending: null });
  });
});
