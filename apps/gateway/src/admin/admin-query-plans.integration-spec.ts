import pg from 'pg';
import { PrismaPg } from '@prisma/adapter-pg';
import { AdminSyncRunRepository, AuditLogRepository, OpsStatsRepository, PrismaClient } from '@ais/db';
import { createTestDatabase, type TestDatabase, captureQueries, LOG_QUERIES, type CapturedQuery } from '@ais/testing';

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

const nodes = (plan: PlanNode): PlanNode[] => [plan, ...(plan.Plans ?? []).flatMap(nodes)];

/**
 * The operators' queries stay cheap at volume: with many sync runs (one bank rare, most runs older
 * than a day), audit entries and deliveries loaded and analysed, the SQL the repositories send is
 * EXPLAINed: no sequential scan of a big table, and lists come out of an index in order (no Sort).
 */
describe('admin queries use their indexes', () => {
  let db: TestDatabase;
  let prisma: PrismaClient;
  let client: pg.Client;
  const captured: CapturedQuery[] = [];

  beforeAll(async () => {
    db = await createTestDatabase('opsplans');
    client = new pg.Client({ connectionString: db.url });
    await client.connect();
    await client.query(`
      INSERT INTO providers (id, name, country, standard, profile, status, capabilities, updated_at)
        SELECT 'bank' || g, 'Bank ' || g, 'GB', 'obie_3_1', 'allstar', 'active', '{}', now() FROM generate_series(1, 3) g;
      INSERT INTO tenants (id, name, rate_limit_per_minute, updated_at) SELECT 'ten_' || g, 'T' || g, 100, now() FROM generate_series(1, 40) g;
      INSERT INTO consents (id, tenant_id, provider_id, status, expires_at, frequency_per_day, redirect_uri, updated_at)
        SELECT 'cons_' || g, 'ten_' || (g % 40 + 1), CASE WHEN g % 100 = 0 THEN 'bank3' ELSE 'bank' || (g % 2 + 1) END, 'authorised', now() + interval '30 days', 4, 'https://x/cb', now()
          FROM generate_series(1, 4000) g;
      INSERT INTO sync_runs (id, tenant_id, consent_id, trigger, status, queued_at, error_code)
        SELECT 'sr_' || lpad(g::text, 7, '0'), 'ten_' || (g % 4000 % 40 + 1), 'cons_' || (g % 4000 + 1), 'scheduled',
               (ARRAY['succeeded','succeeded','succeeded','succeeded','failed','deferred']::"SyncRunStatus"[])[g % 6 + 1],
               now() - (g * 15 || ' seconds')::interval, CASE WHEN g % 6 = 4 THEN 'bank_unavailable' END
          FROM generate_series(1, 80000) g;
      INSERT INTO audit_log (actor, action, target_type, target_id, tenant_id, created_at)
        SELECT 'admin', 'tenant.updated', 'tenant', 't', CASE WHEN g % 1000 = 0 THEN 'ten_rare' ELSE 'ten_' || (g % 40 + 1) END, now() - (g || ' seconds')::interval
          FROM generate_series(1, 30000) g;
      INSERT INTO events (id, tenant_id, type, data, xid, created_at)
        SELECT 'evt_' || lpad(g::text, 8, '0'), 'ten_1', 'sync.completed', '{}', g, now() - (g * 10 || ' seconds')::interval FROM generate_series(1, 50000) g;
      INSERT INTO webhook_endpoints (id, tenant_id, url, events, secret_encrypted, updated_at) VALUES ('we_1', 'ten_1', 'https://x/h', '{}', 's', now());
      INSERT INTO webhook_deliveries (id, tenant_id, endpoint_id, event_id, event_seq, status, updated_at)
        SELECT 'whd_' || lpad(g::text, 8, '0'), 'ten_1', 'we_1', 'evt_' || lpad(g::text, 8, '0'), g,
               (CASE WHEN g % 50 = 0 THEN 'pending' WHEN g % 70 = 0 THEN 'failed' ELSE 'succeeded' END)::"WebhookDeliveryStatus", now()
          FROM generate_series(1, 50000) g;
      ANALYZE;`);
    prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: db.url, max: 2 }), log: [...LOG_QUERIES] });
    captureQueries(prisma, captured);
  });
  afterAll(async () => {
    await client?.end();
    await prisma?.$disconnect();
    await db?.drop();
  });

  /** Runs the repository call, then EXPLAINs every statement it sent. */
  async function plans(call: () => Promise<unknown>): Promise<PlanNode[][]> {
    captured.length = 0;
    await call();
    const out: PlanNode[][] = [];
    for (const { query, params } of captured) {
      const res = await client.query<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(`EXPLAIN (FORMAT JSON) ${query}`, params);
      out.push(nodes(res.rows[0]['QUERY PLAN'][0].Plan));
    }
    return out;
  }

  const seqScans = (plan: PlanNode[]) =>
    plan.filter((n) => n['Node Type'] === 'Seq Scan').map((n) => n['Relation Name']);
  const indexes = (plan: PlanNode[]) => plan.map((n) => n['Index Name']).filter(Boolean);
  const sorts = (plan: PlanNode[]) =>
    plan.filter((n) => n['Node Type'] === 'Sort' || n['Node Type'] === 'Incremental Sort');

  it('lists sync runs from an index in order, whatever the filter, on every page', async () => {
    const repo = new AdminSyncRunRepository(prisma);
    const before = { queuedAt: new Date(Date.now() - 3_600_000), id: 'sr_0000240' };
    const cases: [Parameters<AdminSyncRunRepository['list']>[0], string][] = [
      [{ limit: 101 }, 'sync_runs_queued_at_id_idx'],
      [{ limit: 101, before }, 'sync_runs_queued_at_id_idx'],
      [{ status: 'failed', limit: 101, before }, 'sync_runs_status_queued_at_id_idx'],
      [{ tenantId: 'ten_7', limit: 101, before }, 'sync_runs_tenant_id_queued_at_id_idx'],
      [{ providerId: 'bank3', status: 'failed', limit: 101, before }, 'sync_runs_provider_id_status_queued_at_id_idx'],
      [{ providerId: 'bank3', limit: 101, before }, 'sync_runs_provider_id_status_queued_at_id_idx'],
    ];
    for (const [filter, index] of cases) {
      const [plan] = await plans(() => repo.list(filter));
      expect({ filter, seq: seqScans(plan), sorts: sorts(plan).length }).toEqual({ filter, seq: [], sorts: 0 });
      expect(indexes(plan)).toContain(index);
    }
    const [merged] = await plans(() => repo.list({ providerId: 'bank1', limit: 101 }));
    expect(merged.map((n) => n['Node Type'])).toContain('Merge Append');
  });

  it('finds each bank’s last outcomes by seeks and its day of runs by a range', async () => {
    const repo = new AdminSyncRunRepository(prisma);
    const [outcomes] = await plans(() => repo.lastOutcomes());
    expect(seqScans(outcomes).filter((r) => r === 'sync_runs')).toEqual([]);
    expect(indexes(outcomes)).toContain('sync_runs_provider_id_status_queued_at_id_idx');
    const [day] = await plans(() => repo.groupsSince(new Date(Date.now() - 86_400_000)));
    expect(seqScans(day)).toEqual([]);
  });

  it('counts the overview from indexes and bounded scans', async () => {
    const repo = new OpsStatsRepository(prisma);
    const now = Date.now();
    const [runs] = await plans(() => repo.syncRunsByStatus(new Date(now - 3_600_000), new Date(now - 86_400_000)));
    expect(seqScans(runs)).toEqual([]);
    expect(indexes(runs)).toContain('sync_runs_status_queued_at_id_idx');
    const [events] = await plans(() => repo.eventsSince(new Date(now - 86_400_000)));
    expect(seqScans(events)).toEqual([]);
    for (const plan of await plans(() => repo.deliveryBacklog())) expect(seqScans(plan)).toEqual([]);
  });

  it('pages the audit log per tenant from an index, a tenant with few entries included', async () => {
    const repo = new AuditLogRepository(prisma);
    for (const tenantId of ['ten_3', 'ten_rare']) {
      for (const beforeId of [undefined, 20_000n]) {
        const [plan] = await plans(() => repo.list({ tenantId, beforeId, limit: 101 }));
        expect({ tenantId, seq: seqScans(plan) }).toEqual({ tenantId, seq: [] });
        expect(indexes(plan).some((i) => i === 'audit_log_pkey' || i?.startsWith('audit_log_tenant_id'))).toBe(true);
      }
    }
  });
});
