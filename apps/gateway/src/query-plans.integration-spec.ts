import pg from 'pg';
import { PrismaPg } from '@prisma/adapter-pg';
import {
  AccountDataRepository,
  ConsentRepository,
  EventLogRepository,
  PgReader,
  PrismaClient,
  ProviderRepository,
  SyncRunRepository,
  TenantRepository,
  WebhookDeliveryRepository,
  WebhookEndpointRepository,
} from '@ais/db';
import { createTestDatabase, type TestDatabase, captureQueries, LOG_QUERIES } from '@ais/testing';

/**
 * Every list query of the public API is served by an index: with production-like volumes loaded and
 * analysed, the SQL the repositories actually send (captured from Prisma and from PgReader) is EXPLAINed, and no plan may
 * scan a large table sequentially or sort what an index should deliver in order.
 */
describe('list queries use their indexes', () => {
  let db: TestDatabase;
  let prisma: PrismaClient;
  let client: pg.Client;
  let readerPool: pg.Pool;
  let reader: PgReader;
  const data = (p: PrismaClient) => new AccountDataRepository(p, reader);
  const captured: Array<{ query: string; params: unknown[] }> = [];
  const BIG = [
    'consents',
    'accounts',
    'transactions',
    'transaction_changes',
    'events',
    'webhook_deliveries',
    'sync_runs',
    'tenants',
    'webhook_endpoints',
    'providers',
    'balances',
    'account_resources',
    'statement_transactions',
  ];

  beforeAll(async () => {
    db = await createTestDatabase('plans');
    client = new pg.Client({ connectionString: db.url });
    await client.connect();
    await client.query(`
      INSERT INTO providers (id, name, country, standard, profile, status, capabilities, updated_at) VALUES ('bank', 'Bank', 'GB', 'obie_3_1', 'allstar', 'active', '{}', now());
      INSERT INTO tenants (id, name, rate_limit_per_minute, updated_at) SELECT 'ten_' || g, 'T' || g, 100, now() FROM generate_series(1, 2000) g;
      INSERT INTO consents (id, tenant_id, provider_id, status, expires_at, frequency_per_day, redirect_uri, end_user_id, created_at, updated_at)
        SELECT 'cons_' || g, 'ten_' || (g % 50 + 1), 'bank', (ARRAY['authorised','revoked','expired','awaiting_authorisation']::"ConsentStatus"[])[g % 4 + 1],
               now() + interval '30 days', 4, 'https://x/cb', 'user-' || (g % 500), now() - (g || ' minutes')::interval, now()
          FROM generate_series(1, 20000) g;
      INSERT INTO accounts (id, tenant_id, consent_id, provider_id, external_id, identity_key, type, currency, created_at, updated_at)
        SELECT 'acc_' || g, 'ten_' || ((g / 2) % 50 + 1), 'cons_' || (g / 2 + 1), 'bank', 'x' || g, 'k' || g, 'personal', 'GBP', now() - (g || ' seconds')::interval, now()
          FROM generate_series(1, 30000) g;
      INSERT INTO transactions (id, tenant_id, consent_id, account_id, id_source, identity_key, status, booking_date, amount, currency, content_hash, created_at, updated_at)
        SELECT 'txn_' || g, 'ten_1', 'cons_1', 'acc_' || (g % 300 + 1), 'bank', 'b:' || g, (ARRAY['booked','pending']::"TransactionStatus"[])[g % 10 / 9 + 1],
               date '2026-01-01' - (g % 700), -1.5, 'GBP', 'h', now(), now()
          FROM generate_series(1, 60000) g;
      INSERT INTO transaction_changes (tenant_id, consent_id, account_id, transaction_id, kind, xid)
        SELECT 'ten_' || (g % 50 + 1), 'cons_' || (g % 2000 + 1), 'acc_' || (g % 3000 + 1), 'txn_' || g, 'added', g / 100 + 1000 FROM generate_series(1, 60000) g;
      INSERT INTO events (id, tenant_id, type, data, xid) SELECT 'evt_' || lpad(g::text, 8, '0'), 'ten_' || (g % 50 + 1), 'sync.completed', '{}', g / 10 + 1000 FROM generate_series(1, 40000) g;
      INSERT INTO webhook_endpoints (id, tenant_id, url, events, secret_encrypted, created_at, updated_at)
        SELECT 'we_' || g, 'ten_' || (g % 50 + 1), 'https://x/h', '{}', 's', now(), now() FROM generate_series(1, 500) g;
      INSERT INTO webhook_deliveries (id, tenant_id, endpoint_id, event_id, event_seq, status, created_at, updated_at)
        SELECT 'whd_' || g, 'ten_1', 'we_' || (g % 20 * 25 + 25), 'evt_' || lpad(g::text, 8, '0'), g, (ARRAY['pending','succeeded','failed']::"WebhookDeliveryStatus"[])[g % 3 + 1], now(), now()
          FROM generate_series(1, 40000) g;
      INSERT INTO sync_runs (id, tenant_id, consent_id, trigger, status, queued_at)
        SELECT 'sr_' || g, 'ten_' || (g % 50 + 1), 'cons_' || (g % 20000 + 1), 'scheduled', 'succeeded', now() - (g || ' seconds')::interval FROM generate_series(1, 40000) g;
      INSERT INTO providers (id, name, country, standard, profile, status, capabilities, updated_at)
        SELECT 'bank-' || g, 'Bank ' || lpad(g::text, 5, '0'), (ARRAY['GB','DE','FR','BH','NL'])[g % 5 + 1], 'obie_3_1', 'allstar',
               (ARRAY['active','active','active','inactive']::"ProviderStatus"[])[g % 4 + 1], '{}', now()
          FROM generate_series(1, 5000) g;
      INSERT INTO balances (account_id, tenant_id, type, original_type, amount, currency, synced_at)
        SELECT 'acc_' || (g / 3 + 1), 'ten_' || ((g / 6) % 50 + 1), (ARRAY['closingBooked','expected','interimAvailable'])[g % 3 + 1],
               (ARRAY['ClosingBooked','Expected','InterimAvailable'])[g % 3 + 1], 1, 'GBP', now()
          FROM generate_series(0, 59999) g;
      INSERT INTO account_resources (id, tenant_id, account_id, kind, external_id, data, synced_at)
        SELECT 'res_' || lpad(g::text, 8, '0'), 'ten_1', 'acc_' || (g % 10 + 1),
               (ARRAY['statement','party','beneficiary','standing_order','direct_debit','scheduled_payment']::"AccountResourceKind"[])[g / 10 % 6 + 1],
               'x' || g, '{}', now()
          FROM generate_series(1, 60000) g;
      INSERT INTO statement_transactions (statement_id, position, data)
        SELECT 'res_' || lpad((g / 1000 * 60 + 7)::text, 8, '0'), g % 1000, '{}' FROM generate_series(0, 59999) g;
      ANALYZE;`);
    prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: db.url, max: 2 }), log: [...LOG_QUERIES] });
    captureQueries(prisma, captured);
    readerPool = new pg.Pool({ connectionString: db.url, max: 2 });
    reader = new PgReader(readerPool);
    reader.onQuery((query, values) => captured.push({ query, params: [...values] }));
  }, 180_000); // loads and analyses production-like volumes
  afterAll(async () => {
    await client?.end();
    await prisma?.$disconnect();
    await readerPool?.end();
    await db?.drop();
  });

  async function plan(
    query: string,
    params: unknown[],
  ): Promise<Array<{ node: string; relation?: string; index?: string; inputRows?: number }>> {
    const literal = (v: unknown): string =>
      v === null
        ? 'NULL'
        : Array.isArray(v)
          ? `ARRAY[${v.map(literal).join(',')}]`
          : typeof v === 'number' || typeof v === 'boolean'
            ? String(v)
            : `'${(typeof v === 'string' ? v : JSON.stringify(v)).replace(/'/g, "''")}'`;
    await client.query(`PREPARE q AS ${query}`);
    try {
      const { rows } = await client.query(`EXPLAIN (FORMAT JSON) EXECUTE q(${params.map(literal).join(', ')})`);
      const nodes: Array<{ node: string; relation?: string; index?: string; inputRows?: number }> = [];
      const walk = (p: any) => {
        nodes.push({
          node: p['Node Type'],
          relation: p['Relation Name'],
          index: p['Index Name'],
          inputRows: p.Plans?.[0]?.['Plan Rows'],
        });
        for (const child of p.Plans ?? []) walk(child);
      };
      walk(rows[0]['QUERY PLAN'][0].Plan);
      return nodes;
    } finally {
      await client.query('DEALLOCATE q');
    }
  }

  const cases: Array<[string, (p: PrismaClient) => Promise<unknown>]> = [
    [
      'tenants (admin list)',
      (p) => new TenantRepository(p).list({ limit: 101, after: { createdAt: new Date(), id: 'ten_5' } }),
    ],
    ['consents of a tenant', (p) => new ConsentRepository(p).list('ten_7', { limit: 101 })],
    [
      'consents by status',
      (p) =>
        new ConsentRepository(p).list('ten_7', {
          status: 'revoked',
          limit: 101,
          before: { createdAt: new Date(), id: 'cons_9' },
        }),
    ],
    ['consents by end user', (p) => new ConsentRepository(p).list('ten_7', { endUserId: 'user-7', limit: 101 })],
    ['accounts of a tenant', (p) => data(p).listAccounts('ten_3', { limit: 101 })],
    ['accounts of a consent', (p) => data(p).listAccounts('ten_3', { consentId: 'cons_5', limit: 101 })],
    [
      'transactions of an account',
      (p) =>
        data(p).listTransactions('ten_1', 'acc_7', {
          limit: 101,
          before: { bookingDate: '2025-06-01', id: 'txn_5' },
        }),
    ],
    [
      'transactions by status and window',
      (p) =>
        data(p).listTransactions('ten_1', 'acc_7', {
          status: 'pending',
          from: '2025-01-01',
          to: '2025-12-31',
          limit: 101,
        }),
    ],
    [
      "the change feed's transactions",
      (p) => data(p).transactionsByIds('ten_1', ['txn_5', 'txn_77', 'txn_901'], false),
    ],
    [
      'change feed by consent',
      (p) => data(p).changesAfter('ten_3', { consentId: 'cons_5' }, { xid: 1200n, id: 5n }, 101),
    ],
    ['change feed by account', (p) => data(p).changesAfter('ten_3', { accountId: 'acc_5' }, { xid: 0n, id: 0n }, 101)],
    [
      'event log',
      (p) => new EventLogRepository(p).listForTenant('ten_3', { after: { xid: 1500n, seq: 100n }, limit: 101 }),
    ],
    [
      'event log by type',
      (p) => new EventLogRepository(p).listForTenant('ten_3', { types: ['sync.completed'], limit: 101 }),
    ],
    ['webhook endpoints', (p) => new WebhookEndpointRepository(p).listForTenant('ten_3', { limit: 101 })],
    [
      'deliveries of an endpoint',
      (p) => new WebhookDeliveryRepository(p).listForEndpoint('ten_1', 'we_50', { limit: 101 }),
    ],
    ['failed deliveries (operators)', (p) => new WebhookDeliveryRepository(p).list({ status: 'failed', limit: 101 })],
    ['sync runs of a consent', (p) => new SyncRunRepository(p).listForConsent('ten_3', 'cons_5', { limit: 101 })],
    [
      'provider catalogue',
      (p) =>
        new ProviderRepository(p, reader).page({
          limit: 101,
          after: { status: 'active', name: 'Bank 00500', id: 'bank-500' },
        }),
    ],
    ['a provider, as the API shows it', (p) => new ProviderRepository(p, reader).findView('bank-500')],
    [
      'providers of a country',
      (p) => new ProviderRepository(p, reader).page({ country: 'GB', standard: 'obie_3_1', limit: 101 }),
    ],
    [
      'balances of an account',
      (p) =>
        data(p).balances('ten_1', 'acc_7', {
          after: { type: 'closingBooked', originalType: 'ClosingBooked' },
          limit: 101,
        }),
    ],
    [
      'optional resources of an account',
      (p) =>
        data(p).resources('ten_1', 'acc_7', 'beneficiary', {
          afterId: 'res_00000007',
          limit: 101,
        }),
    ],
    [
      'transactions of a statement',
      (p) =>
        data(p).statementTransactions('ten_1', 'acc_8', 'res_00000007', {
          afterPosition: 100,
          limit: 101,
        }),
    ],
  ];

  it.each(cases)('%s', async (_name, run) => {
    captured.length = 0;
    await run(prisma);
    const selects = captured.filter(
      (c) => /^\s*SELECT/i.test(c.query) && BIG.some((t) => new RegExp(`\\b${t}\\b`).test(c.query)),
    );
    expect(selects.length).toBeGreaterThan(0);
    for (const { query, params } of selects) {
      const nodes = await plan(query, params);
      const seqScans = nodes.filter((n) => n.node === 'Seq Scan' && n.relation && BIG.includes(n.relation));
      expect({ query, seqScans }).toEqual({ query, seqScans: [] });
      // A sort is fine over a handful of rows the index already narrowed down; not over a large set.
      const sorts = nodes.filter(
        (n) => (n.node === 'Sort' || n.node === 'Incremental Sort') && (n.inputRows ?? 0) > 500,
      );
      expect({ query, sorts }).toEqual({ query, sorts: [] });
    }
  });

  // Walking the primary key and filtering by account and kind passes the checks above on this data, but
  // reads every tenant's resources in production: the page must be one range of the keyset index.
  it('pages an optional resource on one range of its keyset index', async () => {
    captured.length = 0;
    await data(prisma).resources('ten_1', 'acc_7', 'beneficiary', {
      afterId: 'res_00000007',
      limit: 101,
    });
    const [{ query, params }] = captured.filter((c) => /account_resources/.test(c.query));
    const scans = (await plan(query, params)).filter((n) => n.relation === 'account_resources');
    expect(scans.map((n) => [n.node, n.index])).toEqual([
      ['Index Scan', 'account_resources_tenant_id_account_id_kind_id_idx'],
    ]);
  });
});
