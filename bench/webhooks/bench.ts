// Webhook delivery benchmark: run by hand (see README.md), not in npm test.
//
//   npx swc apps libs bench -d dist --quiet && node dist/bench/webhooks/bench.js [--only=throughput|latency|fanout]
//
// Everything runs on this machine: PostgreSQL, one dispatcher process (from dist/, production
// settings except the private-target allow-list), and a bare receiver in its own process.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { cpus } from 'node:os';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { Agent } from 'undici';
import { Webhook } from 'standardwebhooks';
import { KeyRing } from '@ais/crypto';
import { newId } from '@ais/domain';
import { freePort, testEnv } from '@ais/testing';
import { generateWebhookSecret } from '@ais/webhooks';
import { parseKeyRing } from '@ais/config';

const args = Object.fromEntries(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=') as [string, string]));
const only = args.only;
const ENDPOINTS = Number(args.endpoints ?? 100);
const THROUGHPUT_EVENTS = Number(args.events ?? 20_000);
const LATENCY_RATE = Number(args.rate ?? 1_000); // deliveries per second at "nominal load"
const LATENCY_SECONDS = Number(args.seconds ?? 15);
const FANOUT_EVENTS = Number(args.fanoutEvents ?? 10_000);
const FANOUT_ENDPOINTS = Number(args.fanoutEndpoints ?? 100);

// dist/bench/webhooks → the repository root
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const PG_BASE = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

/** A fresh, migrated database (the repository's own migration script). */
async function createTestDatabase(label: string): Promise<TestDatabase> {
  const name = `ais_${label}_${randomBytes(3).toString('hex')}`;
  const url = Object.assign(new URL(PG_BASE), { pathname: `/${name}` }).toString();
  execFileSync(
    process.execPath,
    ['--experimental-wasm-modules', '--no-warnings', path.join(repoRoot, 'scripts/db/migrate.mjs')],
    { env: { ...process.env, DATABASE_URL: url }, stdio: 'ignore' },
  );
  return {
    url,
    drop: async () => {
      const admin = new pg.Client({
        connectionString: Object.assign(new URL(PG_BASE), { pathname: '/postgres' }).toString(),
      });
      await admin.connect();
      await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await admin.end();
    },
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const now = () => performance.timeOrigin + performance.now();
const log = (...parts: unknown[]) => console.log(`[${new Date().toISOString().slice(11, 19)}]`, ...parts);

// ── processes ──

async function spawnReceiver(): Promise<{
  url: string;
  child: ChildProcess;
  stats(detail?: boolean): Promise<ReceiverStats>;
  reset(): Promise<void>;
}> {
  const child = spawn(process.execPath, [path.join(repoRoot, 'dist/bench/webhooks/receiver.js')], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve) =>
    child.stdout.once('data', (d: Buffer) => resolve((JSON.parse(d.toString()) as { port: number }).port)),
  );
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    child,
    stats: async (detail = false) =>
      (await (await fetch(`${url}/stats${detail ? '?detail=1' : ''}`)).json()) as ReceiverStats,
    reset: async () => void (await fetch(`${url}/reset`)).text(),
  };
}
interface ReceiverStats {
  received: number;
  unique: number;
  duplicates: number;
  lastArrival: number;
  arrivals?: [string, number][];
}

let dispatcherPort = 0;
/** The dispatcher's own view (claim/record/relay timings) from its /metrics, for tuning. */
async function dispatcherInternals(): Promise<string> {
  const text = await (await fetch(`http://127.0.0.1:${dispatcherPort}/metrics`)).text();
  const value = (series: string) => Number(new RegExp(`^${series}\\{[^}]*\\} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
  const f = (name: string, unit = 1000) => {
    const count = value(`${name}_count`);
    return `${count} × ${((value(`${name}_sum`) / count) * unit).toFixed(1)}`;
  };
  return `leases ${f('webhook_lease_duration_seconds')} ms, claims ${f('webhook_claim_duration_seconds')} ms (size ${f('webhook_claim_size', 1)}), records ${f('webhook_record_duration_seconds')} ms (size ${f('webhook_record_size', 1)}), relay ${f('webhook_relay_duration_seconds')} ms`;
}

async function spawnDispatcher(env: Record<string, string>): Promise<ChildProcess> {
  const port = await freePort();
  dispatcherPort = port;
  const profile = args.prof ? ['--cpu-prof', `--cpu-prof-dir=${path.join(repoRoot, 'tmp/bench-prof')}`] : [];
  const child = spawn(process.execPath, [...profile, path.join(repoRoot, 'dist/apps/webhook-dispatcher/src/main.js')], {
    env: { ...env, WEBHOOK_DISPATCHER_PORT: String(port) },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/health/ready`)).ok) return child;
    } catch {
      // starting
    }
    await sleep(100);
  }
  throw new Error('dispatcher did not become ready');
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  await new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

// ── data ──

interface Setup {
  db: TestDatabase;
  sql: pg.Pool;
  env: Record<string, string>;
  endpoints: { id: string; tenantId: string; path: string; secret: string }[];
}

async function setUp(
  label: string,
  receiverUrl: string,
  shape: { tenants: number; endpointsPerTenant: number; prefix: string },
): Promise<Setup> {
  const db = await createTestDatabase(label);
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    ...testEnv({ DATABASE_URL: db.url }),
    LOG_LEVEL: 'warn',
    // The receiver's address and port (http://127.0.0.1:<port>), and nothing else on this machine.
    WEBHOOK_ALLOWED_PRIVATE_TARGETS: new URL(receiverUrl).host,
  };
  // Any WEBHOOK_* / DATABASE_POOL_SIZE given as --NAME=value tunes the dispatcher (defaults otherwise).
  for (const [key, value] of Object.entries(args)) if (/^(WEBHOOK_|DATABASE_POOL_SIZE)/.test(key)) env[key] = value;
  const keys = parseKeyRing(env.ENCRYPTION_KEYS);
  const ring = new KeyRing(keys, [...keys.keys()][0]);
  const sql = new pg.Pool({ connectionString: db.url, max: 4 });
  sql.on('error', () => undefined); // connections are cut when the database is dropped at the end
  const endpoints: Setup['endpoints'] = [];
  for (let t = 0; t < shape.tenants; t++) {
    const tenantId = newId('tenant');
    await sql.query(`INSERT INTO tenants (id, name, rate_limit_per_minute, updated_at) VALUES ($1, $2, 600, now())`, [
      tenantId,
      `bench ${t}`,
    ]);
    for (let e = 0; e < shape.endpointsPerTenant; e++) {
      const id = newId('webhookEndpoint');
      const secret = generateWebhookSecret();
      const p = `/${shape.prefix}/${t}-${e}`;
      await sql.query(
        `INSERT INTO webhook_endpoints (id, tenant_id, url, events, secret_encrypted, updated_at) VALUES ($1, $2, $3, $4, $5, now())`,
        [id, tenantId, `${receiverUrl}${p}`, ['*'], ring.seal(secret, id)],
      );
      endpoints.push({ id, tenantId, path: p, secret });
    }
  }
  return { db, sql, env, endpoints };
}

const payload = (i: number) => ({
  consentId: 'cons_bench',
  accountId: 'acc_bench',
  syncRunId: `sr_${i}`,
  count: 3,
  transactionIds: [`txn_${i}a`, `txn_${i}b`, `txn_${i}c`],
  truncated: false,
});

/** Inserts events in one transaction per call (ids made here, like EventRepository.append does). */
async function insertEvents(sql: pg.Pool | pg.PoolClient, tenantIds: string[], from: number): Promise<string[]> {
  const ids = tenantIds.map(() => newId('event'));
  await sql.query(
    `INSERT INTO events (id, tenant_id, type, data)
     SELECT id, tenant_id, 'transactions.added', data FROM unnest($1::text[], $2::text[], $3::jsonb[]) AS e(id, tenant_id, data)`,
    [ids, tenantIds, tenantIds.map((_, i) => JSON.stringify(payload(from + i)))],
  );
  return ids;
}

async function waitFor(what: string, probe: () => Promise<boolean>, timeoutMs: number, everyMs = 50): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await sleep(everyMs);
  }
  return now();
}

/** CPU seconds used so far by a process (Linux /proc), to see where the time per delivery goes. */
function cpuSeconds(pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}
async function postgresPids(sql: pg.Pool): Promise<number[]> {
  return (
    await sql.query(`SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`)
  ).rows.map((r: { pid: number }) => r.pid);
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];

// ── scenarios ──

async function throughput(receiver: Awaited<ReturnType<typeof spawnReceiver>>) {
  log(`throughput: ${THROUGHPUT_EVENTS} events over ${ENDPOINTS} tenants (one endpoint each, one delivery per event)`);
  const s = await setUp('bench_tp', receiver.url, { tenants: ENDPOINTS, endpointsPerTenant: 1, prefix: 'tp' });
  const dispatcher = await spawnDispatcher(s.env);
  await receiver.reset();
  try {
    const tenantIds = Array.from({ length: THROUGHPUT_EVENTS }, (_, i) => s.endpoints[i % s.endpoints.length].tenantId);
    const pgPids = await postgresPids(s.sql);
    const cpu0 = { dispatcher: cpuSeconds(dispatcher.pid), receiver: cpuSeconds(receiver.child.pid) };
    const pg0 = pgPids.map(cpuSeconds);
    await insertEvents(s.sql, tenantIds, 0);
    const t0 = now();
    const received = await waitFor(
      'all received',
      async () => (await receiver.stats()).unique >= THROUGHPUT_EVENTS,
      600_000,
      20,
    );
    const recorded = await waitFor(
      'all recorded',
      async () =>
        (await s.sql.query(`SELECT count(*)::int AS n FROM webhook_deliveries WHERE status = 'succeeded'`)).rows[0].n >=
        THROUGHPUT_EVENTS,
      600_000,
      50,
    );
    const stats = await receiver.stats();
    const perDelivery = (a: number, b: number) => `${(((a - b) * 1e6) / THROUGHPUT_EVENTS).toFixed(0)} µs`;
    const pgAfter = (await postgresPids(s.sql)).reduce((sum, pid) => sum + cpuSeconds(pid), 0);
    log(
      `  CPU per delivery: dispatcher ${perDelivery(cpuSeconds(dispatcher.pid), cpu0.dispatcher)}, postgres ~${perDelivery(
        pgAfter,
        pg0.reduce((a, b) => a + b, 0),
      )}, receiver ${perDelivery(cpuSeconds(receiver.child.pid), cpu0.receiver)}`,
    );
    log(`  dispatcher internals: ${await dispatcherInternals()}`);
    const dispatcherRate = THROUGHPUT_EVENTS / ((received - t0) / 1000);
    const recordedRate = THROUGHPUT_EVENTS / ((recorded - t0) / 1000);
    log(
      `  dispatcher: ${Math.round(dispatcherRate)} deliveries/s received (${Math.round(recordedRate)}/s recorded), duplicates ${stats.duplicates}`,
    );

    // Baseline: the same requests, signed the same way, from a bare loop at the same concurrency.
    await receiver.reset();
    const agent = new Agent({ connections: null, keepAliveTimeout: 4_000 });
    const signers = s.endpoints.map((e) => new Webhook(e.secret));
    let next = 0;
    const loopCpu0 = process.cpuUsage();
    const receiverCpu0 = cpuSeconds(receiver.child.pid);
    const b0 = now();
    await Promise.all(
      s.endpoints.map(async () => {
        for (let i = next++; i < THROUGHPUT_EVENTS; i = next++) {
          const e = i % s.endpoints.length;
          const id = newId('event');
          const body = JSON.stringify({
            id,
            type: 'transactions.added',
            createdAt: new Date().toISOString(),
            data: payload(i),
          });
          const at = new Date();
          const res = await agent.request({
            origin: receiver.url,
            path: s.endpoints[e].path,
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              'webhook-id': id,
              'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
              'webhook-signature': signers[e].sign(id, at, body),
            },
            body,
          });
          await res.body.dump();
          if (res.statusCode !== 204) throw new Error(`baseline got ${res.statusCode}`);
        }
      }),
    );
    const baselineRate = THROUGHPUT_EVENTS / ((now() - b0) / 1000);
    await agent.close();
    const loopCpu = process.cpuUsage(loopCpu0);
    log(
      `  baseline CPU per request: loop ${((loopCpu.user + loopCpu.system) / THROUGHPUT_EVENTS).toFixed(0)} µs, receiver ${(((cpuSeconds(receiver.child.pid) - receiverCpu0) * 1e6) / THROUGHPUT_EVENTS).toFixed(0)} µs`,
    );
    log(`  baseline (bare signed-POST loop, ${s.endpoints.length} concurrent): ${Math.round(baselineRate)} requests/s`);
    return { dispatcherRate, recordedRate, baselineRate, ratio: dispatcherRate / baselineRate, s, dispatcher };
  } catch (error) {
    await stop(dispatcher);
    throw error;
  }
}

async function latency(receiver: Awaited<ReturnType<typeof spawnReceiver>>, s: Setup) {
  log(
    `latency: ${LATENCY_RATE} events/s for ${LATENCY_SECONDS} s, each to one of ${s.endpoints.length} endpoints, committed 10 ms apart`,
  );
  await receiver.reset();
  const committed = new Map<string, number>();
  const perTick = Math.max(1, Math.round(LATENCY_RATE / 100));
  const client = await s.sql.connect();
  let n = 0;
  try {
    const start = now();
    for (let tick = 0; now() - start < LATENCY_SECONDS * 1000; tick++) {
      const due = start + tick * 10;
      if (due > now()) await sleep(due - now());
      const tenants = Array.from({ length: perTick }, (_, i) => s.endpoints[(n + i) % s.endpoints.length].tenantId);
      const ids = await insertEvents(client, tenants, n);
      const t = now();
      for (const id of ids) committed.set(id, t);
      n += ids.length;
    }
  } finally {
    client.release();
  }
  await waitFor('all latency events received', async () => (await receiver.stats()).unique >= n, 120_000, 50);
  const { arrivals } = await receiver.stats(true);
  const latencies = arrivals!
    .map(([key, t]) => [key.split('|')[1], t] as const)
    .filter(([id]) => committed.has(id))
    .map(([id, t]) => t - committed.get(id)!)
    .sort((a, b) => a - b);
  const result = {
    events: n,
    rate: n / LATENCY_SECONDS,
    p50: quantile(latencies, 0.5),
    p90: quantile(latencies, 0.9),
    p99: quantile(latencies, 0.99),
    max: latencies.at(-1)!,
  };
  log(
    `  commit → delivery: p50 ${result.p50.toFixed(1)} ms, p90 ${result.p90.toFixed(1)} ms, p99 ${result.p99.toFixed(1)} ms, max ${result.max.toFixed(1)} ms over ${n} events`,
  );
  return result;
}

async function fanout(receiver: Awaited<ReturnType<typeof spawnReceiver>>) {
  const total = FANOUT_EVENTS * FANOUT_ENDPOINTS;
  log(`fan-out: ${FANOUT_EVENTS} events to ${FANOUT_ENDPOINTS} endpoints of one tenant (${total} deliveries)`);
  const s = await setUp('bench_fan', receiver.url, { tenants: 1, endpointsPerTenant: FANOUT_ENDPOINTS, prefix: 'fan' });
  const dispatcher = await spawnDispatcher(s.env);
  await receiver.reset();
  try {
    const tenant = s.endpoints[0].tenantId;
    const t0 = now();
    for (let i = 0; i < FANOUT_EVENTS; i += 1_000)
      await insertEvents(
        s.sql,
        Array.from({ length: Math.min(1_000, FANOUT_EVENTS - i) }, () => tenant),
        i,
      );
    const inserted = now();
    const lastSeq = (await s.sql.query(`SELECT max(seq) AS seq FROM events`)).rows[0].seq as string;
    const relayed = await waitFor(
      'relayed',
      async () =>
        (await s.sql.query(`SELECT seq FROM outbox_cursors WHERE name = 'webhooks'`)).rows[0]?.seq === lastSeq,
      900_000,
      100,
    );
    const received = await waitFor(
      'all received',
      async () => (await receiver.stats()).received >= total,
      1_800_000,
      200,
    );
    const recorded = await waitFor(
      'all recorded',
      async () =>
        (await s.sql.query(`SELECT count(*)::int AS n FROM webhook_deliveries WHERE status = 'succeeded'`)).rows[0].n >=
        total,
      900_000,
      1_000,
    );
    const result = {
      deliveries: total,
      insertSeconds: (inserted - t0) / 1000,
      relaySeconds: (relayed - inserted) / 1000,
      receivedSeconds: (received - inserted) / 1000,
      recordedSeconds: (recorded - inserted) / 1000,
      rate: total / ((received - inserted) / 1000),
    };
    log(
      `  relay created all deliveries in ${result.relaySeconds.toFixed(1)} s; all received after ${result.receivedSeconds.toFixed(1)} s ` +
        `(${Math.round(result.rate)} deliveries/s), all recorded after ${result.recordedSeconds.toFixed(1)} s`,
    );
    return result;
  } finally {
    await stop(dispatcher);
    await s.sql.end();
    await s.db.drop();
  }
}

// ── main ──

log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}`);
const receiver = await spawnReceiver();
const summary: Record<string, unknown> = {};
try {
  if (!only || only === 'throughput' || only === 'latency') {
    const tp = await throughput(receiver);
    summary.throughput = {
      dispatcher: Math.round(tp.dispatcherRate),
      recorded: Math.round(tp.recordedRate),
      baseline: Math.round(tp.baselineRate),
      ratio: Number(tp.ratio.toFixed(2)),
    };
    try {
      if (!only || only === 'latency') summary.latency = await latency(receiver, tp.s);
    } finally {
      await stop(tp.dispatcher);
      await tp.s.sql.end();
      await tp.s.db.drop();
    }
  }
  if (!only || only === 'fanout') summary.fanout = await fanout(receiver);
} finally {
  receiver.child.kill('SIGTERM');
}
console.log(JSON.stringify(summary, null, 2));
