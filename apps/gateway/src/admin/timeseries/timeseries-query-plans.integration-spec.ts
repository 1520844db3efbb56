import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { PrismaPg } from '@prisma/adapter-pg';
import { OpsTimeseriesRepository, PrismaClient, type BucketRange } from '@ais/db';
import {
  createTestDatabase,
  repoRoot,
  type TestDatabase,
  captureQueries,
  LOG_QUERIES,
  type CapturedQuery,
} from '@ais/testing';
import { HISTORY_WINDOWS, bucketRange } from './timeseries-window.js';

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

const nodes = (plan: PlanNode): PlanNode[] => [plan, ...(plan.Plans ?? []).flatMap(nodes)];
/** The tables whose history grows without bound: none of them may be read beyond the window. */
const HISTORY_TABLES = ['sync_runs', 'access_ledger', 'webhook_deliveries', 'webhook_attempts', 'events'];

/**
 * The dashboard's time series stay cheap as history grows: with 90 days of sync runs, ledger entries,
 * events, deliveries and attempts loaded and analysed, every statement the repository sends for the
 * 24-hour and 7-day windows is EXPLAINed: each history table is entered through an index on the
 * window's timestamp (or its primary key), never by a sequential scan. The plans are written to
 * tmp/timeseries-plans.txt (EXPLAIN ANALYZE) for the record.
 */
describe('time-series queries read only their window, through indexes', () => {
  let db: TestDatabase;
  let prisma: PrismaClient;
  let client: pg.Client;
  const captured: CapturedQuery[] = [];
  const report: string[] = [];

  beforeAll(async () => {
    db = await createTestDatabase('tsplans');
    client = new pg.Client({ connectionString: db.url });
    await client.connect();
    // 90 days of history, evenly spread: 200 000 runs (one every ~39 s), 300 000 ledger entries,
    // 100 000 events and deliveries (a few failed or pending), 30 000 logged attempts.
    await client.query(`
      INSERT INTO providers (id, name, country, standard, profile, status, capabilities, updated_at)
        SELECT 'bank' || g, 'Bank ' || g, 'GB', 'obie_3_1', 'allstar', 'active', '{}', now() FROM generate_series(1, 5) g;
      INSERT INTO tenants (id, name, rate_limit_per_minute, updated_at) SELECT 'ten_' || g, 'T' || g, 100, now() FROM generate_series(1, 20) g;
      INSERT INTO consents (id, tenant_id, provider_id, status, expires_at, frequency_per_day, redirect_uri, updated_at)
        SELECT 'cons_' || g, 'ten_' || (g % 20 + 1), 'bank' || (g % 5 + 1), 'authorised', now() + interval '30 days', 4, 'https://x/cb', now()
          FROM generate_series(1, 5000) g;
      INSERT INTO sync_runs (id, tenant_id, consent_id, trigger, status, queued_at, error_code)
        SELECT 'sr_' || lpad(g::text, 7, '0'), 'ten_' || (g % 5000 % 20 + 1), 'cons_' || (g % 5000 + 1), 'scheduled',
               (ARRAY['succeeded','succeeded','succeeded','failed','deferred']::"SyncRunStatus"[])[g % 5 + 1],
               now() - (g * 39 || ' seconds')::interval,
               CASE WHEN g % 5 = 3 THEN 'bank_unavailable' WHEN g % 5 = 4 THEN 'bank_rate_limited' END
          FROM generate_series(1, 200000) g;
      INSERT INTO access_ledger (consent_id, scope, resource, psu_present, at)
        SELECT 'cons_' || (g % 5000 + 1), '*', 'accounts', g % 7 = 0, now() - (g * 26 || ' seconds')::interval
          FROM generate_series(1, 300000) g;
      INSERT INTO events (id, tenant_id, type, data, xid, created_at)
        SELECT 'evt_' || lpad(g::text, 8, '0'), 'ten_1', 'sync.completed', '{}', g, now() - (g * 78 || ' seconds')::interval
          FROM generate_series(1, 100000) g;
      INSERT INTO webhook_endpoints (id, tenant_id, url, events, secret_encrypted, updated_at) VALUES ('we_1', 'ten_1', 'https://x/h', '{}', 's', now());
      INSERT INTO webhook_deliveries (id, tenant_id, endpoint_id, event_id, event_seq, status, last_attempt_at, succeeded_at, updated_at)
        SELECT 'whd_' || lpad(g::text, 8, '0'), 'ten_1', 'we_1', 'evt_' || lpad(g::text, 8, '0'), g, s.status,
               CASE WHEN s.status = 'pending' AND g % 2 = 0 THEN NULL ELSE now() - (g * 78 - 1 || ' seconds')::interval END,
               CASE WHEN s.status = 'succeeded' THEN now() - (g * 78 - 1 || ' seconds')::interval END, now()
          FROM generate_series(1, 100000) g
          CROSS JOIN LATERAL (SELECT (CASE WHEN g % 50 = 0 THEN 'pending' WHEN g % 70 = 0 THEN 'failed' ELSE 'succeeded' END)::"WebhookDeliveryStatus" AS status) s;
      INSERT INTO webhook_attempts (delivery_id, attempt, started_at, latency_ms, response_status)
        SELECT 'whd_' || lpad((g * 3)::text, 8, '0'), 1, now() - (g * 3 * 78 || ' seconds')::interval, 40, CASE WHEN g % 2 = 0 THEN 500 END
          FROM generate_series(1, 30000) g;
      ANALYZE;`);
    prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: db.url, max: 2 }), log: [...LOG_QUERIES] });
    captureQueries(prisma, captured);
  }, 180_000);

  afterAll(async () => {
    mkdirSync(path.join(repoRoot, 'tmp'), { recursive: true });
    writeFileSync(path.join(repoRoot, 'tmp/timeseries-plans.txt'), report.join('\n\n'));
    await client?.end();
    await prisma?.$disconnect();
    await db?.drop();
  });

  /** Runs the repository call, then EXPLAINs every statement it sent (and keeps EXPLAIN ANALYZE for the record). */
  async function plans(name: string, call: () => Promise<unknown>): Promise<PlanNode[]> {
    captured.length = 0;
    await call();
    expect(captured).toHaveLength(1);
    const { query, params } = captured[0];
    const res = await client.query<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(`EXPLAIN (FORMAT JSON) ${query}`, params);
    const analyzed = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS) ${query}`, params);
    report.push(`-- ${name}\n${query.trim()}\n\n${analyzed.rows.map((r) => r['QUERY PLAN']).join('\n')}`);
    return nodes(res.rows[0]['QUERY PLAN'][0].Plan);
  }

  const seqScans = (plan: PlanNode[]) =>
    plan.filter((n) => n['Node Type'] === 'Seq Scan').map((n) => n['Relation Name'] ?? '');
  const indexes = (plan: PlanNode[]) => plan.map((n) => n['Index Name']).filter(Boolean);

  const windows: [string, BucketRange][] = (['24h', '7d'] as const).map((w) => [
    w,
    bucketRange(HISTORY_WINDOWS[w], new Date()),
  ]);

  it.each(windows)('sync runs per bank over %s: a range of sync_runs (queued_at, id)', async (w, range) => {
    const plan = await plans(`syncRunBuckets ${w}`, () => new OpsTimeseriesRepository(prisma).syncRunBuckets(range));
    expect(seqScans(plan).filter((t) => HISTORY_TABLES.includes(t))).toEqual([]);
    expect(indexes(plan)).toContain('sync_runs_queued_at_id_idx');
  });

  it.each(windows)('unattended calls per bank over %s: a range of access_ledger (at)', async (w, range) => {
    const plan = await plans(`unattendedCallBuckets ${w}`, () =>
      new OpsTimeseriesRepository(prisma).unattendedCallBuckets(range),
    );
    expect(seqScans(plan).filter((t) => HISTORY_TABLES.includes(t))).toEqual([]);
    expect(indexes(plan)).toContain('access_ledger_at_idx');
  });

  it.each(windows)(
    'deliveries and latency over %s: a range of webhook_deliveries (last_attempt_at), events by key',
    async (w, range) => {
      const plan = await plans(`deliveryBuckets ${w}`, () =>
        new OpsTimeseriesRepository(prisma).deliveryBuckets(range),
      );
      expect(seqScans(plan).filter((t) => HISTORY_TABLES.includes(t))).toEqual([]);
      expect(indexes(plan)).toEqual(expect.arrayContaining(['webhook_deliveries_last_attempt_at_idx', 'events_pkey']));
    },
  );

  it.each(windows)('failed attempts over %s: a range of webhook_attempts (started_at)', async (w, range) => {
    const plan = await plans(`failedAttemptBuckets ${w}`, () =>
      new OpsTimeseriesRepository(prisma).failedAttemptBuckets(range),
    );
    expect(seqScans(plan).filter((t) => HISTORY_TABLES.includes(t))).toEqual([]);
    expect(indexes(plan)).toContain('webhook_attempts_started_at_idx');
  });
});
