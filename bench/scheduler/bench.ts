// Scheduler simulation: run by hand, not in npm test. No bank calls: synthetic consent rows only.
//
//   npx swc apps libs bench -d dist --quiet && node dist/bench/scheduler/bench.js [--sizes=10000,100000,1000000] [--ticks=20] [--batch=500]
//
// For each size N: N authorised consents (10 tenants, 3 providers) whose next_sync_at is spread over
// the next 24 h as the scheduler leaves them (4 syncs a day each), so about N/86,400 fall due per
// second. A tick is what SchedulerService.tick does first and what grows with N: the claim of the due
// consents (UPDATE … FROM (SELECT … ORDER BY next_sync_at LIMIT batch FOR UPDATE SKIP LOCKED)), on the
// real repository over a real Postgres. What follows per claimed consent (RequestSync: a sync_runs row
// and a BullMQ job) costs the same whatever N is; the bench/sync e2e run measures it.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import pg from 'pg';
import { SyncConsentRepository, createPrismaClient } from '@ais/db';
import { repoRootFrom } from '../../apps/sync-worker/test/repo-root.js';

const repoRoot = repoRootFrom(import.meta.url);
const PG_BASE = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const args = Object.fromEntries(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=') as [string, string]));
const SIZES = (args.sizes ?? '10000,100000,1000000').split(',').map(Number);
const TICKS = Number(args.ticks ?? 20);
const BATCH = Number(args.batch ?? 500);
const fmt = (n: number, d = 0) => n.toLocaleString('en-GB', { maximumFractionDigits: d, minimumFractionDigits: d });
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function admin(sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: Object.assign(new URL(PG_BASE), { pathname: '/postgres' }).toString() });
  await c.connect();
  await c.query(sql);
  await c.end();
}

async function atSize(n: number): Promise<{ n: number; claimMs: number; p95Ms: number; plan: string }> {
  const name = `ais_bench_sched_${randomBytes(3).toString('hex')}`;
  const url = Object.assign(new URL(PG_BASE), { pathname: `/${name}` }).toString();
  execFileSync(
    process.execPath,
    ['--experimental-wasm-modules', '--no-warnings', path.join(repoRoot, 'scripts/db/migrate.mjs')],
    { env: { ...process.env, DATABASE_URL: url }, stdio: 'ignore' },
  );
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  const prisma = createPrismaClient({ url, poolSize: 2 });
  try {
    await db.query(`INSERT INTO tenants (id, name, rate_limit_per_minute, updated_at)
                    SELECT 'ten_' || g, 'tenant ' || g, 600, now() FROM generate_series(1, 10) g`);
    await db.query(`INSERT INTO providers (id, name, standard, profile, country, status, capabilities, updated_at)
                    SELECT p, p, 'obie', 'allstar', 'GB', 'active', '{}'::jsonb, now() FROM unnest(ARRAY['p1','p2','p3']) p`);
    const t0 = performance.now();
    // Due times as the scheduler spreads them: uniform over the next day, plus the few due now.
    await db.query(
      `INSERT INTO consents (id, tenant_id, provider_id, status, permissions, expires_at, frequency_per_day,
                             redirect_uri, next_sync_at, updated_at)
       SELECT 'cns_' || g, 'ten_' || (g % 10 + 1), 'p' || (g % 3 + 1), 'authorised', ARRAY['accounts'],
              now() + interval '90 days', 4, 'https://app.example/cb',
              now() - interval '30 seconds' + (g::double precision / $1) * interval '24 hours', now()
         FROM generate_series(1, $1) g`,
      [n],
    );
    await db.query('VACUUM ANALYZE consents');
    const loadS = (performance.now() - t0) / 1000;
    const repo = new SyncConsentRepository(prisma);
    const plan = (
      await db.query(
        `EXPLAIN SELECT id FROM consents WHERE status = 'authorised' AND next_sync_at <= now() AND expires_at > now()
          ORDER BY next_sync_at LIMIT ${BATCH} FOR UPDATE SKIP LOCKED`,
      )
    ).rows
      .map((r: { 'QUERY PLAN': string }) => r['QUERY PLAN'].trim())
      .find((l: string) => l.includes('Scan'))!;
    await repo.claimDue(new Date(), new Date(Date.now() + 600_000), BATCH); // warm-up
    const times: number[] = [];
    let claimed = 0;
    for (let i = 0; i < TICKS; i++) {
      // Each tick a little later, as the real 15 s ticks are: the consents due since the last one.
      const now = new Date(Date.now() + i * 15_000);
      const t = performance.now();
      claimed += (await repo.claimDue(now, new Date(now.getTime() + 600_000), BATCH)).length;
      times.push(performance.now() - t);
    }
    console.log(
      `  ${fmt(n)} consents (loaded in ${fmt(loadS, 1)} s): claim per tick median ${fmt(median(times), 2)} ms, p95 ${fmt(
        [...times].sort((a, b) => a - b)[Math.floor(times.length * 0.95)],
        2,
      )} ms; ${fmt(claimed / TICKS, 1)} consents claimed per 15 s tick (${fmt(n / 86_400, 1)}/s fall due); plan: ${plan}`,
    );
    return {
      n,
      claimMs: median(times),
      p95Ms: [...times].sort((a, b) => a - b)[Math.floor(times.length * 0.95)],
      plan,
    };
  } finally {
    await prisma.$disconnect();
    await db.end();
    await admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  }
}

console.log(`scheduler simulation, ${TICKS} ticks of batch ${BATCH} per size`);
const results = [];
for (const n of SIZES) results.push(await atSize(n));
const base = results[0];
for (const r of results.slice(1))
  console.log(
    `  ${fmt(r.n)} vs ${fmt(base.n)} consents (${fmt(r.n / base.n)}x): claim time ${fmt(r.claimMs / base.claimMs, 2)}x`,
  );
