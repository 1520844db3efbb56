// Read-path benchmark: run by hand (see README.md), not in npm test.
//
//   npm run -s build && node dist/bench/read/bench.js [--duration=10] [--connections=32] [--runs=1] [--only=tx100,provider,…]
//
// One gateway process from dist/ (production settings: NODE_ENV=production, LOG_LEVEL=info into a file,
// the tenant rate limiter on) and one bare Fastify + pg server (bare-server.ts) on ports of their own,
// over one fresh database seeded through the product: a tenant from POST /admin/tenants, consents
// authorised at the sandbox bank through the OAuth flow and synced by the real sync-worker. Each row is
// measured with autocannon against the gateway and then against the bare server, same run, same data,
// byte-identical JSON (checked first), same SQL (checked first), the same credential cache (the bare
// server gets the gateway's CREDENTIAL_CACHE_TTL_MS) and the same EVALSHA to Redis per request.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import pg from 'pg';
import { PrismaPg } from '@prisma/adapter-pg';
import { AccountDataRepository, CredentialRepository, PgReader, PrismaClient, ProviderRepository } from '@ais/db';
import { CREDENTIAL_CACHE_TTL_MS } from '@ais/auth';
import { KeyRing, hashSecret } from '@ais/crypto';
import { parseKeyRing } from '@ais/config';
import { freePort, testEnv } from '@ais/testing';
import { repoRootFrom } from '../../apps/sync-worker/test/repo-root.js';
import {
  ACCOUNTS_OF_TENANT,
  ACCOUNT_WITH_PERMISSIONS,
  CHANGES_OF_CONSENT,
  CONSENT_OWNED,
  CREDENTIAL_BY_ID,
  CREDENTIAL_BY_SECRET_HASH,
  PROVIDERS_VIEW_BY_IDS,
  TENANT_OF_CREDENTIAL,
  TENANT_OF_UNIQUE_CREDENTIAL,
  TRANSACTIONS_OF_ACCOUNT,
  normaliseSql,
  TRANSACTIONS_BY_IDS,
} from './queries.js';
import { createTenant, seedThroughSync, type BenchTenant, type SeededData } from './seed.js';

const repoRoot = repoRootFrom(import.meta.url);
const PG_BASE = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

const args = Object.fromEntries(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=') as [string, string]));
const DURATION = Number(args.duration ?? 10);
const WARMUP = Number(args.warmup ?? 2);
const CONNECTIONS = Number(args.connections ?? 32);
const RUNS = Number(args.runs ?? 1);
const CONSENTS = Number(args.consents ?? 6);
const HISTORY_DAYS = Number(args.historyDays ?? 730);
const POOL_SIZE = Number(args.poolSize ?? 10);
/** The tenant's limit as made: the most POST /admin/tenants takes. */
const RATE_LIMIT_PER_MINUTE = Number(args.rateLimit ?? 100_000);
/**
 * …then raised in the database before any request uses it: with credentials cached, a row runs faster
 * than 100,000 a minute's burst allows over warm-up and measurement (about 10,000 requests a second).
 * The limiter's work per request does not depend on the number: the same EVALSHA, GET and SET.
 */
const BENCH_RATE_LIMIT_PER_MINUTE = Number(args.benchRateLimit ?? 60_000_000);
const GATEWAY_LOG_LEVEL = args.gatewayLogLevel ?? 'info';
/** --prof=1: the gateway runs under node --cpu-prof; the measured windows go beside the profile. */
const PROFILE = args.prof === '1';
const PROFILE_DIR = path.resolve(repoRoot, args.profDir ?? 'tmp/bench-read-prof');

const fmt = (n: number, d = 0) => n.toLocaleString('en-GB', { maximumFractionDigits: d, minimumFractionDigits: d });
const log = (...parts: unknown[]) => console.log(`[${new Date().toISOString().slice(11, 19)}]`, ...parts);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

// ── database and processes ──

interface BenchDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

/** A fresh, migrated database (the repository's own migration script), as bench/sync makes them. */
function createDatabase(): BenchDatabase {
  const name = `ais_bench_read_${randomBytes(3).toString('hex')}`;
  const url = Object.assign(new URL(PG_BASE), { pathname: `/${name}` }).toString();
  execFileSync(
    process.execPath,
    ['--experimental-wasm-modules', '--no-warnings', path.join(repoRoot, 'scripts/db/migrate.mjs')],
    { env: { ...process.env, DATABASE_URL: url }, stdio: 'ignore' },
  );
  return {
    url,
    name,
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

/** The tenant's rate limit beyond what the admin API takes (see BENCH_RATE_LIMIT_PER_MINUTE). */
async function raiseRateLimit(db: BenchDatabase, tenantId: string, perMinute: number): Promise<void> {
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    await client.query('UPDATE tenants SET rate_limit_per_minute = $1 WHERE id = $2', [perMinute, tenantId]);
  } finally {
    await client.end();
  }
}

async function waitUntilUp(url: string, child: ChildProcess, what: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`${what} exited (${child.exitCode})`);
    if (
      await fetch(url).then(
        (r) => r.ok,
        () => false,
      )
    )
      return;
    await sleep(100);
  }
  throw new Error(`${what} did not come up`);
}

async function stop(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}

/** CPU seconds a process has used so far (Linux /proc), to give each side's CPU per request. */
function cpuSeconds(pid: number | undefined): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** CLOCK_MONOTONIC in microseconds: the clock V8's CPU profiles are stamped with on Linux. */
const monotonicMicros = () => Number(process.hrtime.bigint() / 1000n);

interface Gateway {
  url: string;
  child: ChildProcess;
  env: Record<string, string>;
}

async function startGateway(db: BenchDatabase): Promise<Gateway> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    ...testEnv({ DATABASE_URL: db.url }),
    NODE_ENV: 'production',
    LOG_LEVEL: GATEWAY_LOG_LEVEL,
    GATEWAY_PORT: String(port),
    GATEWAY_HOST: '127.0.0.1',
    PUBLIC_URL: url,
    DATABASE_POOL_SIZE: String(POOL_SIZE),
  };
  const logDir = path.join(repoRoot, 'tmp/bench-read');
  mkdirSync(logDir, { recursive: true });
  const logFd = openSync(path.join(logDir, 'gateway.log'), 'w');
  const profile = PROFILE
    ? [
        '--cpu-prof',
        `--cpu-prof-dir=${path.join(PROFILE_DIR, 'gateway')}`,
        // Nest re-raises SIGTERM after closing (no profile is written on a signal death): SIGUSR2 exits
        // the gateway with process.exit, which writes it.
        `--import=${path.join(repoRoot, 'dist/bench/read/exit-on-sigusr2.js')}`,
      ]
    : [];
  if (PROFILE) rmSync(PROFILE_DIR, { recursive: true, force: true });
  const child = spawn(process.execPath, [...profile, path.join(repoRoot, 'dist/apps/gateway/src/main.js')], {
    cwd: repoRoot,
    env,
    stdio: ['ignore', logFd, 'inherit'],
  });
  closeSync(logFd);
  await waitUntilUp(`${url}/health/live`, child, 'gateway');
  return { url, child, env };
}

async function startBare(
  db: BenchDatabase,
  gateway: Gateway,
  redisPrefix: string,
): Promise<{ url: string; child: ChildProcess }> {
  const keys = parseKeyRing(gateway.env.ENCRYPTION_KEYS);
  const cursorKey = new KeyRing(keys, [...keys.keys()].at(-1)!).derive('cursor').active;
  const profile = PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${path.join(PROFILE_DIR, 'bare')}`] : [];
  const child = spawn(process.execPath, [...profile, path.join(repoRoot, 'dist/bench/read/bare-server.js')], {
    cwd: repoRoot,
    env: {
      ...(process.env as Record<string, string>),
      NODE_ENV: 'production',
      DATABASE_URL: db.url,
      DATABASE_POOL_SIZE: String(POOL_SIZE),
      REDIS_URL: gateway.env.REDIS_URL,
      BARE_REDIS_PREFIX: redisPrefix,
      BARE_CURSOR_KEY: cursorKey.toString('base64'),
      BARE_ISSUER: gateway.url,
      BARE_JWKS_URL: `${gateway.url}/.well-known/jwks.json`,
      BARE_CREDENTIAL_CACHE_TTL_MS: String(CREDENTIAL_CACHE_TTL_MS),
      BARE_PORT: String(await freePort()),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`bare server exited (${code})`)));
    child.stdout.once('data', (d: Buffer) => resolve((JSON.parse(d.toString()) as { port: number }).port));
  });
  return { url: `http://127.0.0.1:${port}`, child };
}

// ── the checks before measuring ──

/**
 * The SQL the gateway's own repositories send for each route (a query-logging PrismaClient over the
 * seeded data, the same calls with the same arguments as AccountDataService, ProvidersController and
 * TenantAuthService make), compared with what the bare server sends (queries.ts). The credential
 * lookups are what both servers send on a credential-cache miss (at most once per key per TTL).
 */
async function checkSql(db: BenchDatabase, tenant: BenchTenant, data: SeededData) {
  const pool = new pg.Pool({ connectionString: db.url, max: 2 });
  pool.on('error', () => undefined);
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool), log: [{ emit: 'event', level: 'query' }] });
  let captured: string[] = [];
  prisma.$on('query', (e) => captured.push(normaliseSql(e.query)));
  const reader = new PgReader(pool);
  reader.onQuery((text) => captured.push(normaliseSql(text)));
  const repo = new AccountDataRepository(prisma, reader);
  const credentials = new CredentialRepository(prisma);
  const providers = new ProviderRepository(prisma, reader);
  const changeIds = (
    await repo.changesAfter(tenant.tenantId, { consentId: data.consentIds[0] }, { xid: 0n, id: 0n }, 101)
  ).map((c) => c.transactionId);
  const distinct = [...new Set(changeIds.slice(0, 100))];
  const cases: [string, () => Promise<unknown>, string[]][] = [
    [
      'API key → credential + tenant (cache miss)',
      () => credentials.findBySecretHash('api_key', hashSecret(tenant.apiKey)),
      [CREDENTIAL_BY_SECRET_HASH, TENANT_OF_CREDENTIAL],
    ],
    [
      'access token → credential + tenant (cache miss)',
      () => credentials.findById(tenant.oauthCredentialId),
      [CREDENTIAL_BY_ID, TENANT_OF_UNIQUE_CREDENTIAL],
    ],
    ['provider', () => providers.findView('allstar'), [PROVIDERS_VIEW_BY_IDS]],
    [
      'provider, three lookups in one tick (one statement)',
      () => Promise.all(['allstar', 'alsalam', 'allstar'].map((id) => providers.findView(id))),
      [PROVIDERS_VIEW_BY_IDS],
    ],
    [
      'account with its consent permissions (one statement)',
      () => repo.findAccount(tenant.tenantId, data.accountId),
      [ACCOUNT_WITH_PERMISSIONS],
    ],
    ['accounts page', () => repo.listAccounts(tenant.tenantId, { limit: 101 }), [ACCOUNTS_OF_TENANT]],
    [
      'transactions page',
      () => repo.listTransactions(tenant.tenantId, data.accountId, { limit: 101, includeRaw: false }),
      [TRANSACTIONS_OF_ACCOUNT],
    ],
    ['consent owned', () => repo.consentOwned(tenant.tenantId, data.consentIds[0]), [CONSENT_OWNED]],
    [
      'change log',
      () => repo.changesAfter(tenant.tenantId, { consentId: data.consentIds[0] }, { xid: 0n, id: 0n }, 101),
      [CHANGES_OF_CONSENT],
    ],
    ['changed transactions', () => repo.transactionsByIds(tenant.tenantId, distinct, false), [TRANSACTIONS_BY_IDS]],
  ];
  const mismatches: string[] = [];
  try {
    for (const [name, run, expected] of cases) {
      captured = [];
      await run();
      const want = expected.map(normaliseSql);
      if (captured.length !== want.length || captured.some((sql, i) => sql !== want[i])) {
        mismatches.push(
          `the gateway's SQL for "${name}" is not the bare server's (bench/read/queries.ts):\n` +
            `  gateway (${captured.length}):\n${captured.map((s) => `    ${s}`).join('\n')}\n` +
            `  bare (${want.length}):\n${want.map((s) => `    ${s}`).join('\n')}`,
        );
      }
    }
    if (mismatches.length > 0) throw new Error(mismatches.join('\n'));
  } finally {
    await prisma.$disconnect();
    await pool.end();
  }
  log(`  SQL: the gateway's repositories send the bare server's statements for all ${cases.length} cases`);
}

interface Row {
  id: string;
  label: string;
  path: string;
  token: 'apiKey' | 'accessToken' | 'none';
}

/** The same request to both servers: 200 from both, and the same bytes; the benchmark stops otherwise. */
async function checkBodies(rows: Row[], gatewayUrl: string, bareUrl: string, tokens: Record<string, string>) {
  for (const row of rows) {
    const headers: Record<string, string> =
      row.token === 'none' ? {} : { authorization: `Bearer ${tokens[row.token]}` };
    const [g, b] = await Promise.all(
      [gatewayUrl, bareUrl].map(async (base) => {
        const res = await fetch(`${base}${row.path}`, { headers });
        return { status: res.status, type: res.headers.get('content-type'), body: await res.text() };
      }),
    );
    if (g.status !== 200 || b.status !== 200)
      throw new Error(
        `${row.label}: gateway ${g.status}, bare ${b.status}\n  gateway: ${g.body.slice(0, 500)}\n  bare: ${b.body.slice(0, 500)}`,
      );
    if (g.body !== b.body || g.type !== b.type) {
      let at = 0;
      while (at < g.body.length && g.body[at] === b.body[at]) at++;
      throw new Error(
        `${row.label}: the bodies differ (${g.type}, ${g.body.length} bytes vs ${b.type}, ${b.body.length} bytes) at byte ${at}:\n` +
          `  gateway: …${g.body.slice(Math.max(0, at - 80), at + 120)}\n  bare:    …${b.body.slice(Math.max(0, at - 80), at + 120)}`,
      );
    }
    log(`  ${row.label}: identical bodies (${fmt(g.body.length)} bytes)`);
  }
}

// ── measuring ──

interface Measure {
  rps: number;
  p50: number;
  p99: number;
  requests: number;
  cpuPerRequestUs: number;
  bytes: number;
}

async function cannon(url: string, headers: Record<string, string>, seconds: number) {
  return autocannon({ url, headers, connections: CONNECTIONS, duration: seconds, pipelining: 1, timeout: 10 });
}

async function measure(
  url: string,
  headers: Record<string, string>,
  pid: number | undefined,
  window: { side: string; row: string; windows: Record<string, [number, number, number]> },
): Promise<Measure> {
  if (WARMUP > 0) await cannon(url, headers, WARMUP);
  const cpu0 = cpuSeconds(pid);
  const t0 = monotonicMicros();
  const r = await cannon(url, headers, DURATION);
  const t1 = monotonicMicros();
  const cpu = cpuSeconds(pid) - cpu0;
  if (r.non2xx > 0 || r.errors > 0 || r.timeouts > 0) {
    const once = await fetch(url, { headers }).then(
      async (res) => `${res.status} ${(await res.text()).slice(0, 300)}`,
      (error: unknown) => String(error),
    );
    throw new Error(
      `${window.side} ${url}: ${r.non2xx} non-2xx, ${r.errors} errors, ${r.timeouts} timeouts; one more request: ${once}`,
    );
  }
  window.windows[window.row] = [t0, t1, r.requests.total];
  return {
    rps: r.requests.total / (r.duration || DURATION),
    p50: r.latency.p50,
    p99: r.latency.p99,
    requests: r.requests.total,
    cpuPerRequestUs: (cpu * 1e6) / r.requests.total,
    bytes: r.throughput.total / r.requests.total,
  };
}

// ── main ──

const allRows = (accountId: string, consentId: string, syncCursor: string): Row[] => [
  {
    id: 'tx100',
    label: 'GET /v1/accounts/{id}/transactions?limit=100',
    path: `/v1/accounts/${accountId}/transactions?limit=100`,
    token: 'apiKey',
  },
  {
    id: 'tx10',
    label: 'GET /v1/accounts/{id}/transactions?limit=10',
    path: `/v1/accounts/${accountId}/transactions?limit=10`,
    token: 'apiKey',
  },
  { id: 'provider', label: 'GET /v1/providers/allstar', path: '/v1/providers/allstar', token: 'apiKey' },
  {
    id: 'provider-jwt',
    label: 'GET /v1/providers/allstar (access token)',
    path: '/v1/providers/allstar',
    token: 'accessToken',
  },
  { id: 'health', label: 'GET /health/live', path: '/health/live', token: 'none' },
  {
    id: 'sync',
    label: 'GET /v1/transactions/sync (first page, 100)',
    path: `/v1/transactions/sync?consentId=${consentId}&limit=100`,
    token: 'apiKey',
  },
  {
    id: 'sync-next',
    label: 'GET /v1/transactions/sync (cursor page, 100)',
    path: `/v1/transactions/sync?consentId=${consentId}&limit=100&cursor=${encodeURIComponent(syncCursor)}`,
    token: 'apiKey',
  },
  { id: 'accounts', label: 'GET /v1/accounts', path: '/v1/accounts', token: 'apiKey' },
];

log(
  `read benchmark on ${os.cpus().length} CPU(s) ${os.cpus()[0]?.model ?? ''}, node ${process.version}, load average ${os
    .loadavg()
    .map((l) => fmt(l, 2))
    .join(' ')}`,
);
log(`command: node ${path.relative(repoRoot, process.argv[1])} ${process.argv.slice(2).join(' ')}`);
log(
  `settings: ${CONNECTIONS} connections, ${WARMUP} s warm-up + ${DURATION} s per server per row, ${RUNS} run(s), pool ${POOL_SIZE}, gateway LOG_LEVEL=${GATEWAY_LOG_LEVEL}${PROFILE ? ', gateway under --cpu-prof' : ''}`,
);
const db = createDatabase();
const children: ChildProcess[] = [];
let gatewayForProfile: Gateway | undefined;
try {
  const gateway = await startGateway(db);
  children.push(gateway.child);
  gatewayForProfile = gateway;
  const tenant = await createTenant(gateway.url, gateway.env.ADMIN_TOKEN, RATE_LIMIT_PER_MINUTE);
  log(
    `tenant ${tenant.tenantId} from POST /admin/tenants (API key + OAuth client), ${fmt(RATE_LIMIT_PER_MINUTE)} requests/minute, raised to ${fmt(BENCH_RATE_LIMIT_PER_MINUTE)} in the database`,
  );
  await raiseRateLimit(db, tenant.tenantId, BENCH_RATE_LIMIT_PER_MINUTE);
  const data = await seedThroughSync(db, tenant.tenantId, { consents: CONSENTS, historyDays: HISTORY_DAYS });
  log(
    `seeded in ${fmt(data.seconds, 1)} s through the sandbox bank (allstar) and the sync-worker: ${data.consentIds.length} consents, ${data.accountIds.length} accounts, ${fmt(data.transactions)} transactions (${data.perAccount.map((a) => a.transactions).join(', ')} per account), ${fmt(data.changes)} change-log rows; a stored row averages ${fmt(data.rowBytes)} bytes, ${fmt(data.rawBytes)} of them the bank's JSON (raw)`,
  );
  await checkSql(db, tenant, data);

  const bare = await startBare(db, gateway, `bench-read-bare-${randomBytes(3).toString('hex')}`);
  children.push(bare.child);
  const token = async () => {
    const res = await fetch(`${gateway.url}/v1/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: tenant.clientId,
        client_secret: tenant.clientSecret,
      }).toString(),
    });
    const body = (await res.json()) as { access_token: string };
    if (res.status !== 200) throw new Error(`POST /v1/oauth/token answered ${res.status}`);
    return body.access_token;
  };
  const tokens: Record<string, string> = { apiKey: tenant.apiKey, accessToken: await token() };
  const page1 = (await (
    await fetch(`${gateway.url}/v1/transactions/sync?consentId=${data.consentIds[0]}&limit=100`, {
      headers: { authorization: `Bearer ${tenant.apiKey}` },
    })
  ).json()) as { nextCursor: string; hasMore: boolean };
  if (!page1.hasMore) throw new Error('the change feed of the first consent has a single page: seed more history');
  const only = args.only?.split(',');
  const rows = allRows(data.accountId, data.consentIds[0], page1.nextCursor).filter(
    (r) => !only || only.includes(r.id),
  );
  if (rows.length === 0) throw new Error(`--only=${args.only}: no such row`);
  await checkBodies(rows, gateway.url, bare.url, tokens);

  const results = new Map<string, { gateway: Measure[]; bare: Measure[] }>(
    rows.map((r) => [r.id, { gateway: [], bare: [] }]),
  );
  /** Per side and row: the measured window (CLOCK_MONOTONIC µs) and the requests served in it. */
  const windows: Record<'gateway' | 'bare', Record<string, [number, number, number]>> = { gateway: {}, bare: {} };
  for (let run = 0; run < RUNS; run++) {
    // A fresh access token each run (they live 15 minutes); the bare server checks it the same way.
    tokens.accessToken = await token();
    log(
      `run ${run + 1} of ${RUNS} (load average ${os
        .loadavg()
        .map((l) => fmt(l, 2))
        .join(' ')})`,
    );
    for (const row of rows) {
      const headers: Record<string, string> =
        row.token === 'none' ? {} : { authorization: `Bearer ${tokens[row.token]}` };
      // Alternate which side goes first, so neither always runs after the other's load.
      const order =
        (run + rows.indexOf(row)) % 2 === 0 ? (['gateway', 'bare'] as const) : (['bare', 'gateway'] as const);
      for (const side of order) {
        const target = side === 'gateway' ? gateway : bare;
        const m = await measure(`${target.url}${row.path}`, headers, target.child.pid, {
          side,
          row: row.id,
          windows: windows[side],
        });
        results.get(row.id)![side].push(m);
      }
      const g = results.get(row.id)!.gateway.at(-1)!;
      const b = results.get(row.id)!.bare.at(-1)!;
      log(
        `  ${row.label.padEnd(48)} gateway ${fmt(g.rps).padStart(6)} req/s p50 ${fmt(g.p50)} p99 ${fmt(g.p99)} ms | bare ${fmt(b.rps).padStart(6)} req/s p50 ${fmt(b.p50)} p99 ${fmt(b.p99)} ms | ratio ${fmt(g.rps / b.rps, 2)}`,
      );
    }
  }

  console.log('');
  console.log(
    `Medians over ${RUNS} run(s); ${CONNECTIONS} connections, ${DURATION} s each; ratio = gateway req/s ÷ bare req/s. CPU = server process CPU per request (/proc); CPU ratio = gateway CPU/req ÷ bare CPU/req.`,
  );
  const header = [
    'row',
    'gw req/s',
    'gw p50',
    'gw p99',
    'gw CPU/req',
    'bare req/s',
    'bare p50',
    'bare p99',
    'bare CPU/req',
    'ratio',
    'CPU ratio',
    'resp. bytes',
  ];
  const table = rows.map((row) => {
    const r = results.get(row.id)!;
    const m = (side: 'gateway' | 'bare', key: keyof Measure) => median(r[side].map((x) => x[key]));
    return [
      row.label,
      fmt(m('gateway', 'rps')),
      `${fmt(m('gateway', 'p50'))} ms`,
      `${fmt(m('gateway', 'p99'))} ms`,
      `${fmt(m('gateway', 'cpuPerRequestUs'))} µs`,
      fmt(m('bare', 'rps')),
      `${fmt(m('bare', 'p50'))} ms`,
      `${fmt(m('bare', 'p99'))} ms`,
      `${fmt(m('bare', 'cpuPerRequestUs'))} µs`,
      fmt(median(r.gateway.map((g, i) => g.rps / r.bare[i].rps)), 2),
      fmt(median(r.gateway.map((g, i) => g.cpuPerRequestUs / r.bare[i].cpuPerRequestUs)), 2),
      fmt(m('gateway', 'bytes')),
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((t) => t[i].length)));
  console.log(`| ${header.map((h, i) => h.padEnd(widths[i])).join(' | ')} |`);
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const t of table)
    console.log(`| ${t.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ')} |`);
  if (args.json) writeFileSync(args.json, JSON.stringify(Object.fromEntries(results), null, 2));
  if (PROFILE) {
    mkdirSync(PROFILE_DIR, { recursive: true });
    writeFileSync(path.join(PROFILE_DIR, 'windows.json'), JSON.stringify(windows, null, 2));
    await stop(gateway.child, 'SIGUSR2');
    await stop(bare.child);
    log(`CPU profiles in ${path.relative(repoRoot, PROFILE_DIR)}/{gateway,bare}/, measured windows in windows.json:`);
    log(`  node dist/bench/read/profile-summary.js ${path.relative(repoRoot, PROFILE_DIR)}`);
  }
} catch (error) {
  console.error(error);
  process.exitCode = 1;
} finally {
  if (PROFILE && gatewayForProfile) await stop(gatewayForProfile.child, 'SIGUSR2');
  for (const child of children) await stop(child);
  await db.drop();
}
process.exit(process.exitCode ?? 0);
