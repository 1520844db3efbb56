// Sync benchmark: run by hand, not in npm test.
//
//   npx swc apps libs bench -d dist --quiet && node dist/bench/sync/bench.js [--only=load|e2e|pages] [--repeat=3] [--accounts=40] [--consents=1000] [--latencies=0,100] [--concurrency=32] [--connectors=1]
//
// (a) ingestion rows/s of the sync's load path (fingerprint check, diff + upsert + change rows + events,
//     one transaction per account: SyncService's own loadTransactions) against psql's \copy of the
//     same rows into the same table, same indexes (as psql's \timing measures it); the CPU of each side
//     beside the times, since this machine is shared;
// (b) re-sync of unchanged data for the same window against the first sync, on the same path; and,
//     for reference, a scheduled re-sync's window of the same data (the last 30 days);
//     --sample=FILE reads the transactions from a file written by --dumpSample=FILE (no sandbox start);
// (d) --only=pages: the CPU of one window between the connector's reply and the worker's day digests,
//     the previous way and the current one (see benchPages);
// (c) account syncs/s end to end: N consents x 3 accounts against the sandbox (in this process, with
//     the connector-service's classes), the sync-worker as its own process, at each bank latency; the
//     worker's peak memory as the number of consents synced grows, and where the CPU went;
//     --connectors=1,2,3: the same with 1, 2 and 3 connector-service instances (the in-process one plus
//     connector-service processes from dist/ in the same NATS queue group), same run.
//     The issue 17 figures (see the option notes above e2eAt):
//       scheduled re-sync:  --only=e2e --consents=1000 --historyDays=400 --latencies=0 --rounds=first,scheduled
//       memory, 1k vs 10k:  --only=e2e --consents=1000,10000 --authorise=clone --historyDays=30 --latencies=0 --rounds=copy,scheduled
//       where the CPU goes: add --prof=1 (the worker's and this process's CPU profiles, summarised per round)
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  EventRepository,
  SyncRunRepository,
  TransactionWriteRepository,
  createPrismaClient,
  lockConsentSync,
  type PrismaClient,
  type TransactionRow,
} from '@ais/db';
import { addDays, localDateOf, newId, type Transaction } from '@ais/domain';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { TransactionsPage } from '@ais/connectors';
import { hashAll, toTransactionRow, transactionHash } from '../../apps/sync-worker/src/sync/transaction-diff.js';
import { dayDigests, dayDigestsOfDrafts } from '../../apps/sync-worker/src/sync/transaction-fingerprint.js';
import { pageJson } from '../../apps/connector-service/src/held-pages.js';
import {
  loadTransactions,
  prepareTransactions,
  readDigestedWindow,
  type ItemDigests,
} from '../../apps/sync-worker/src/sync/transaction-load.js';
import { PSUS, PSU_IP, SyncHarness } from '../../apps/sync-worker/test/sync-harness.js';
import { WorkerProcess } from '../../apps/sync-worker/test/worker-process.js';
import { repoRootFrom } from '../../apps/sync-worker/test/repo-root.js';
import { reportRun, type Windows } from './profile-summary.js';

const repoRoot = repoRootFrom(import.meta.url);
const PG_BASE = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

/** A fresh, migrated database (the repository's own migration script; dist/ has no test template). */
function createDatabase(label: string): { url: string; name: string; drop(): Promise<void> } {
  const name = `ais_bench_${label}_${randomBytes(3).toString('hex')}`;
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

const args = Object.fromEntries(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=') as [string, string]));
const only = args.only;
const ACCOUNTS = Number(args.accounts ?? 40);
const CONSENTS = (args.consents ?? '1000').split(',').map(Number);
const LATENCIES = (args.latencies ?? '0,100').split(',').map(Number);
const CONCURRENCY = Number(args.concurrency ?? 32);
const CONNECTOR_INSTANCES = (args.connectors ?? '1').split(',').map(Number);
const HISTORY_DAYS = Number(args.historyDays ?? 400);
const LOAD_CONCURRENCY = (args.loadConcurrency ?? '1,4').split(',').map(Number);

const fmt = (n: number, d = 0) => n.toLocaleString('en-GB', { maximumFractionDigits: d, minimumFractionDigits: d });
const mb = (bytes: number) => `${fmt(bytes / 1_048_576)} MB`;
const line = (s = '') => console.log(s);

// ───────────────────────────── (a) and (b): the load path ─────────────────────────────

/** Transactions, with the digests the connector sent for them (see `readDigestedWindow`). */
interface Sample {
  items: Transaction[];
  digests: ItemDigests;
}

/** Real bank data: one consent's transactions through the connector, reused for every synthetic account. */
async function sampleTransactions(): Promise<Sample> {
  const h = await SyncHarness.start({
    worker: false,
    database: createDatabase('sample'),
    env: { LOG_LEVEL: 'silent' },
  });
  try {
    const c = await h.authorise('allstar', PSUS.alice);
    const context = { consentId: c.consentId, frequencyPerDay: 4, psu: { ipAddress: PSU_IP } };
    const { accounts } = await h.connector.send('connector.listAccounts', { providerId: 'allstar', context });
    const today = localDateOf(h.clock.now(), 'Europe/London');
    const accountIds = accounts.map((a) => a.externalId);
    const digests: ItemDigests = new WeakMap();
    const byAccount = await readDigestedWindow(
      accountIds,
      (cursor) =>
        h.connector.send('connector.getTransactionsPage', {
          providerId: 'allstar',
          context,
          accountIds,
          from: addDays(today, -730),
          to: today,
          status: 'both',
          ...(cursor === undefined ? {} : { cursor }),
        }),
      digests,
    );
    return { items: [...byAccount.values()].flat(), digests };
  } finally {
    await h.close();
  }
}

interface LoadTarget {
  prisma: PrismaClient;
  tenantId: string;
  /** Consents of three accounts each, like the worker's jobs. */
  consents: { consentId: string; runId: string; accountIds: string[] }[];
}

async function loadTarget(prisma: PrismaClient, accounts: number): Promise<LoadTarget> {
  const tenantId = newId('tenant');
  await prisma.provider.create({
    data: {
      id: 'bench',
      name: 'Bench',
      country: 'GB',
      standard: 'obie_3_1',
      profile: 'allstar',
      status: 'active',
      capabilities: {},
    },
  });
  await prisma.tenant.create({ data: { id: tenantId, name: 'Bench', rateLimitPerMinute: 600 } });
  const consents: LoadTarget['consents'] = [];
  for (let i = 0; i < accounts; i++) {
    if (i % 3 === 0) {
      const consentId = newId('consent');
      const runId = newId('syncRun');
      await prisma.consent.create({
        data: {
          id: consentId,
          tenantId,
          providerId: 'bench',
          status: 'authorised',
          permissions: ['transactions'],
          expiresAt: new Date(Date.now() + 86_400_000),
          frequencyPerDay: 4,
          redirectUri: 'https://x',
        },
      });
      await prisma.syncRun.create({ data: { id: runId, tenantId, consentId, trigger: 'initial', status: 'running' } });
      consents.push({ consentId, runId, accountIds: [] });
    }
    const c = consents.at(-1)!;
    const id = newId('account');
    await prisma.account.create({
      data: {
        id,
        tenantId,
        consentId: c.consentId,
        providerId: 'bench',
        externalId: `ext-${i}`,
        identityKey: `ext:${i}`,
        type: 'personal',
        currency: 'GBP',
      },
    });
    c.accountIds.push(id);
  }
  return { prisma, tenantId, consents };
}

/**
 * The worker's account batches, as SyncService.loadAccount does them (balances aside), through the
 * same `prepareTransactions` / `loadTransactions`: consents side by side (`concurrency` jobs, as
 * SYNC_CONCURRENCY), each consent's accounts one after the other, the next account's items prepared
 * (digested by day) while the current account's batch is in the database. Returns the change rows
 * written.
 */
async function loadPath(
  t: LoadTarget,
  transactions: Transaction[],
  digests: ItemDigests,
  window: { from: string; to: string },
  concurrency: number,
  /** What the worker knows of the accounts ahead (accounts.backfilled_from): stored before or not. */
  holdsRows: boolean,
): Promise<number> {
  const repos = {
    transactions: new TransactionWriteRepository(),
    events: new EventRepository(t.prisma),
    runs: new SyncRunRepository(t.prisma),
  };
  let written = 0;
  const queue = [...t.consents];
  const job = async () => {
    for (let c = queue.shift(); c; c = queue.shift()) {
      const { consentId, runId } = c;
      let next = prepareTransactions(transactions, holdsRows, digests);
      for (const [i, accountId] of c.accountIds.entries()) {
        const prepared = await next;
        if (i + 1 < c.accountIds.length) next = prepareTransactions(transactions, holdsRows, digests);
        await t.prisma.$transaction(
          async (tx) => {
            await lockConsentSync(tx, consentId);
            const counts = await loadTransactions(tx, repos, {
              tenantId: t.tenantId,
              consentId,
              accountId,
              syncRunId: runId,
              window,
              prepared,
              now: new Date(),
            });
            written += counts.added + counts.modified + counts.removed;
          },
          { timeout: 300_000, maxWait: 300_000 },
        );
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, job));
  return written;
}

const COPY_COLUMNS = [
  'id',
  'tenant_id',
  'consent_id',
  'account_id',
  'external_id',
  'id_source',
  'identity_key',
  'status',
  'booking_date',
  'value_date',
  'booked_at',
  'amount',
  'currency',
  'description',
  'merchant_name',
  'merchant_category_code',
  'counterparty',
  'bank_transaction_code',
  'reference',
  'running_balance',
  'currency_exchange',
  'pending_transaction_id',
  'pending_link',
  'raw',
  'content_hash',
];

function csvField(v: string | null): string {
  if (v === null) return '';
  return `"${v.replace(/"/g, '""')}"`;
}

async function copyBaseline(
  t: LoadTarget,
  transactions: Transaction[],
  databaseUrl: string,
): Promise<{ rows: number; ms: number; cpu: { client: number; postgres: number } }> {
  const file = path.join(os.tmpdir(), `sync-bench-${process.pid}.csv`);
  const lines: string[] = [];
  for (const { consentId, accountId } of t.consents.flatMap((c) =>
    c.accountIds.map((accountId) => ({ consentId: c.consentId, accountId })),
  )) {
    for (const txn of transactions) {
      const r: TransactionRow = toTransactionRow(txn, newId('transaction'), transactionHash(txn), null);
      const values = [
        r.id,
        t.tenantId,
        consentId,
        accountId,
        r.externalId,
        r.idSource,
        r.identityKey,
        r.status,
        r.bookingDate,
        r.valueDate,
        r.bookedAt,
        r.amount,
        r.currency,
        r.description,
        r.merchantName,
        r.merchantCategoryCode,
        r.counterparty,
        r.bankTransactionCode,
        r.reference,
        r.runningBalance,
        r.currencyExchange,
        r.pendingTransactionId,
        r.pendingLink,
        r.raw,
        r.contentHash,
      ];
      lines.push(values.map(csvField).join(','));
    }
  }
  writeFileSync(file, lines.join('\n') + '\n');
  await t.prisma.$executeRawUnsafe('TRUNCATE transactions');
  await t.prisma.$executeRawUnsafe('CHECKPOINT');
  // psql times its own \copy (\timing: without its start and connection), then reads its backend's CPU.
  const script = [
    'SELECT pg_backend_pid() AS pid \\gset',
    '\\timing on',
    `\\copy transactions (${COPY_COLUMNS.join(', ')}) FROM '${file}' WITH (FORMAT csv)`,
    '\\timing off',
    '\\setenv PID :pid',
    `\\! cut -d' ' -f14,15 /proc/$PID/stat`,
  ].join('\n');
  const children = childrenCpuMs();
  const out = execFileSync('psql', [databaseUrl, '-v', 'ON_ERROR_STOP=1', '-q'], { input: script, encoding: 'utf8' });
  const ms = Number(/Time: ([\d.]+) ms/.exec(out)![1]);
  const [utime, stime] = out.trim().split('\n').at(-1)!.split(' ').map(Number);
  return { rows: lines.length, ms, cpu: { client: childrenCpuMs() - children, postgres: (utime + stime) * 10 } };
}

/** CPU ms of this process's children that ended (psql). */
function childrenCpuMs(): number {
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
  return (Number(fields[13]) + Number(fields[14])) * 10;
}

/** CPU ms so far of this process and of the Postgres backends serving database `name` (the pool's connections). */
async function cpuOf(prisma: PrismaClient, name: string): Promise<{ client: number; postgres: number }> {
  const pids = await prisma.$queryRaw<{ pid: number }[]>`SELECT pid FROM pg_stat_activity WHERE datname = ${name}`;
  let postgres = 0;
  for (const { pid } of pids) postgres += procCpuMs(pid);
  const self = process.cpuUsage();
  return { client: (self.user + self.system) / 1000, postgres };
}

const cpuBetween = (a: { client: number; postgres: number }, b: { client: number; postgres: number }) =>
  `CPU: this process ${fmt((b.client - a.client) / 1000, 2)} s, Postgres ${fmt((b.postgres - a.postgres) / 1000, 2)} s`;

/** Runs of (a)/(b) per concurrency: this machine's noise moves one run's ratio by ±10 points. */
const LOAD_REPEAT = Number(args.repeat ?? 3);
/** The provider's syncLookBackDays (every sandbox bank's): a scheduled sync's window starts that far before the newest booked date. */
const LOOK_BACK_DAYS = 30;

interface LoadRun {
  /** COPY's time / the first sync's. */
  vsCopy: number;
  /** (b) The same data for the same window again / the first sync. */
  again: number;
  /** The scheduled sync's window (newest booked date − LOOK_BACK_DAYS to it) of the same data / the first sync. */
  scheduled: number;
}

async function benchLoad(): Promise<void> {
  line('(a)/(b) load path vs COPY');
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const range = (xs: number[]) => `${fmt(Math.min(...xs) * 100, 1)}-${fmt(Math.max(...xs) * 100, 1)} %`;
  const summary = (xs: number[]) => `median ${fmt(median(xs) * 100, 1)} % (${range(xs)}`;
  for (const concurrency of LOAD_CONCURRENCY) {
    const runs: LoadRun[] = [];
    for (let i = 0; i < LOAD_REPEAT; i++) {
      const r = await benchLoadAt(concurrency);
      if (r) runs.push(r);
    }
    if (runs.length === 0) continue;
    line(
      `  ${concurrency} job(s), ${runs.length} run(s): (a) load path / COPY ${summary(runs.map((r) => r.vsCopy))}; target >= 75 %); ` +
        `(b) re-sync / first sync ${summary(runs.map((r) => r.again))}; target <= 10 %); ` +
        `scheduled re-sync / first sync ${summary(runs.map((r) => r.scheduled))})`,
    );
  }
}

let cachedSample: Sample | undefined;

/** A sample written by --dumpSample: the items and the connector's digest of each, in order. */
function readSample(file: string): Sample {
  const { items, digests } = JSON.parse(readFileSync(file, 'utf8')) as {
    items: Transaction[];
    digests: (string | null)[];
  };
  const map: ItemDigests = new WeakMap();
  for (const [i, t] of items.entries()) {
    const digest = digests[i];
    if (typeof digest === 'string') map.set(t, digest);
  }
  return { items, digests: map };
}

function writeSample(file: string, { items, digests }: Sample): void {
  writeFileSync(file, JSON.stringify({ items, digests: items.map((t) => digests.get(t)) }));
}

async function benchLoadAt(concurrency: number): Promise<LoadRun | undefined> {
  // --sample=FILE: a sample written by --dumpSample earlier (same data, without starting the sandbox).
  const { items: sample, digests } = (cachedSample ??= args.sample
    ? readSample(args.sample)
    : await sampleTransactions());
  if (args.dumpSample) writeSample(args.dumpSample, cachedSample);
  const dates = sample.map((t) => t.bookingDate).sort();
  const window = { from: dates[0], to: dates.at(-1)! };
  if (args.dumpSample) return;
  const db = createDatabase('load');
  const prisma = createPrismaClient({ url: db.url, poolSize: concurrency + 1 });
  try {
    const t = await loadTarget(prisma, ACCOUNTS);
    const rows = sample.length * ACCOUNTS;
    line(
      `  ${fmt(ACCOUNTS)} accounts (${t.consents.length} consents) x ${fmt(sample.length)} transactions (allstar/alice, mapped by the connector) = ${fmt(rows)} rows; raw JSON ~${fmt(JSON.stringify(sample[0].raw).length)} bytes each; ${concurrency} job(s) at once`,
    );
    await prisma.$executeRawUnsafe('CHECKPOINT');
    // Wall times are the measure; CPU beside them shows where each went (this machine is shared).
    let cpu = await cpuOf(prisma, db.name);
    let started = performance.now();
    const written = await loadPath(t, sample, digests, window, concurrency, false);
    const first = performance.now() - started;
    let cpuAfter = await cpuOf(prisma, db.name);
    line(
      `  (a) load path, first sync:   ${fmt(first)} ms  ${fmt(rows / (first / 1000))} rows/s  (+ ${fmt(written)} change rows, ${ACCOUNTS} events); ${cpuBetween(cpu, cpuAfter)}`,
    );
    // (b) The same answer for the same window: new to the worker, compared by the day digests of the
    // connector's digests (no item's text made again), which each account's fingerprint vouches for.
    cpu = cpuAfter;
    started = performance.now();
    const rewritten = await loadPath(t, sample, digests, window, concurrency, true);
    const again = performance.now() - started;
    cpuAfter = await cpuOf(prisma, db.name);
    line(
      `  (b) load path, same data again: ${fmt(again)} ms (${rewritten} rows written) = ${fmt((again / first) * 100, 1)} % of the first sync (target <= 10 %); ${cpuBetween(cpu, cpuAfter)}`,
    );
    // What a scheduled re-sync asks the bank for (sync-plan's transactionWindow): from the look-back
    // before the newest booked date held; the bank answers with that window's items.
    const recent = { from: addDays(window.to, -LOOK_BACK_DAYS), to: window.to };
    const recentItems = sample.filter((x) => x.bookingDate >= recent.from);
    started = performance.now();
    const scheduledWritten = await loadPath(t, recentItems, digests, recent, concurrency, true);
    const scheduled = performance.now() - started;
    line(
      `      scheduled re-sync of the same data (${recent.from}..${recent.to}, ${fmt(recentItems.length)} transactions per account): ${fmt(scheduled)} ms (${scheduledWritten} rows written) = ${fmt((scheduled / first) * 100, 1)} % of the first sync`,
    );
    const copy = await copyBaseline(t, sample, db.url);
    line(
      `  (a) psql \\copy, same rows:    ${fmt(copy.ms)} ms  ${fmt(copy.rows / (copy.ms / 1000))} rows/s; CPU: psql ${fmt(copy.cpu.client / 1000, 2)} s, Postgres ${fmt(copy.cpu.postgres / 1000, 2)} s`,
    );
    line(`  (a) load path / COPY = ${fmt((copy.ms / first) * 100, 1)} % (target >= 75 %)`);
    return { vsCopy: copy.ms / first, again: again / first, scheduled: scheduled / first };
  } finally {
    await prisma.$disconnect();
    await db.drop();
  }
}

// ───────────────────────────── (c): end to end ─────────────────────────────

function procStatus(pid: number): { rss: number; hwm: number } {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(text)?.[1] ?? 0) * 1024;
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}
function procCpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

/** One more connector-service, as its own process from dist/, in the harness's NATS queue group. */
async function startConnectorProcess(h: SyncHarness): Promise<ChildProcess> {
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  const child = spawn(process.execPath, [path.join(repoRoot, 'dist/apps/connector-service/src/main.js')], {
    cwd: repoRoot,
    env: {
      ...h.env,
      CONNECTOR_SANDBOX_URL: h.sandbox.url,
      CONNECTOR_SANDBOX_MTLS_URL: h.sandbox.mtlsUrl,
      CONNECTOR_SERVICE_PORT: String(port),
      CONNECTOR_ONBOARD_ON_START: 'false',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  for (let i = 0; i < 240; i++) {
    if (child.exitCode !== null) throw new Error(`connector-service exited (${child.exitCode})`);
    if (
      await fetch(`http://127.0.0.1:${port}/health/ready`).then(
        (r) => r.ok,
        () => false,
      )
    )
      return child;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error('connector-service not ready');
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  await new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

/**
 * (c) options. --consents=1000,10000: each count in its own database with its own worker process, so
 * each count's peak RSS (VmHWM) is its own; the last line compares them (issue 17 item 6: 10,000 within
 * 1.2x of 1,000). --rounds: first (initial, PSU present, the full window), resync (PSU present,
 * incremental), scheduled (the worker's own scheduler claims every consent and runs it unattended,
 * incremental: the issue's "scheduled re-sync"). --authorise=clone: one consent through the OAuth flow
 * and the others as copies of it at the bank (own ids and tokens; an OAuth flow costs ~0.1 s, so 10,000
 * would take longer than their syncs). --prof=1: the worker under node --cpu-prof and this process
 * (sandbox banks, connector-service, token vault) under the inspector's profiler, per round; summaries
 * printed, files in tmp/bench-sync-prof/<count>/ (node dist/bench/sync/profile-summary.js <dir>).
 */
type Round = 'first' | 'copy' | 'resync' | 'scheduled';
const E2E_ROUNDS = (args.rounds ?? 'first,resync,scheduled').split(',') as Round[];
const AUTHORISE = (args.authorise ?? 'oauth') as 'oauth' | 'clone';
const E2E_PROFILE = args.prof === '1';
const PROFILE_ROOT = path.resolve(repoRoot, args.profDir ?? 'tmp/bench-sync-prof');
const SCHEDULER_EVERY_MS = Number(args.schedulerEveryMs ?? 1000);
/** The connector-service keeps tokens until the vault would refresh them, as in production (--tokenCache=0: asks every call). */
const TOKEN_CACHE = args.tokenCache !== '0';
/** Connections of this process's pool (the connector-service's access guard, the vault, the polling). */
const HARNESS_POOL = Number(args.harnessPool ?? 10);
/**
 * --heapSnapshots=1: the worker writes a heap snapshot at the end of every round (tmp/bench-sync-heap/<count>/):
 * what is live after a full GC, round after round. Writing one raises the worker's RSS for good: not for
 * the memory comparison.
 */
const HEAP_SNAPSHOTS = args.heapSnapshots === '1';
/** --workerNodeArgs="--max-semi-space-size=32 …": node options of the worker process. */
const WORKER_NODE_ARGS =
  process.argv
    .find((a) => a.startsWith('--workerNodeArgs='))
    ?.slice('--workerNodeArgs='.length)
    .split(' ')
    .filter(Boolean) ?? [];
/** The worker's DATABASE_POOL_SIZE (default: half the concurrency, at least 10). */
const WORKER_POOL = Number(args.workerPool ?? Math.max(10, Math.ceil(CONCURRENCY / 2)));
const ROUND_TITLE = {
  first: 'first sync',
  copy: 'first sync of one consent, its data copied to the others',
  resync: 're-sync (PSU present, incremental)',
  scheduled: 'scheduled re-sync (unattended, incremental)',
} as const;

/** CLOCK_MONOTONIC in microseconds: the clock V8's CPU profiles are stamped with on Linux. */
const monotonicMicros = () => Number(process.hrtime.bigint() / 1000n);

/** This process's CPU profile (the sandbox banks and the connector-service run here), between start and stop. */
async function profileHere(): Promise<{ stop(file: string): Promise<void> }> {
  const { Session } = await import('node:inspector/promises');
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return {
    stop: async (file) => {
      const { profile } = await session.post('Profiler.stop');
      writeFileSync(file, JSON.stringify(profile));
      session.disconnect();
    },
  };
}

/** Has the worker (--heapsnapshot-signal=SIGWINCH) write a heap snapshot; answers the file once written. */
async function heapSnapshot(pid: number, dir: string): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const before = new Set(readdirSync(dir));
  process.kill(pid, 'SIGWINCH');
  for (let i = 0; i < 600; i++) {
    await new Promise((r) => setTimeout(r, 500));
    const file = readdirSync(dir).find((f) => !before.has(f) && f.endsWith('.heapsnapshot'));
    if (!file) continue;
    const size = statSync(path.join(dir, file)).size;
    await new Promise((r) => setTimeout(r, 1000));
    if (statSync(path.join(dir, file)).size === size && size > 0) return path.join(dir, file);
  }
  return 'none written';
}

/** The worker's own view of its memory (prom-client's default metrics on its /metrics). */
async function workerMemory(port: number): Promise<string> {
  try {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const value = (name: string) => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)`, 'm').exec(text)?.[1] ?? NaN);
    return `RSS ${mb(value('process_resident_memory_bytes'))}, V8 heap used ${mb(value('nodejs_heap_size_used_bytes'))} of ${mb(value('nodejs_heap_size_total_bytes'))}, external ${mb(value('nodejs_external_memory_bytes'))}`;
  } catch {
    return 'metrics unavailable';
  }
}

/** Calls the bank counted so far, all resources, PSU-present and unattended. */
function bankCalls(h: SyncHarness): {
  psuPresent: number;
  unattended: number;
  rejected429: number;
  byResource: Map<string, number>;
} {
  const totals = h.sandbox.callTotals('allstar');
  const out = { psuPresent: 0, unattended: 0, rejected429: 0, byResource: new Map<string, number>() };
  for (const [resource, t] of totals) {
    out.psuPresent += t.psuPresent;
    out.unattended += t.unattended;
    out.rejected429 += t.rejected429;
    out.byResource.set(resource, t.psuPresent + t.unattended);
  }
  return out;
}

/** CPU ms so far of this database's Postgres backends, by pid (they live as long as the pools' connections). */
async function postgresCpu(h: SyncHarness): Promise<Map<number, number>> {
  const rows = await h.prisma.$queryRaw<
    { pid: number }[]
  >`SELECT pid FROM pg_stat_activity WHERE datname = current_database()`;
  const out = new Map<number, number>();
  for (const { pid } of rows) {
    try {
      out.set(pid, procCpuMs(pid));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}
const cpuSince = (before: Map<number, number>, after: Map<number, number>) =>
  [...after].reduce((sum, [pid, ms]) => sum + ms - (before.get(pid) ?? 0), 0);

/**
 * The `copy` round: what the first sync of every consent would store, without syncing them all (10,000
 * first syncs take longer than the scheduled re-sync they prepare): the first consent is synced by the
 * worker, then its accounts and every row hanging off them (transactions, balances, resources…, the
 * change feed aside) are copied to the other consents with ids of their own, and the consents marked
 * synced like it. The same bank data per consent (all are copies of one bank consent), so the scheduled
 * round that follows does the same work for each.
 */
async function copyFirstSync(h: SyncHarness, consents: string[]): Promise<void> {
  const [template, ...clones] = consents;
  await h.waitForRun(await h.request(template, { trigger: 'initial', psuIpAddress: PSU_IP }), 600_000);
  const db = new pg.Client({ connectionString: h.db.url });
  await db.connect();
  try {
    // An id of the copy: the original's prefix and a body from the clone's consent id and the original id.
    const mapped = (consent: string, id: string) =>
      `split_part(${id}, '_', 1) || '_' || upper(substr(md5(${consent} || ${id}), 1, 26))`;
    await db.query('CREATE TEMP TABLE clone_consents (consent_id text PRIMARY KEY)');
    for (let i = 0; i < clones.length; i += 5000)
      await db.query('INSERT INTO clone_consents SELECT unnest($1::text[])', [clones.slice(i, i + 5000)]);
    await db.query(
      `CREATE TEMP TABLE clone_accounts AS SELECT c.consent_id, a.id AS old_id, ${mapped('c.consent_id', 'a.id')} AS new_id
         FROM clone_consents c CROSS JOIN accounts a WHERE a.consent_id = $1`,
      [template],
    );
    const columns = async (table: string) =>
      (
        await db.query<{ column_name: string; data_type: string }>(
          `SELECT column_name, data_type FROM information_schema.columns
            WHERE table_schema = 'public' AND table_name = $1 ORDER BY ordinal_position`,
          [table],
        )
      ).rows;
    const tables = (
      await db.query<{ table_name: string }>(
        `SELECT DISTINCT table_name FROM information_schema.columns
          WHERE table_schema = 'public' AND column_name = 'account_id' AND table_name <> 'transaction_changes'`,
      )
    ).rows.map((r) => r.table_name);
    for (const table of ['accounts', ...tables.sort()]) {
      const names = (await columns(table))
        .filter((c) => !(c.column_name === 'id' && c.data_type !== 'text'))
        .map((c) => c.column_name);
      const expr = (c: string) => {
        if (c === 'account_id' || (table === 'accounts' && c === 'id')) return 'm.new_id';
        if (c === 'consent_id') return 'm.consent_id';
        if (c === 'id' || c === 'pending_transaction_id')
          return `CASE WHEN t.${c} IS NULL THEN NULL ELSE ${mapped('m.consent_id', `t.${c}`)} END`;
        return `t."${c}"`;
      };
      const result = await db.query(
        `INSERT INTO ${table} (${names.map((n) => `"${n}"`).join(', ')})
         SELECT ${names.map(expr).join(', ')}
           FROM ${table} t JOIN clone_accounts m ON m.old_id = t.${table === 'accounts' ? 'id' : 'account_id'}`,
      );
      if (result.rowCount) line(`      copied ${fmt(result.rowCount)} ${table} rows`);
    }
    await db.query(
      `UPDATE consents c SET last_synced_at = t.last_synced_at, next_sync_at = t.next_sync_at
         FROM consents t WHERE t.id = $1 AND c.id IN (SELECT consent_id FROM clone_consents)`,
      [template],
    );
    await db.query('ANALYZE');
  } finally {
    await db.end();
  }
}

async function authoriseAll(h: SyncHarness, count: number): Promise<string[]> {
  const from = addDays(localDateOf(h.clock.now(), 'Europe/London'), -HISTORY_DAYS);
  const started = performance.now();
  const consents: string[] = [];
  const viaOAuth = AUTHORISE === 'clone' ? Math.min(count, 1) : count;
  const queue = Array.from({ length: viaOAuth }, (_, i) => i);
  const authorised: Awaited<ReturnType<SyncHarness['authorise']>>[] = [];
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (queue.shift() !== undefined)
        authorised.push(await h.authorise('allstar', PSUS.alice, { transactionsFrom: from }));
    }),
  );
  consents.push(...authorised.map((c) => c.consentId));
  if (count > viaOAuth)
    consents.push(...(await h.cloneConsents(authorised[0], count - viaOAuth)).map((c) => c.consentId));
  line(
    `  ${fmt(count)} consents authorised in ${fmt((performance.now() - started) / 1000, 1)} s (${fmt(viaOAuth)} through the OAuth flow${count > viaOAuth ? `, ${fmt(count - viaOAuth)} as copies of the first at the bank` : ''})`,
  );
  return consents;
}

/** Requests the round's runs as the gateway would (8 at a time); answers their ids. */
async function requestRuns(h: SyncHarness, consents: string[], round: 'first' | 'resync'): Promise<string[]> {
  const runIds: string[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      for (let i = next++; i < consents.length; i = next++)
        runIds.push(
          await h.request(consents[i], {
            trigger: round === 'first' ? 'initial' : 'psu_present',
            psuIpAddress: PSU_IP,
          }),
        );
    }),
  );
  return runIds;
}

interface RoundResult {
  round: Round;
  accountSyncsPerSecond: number;
  peakRss: number;
}

/** One count of consents: its own database, harness and worker process. */
async function e2eAt(count: number): Promise<{ hwm: number; rounds: RoundResult[] }> {
  line(
    `(c) end to end: ${fmt(count)} consents x 3 accounts (allstar/alice, ${HISTORY_DAYS} days of history), worker concurrency ${CONCURRENCY}, rounds ${E2E_ROUNDS.join(', ')}, connector token cache ${TOKEN_CACHE ? 'on' : 'off'}`,
  );
  const h = await SyncHarness.start({
    worker: false,
    database: createDatabase('e2e'),
    env: {
      LOG_LEVEL: 'warn',
      CONNECTOR_RATE_PER_SECOND: '5000',
      CONNECTOR_RATE_BURST: '5000',
      CONNECTOR_TIMEOUT_MS: '60000',
      RPC_TIMEOUT_MS: '120000',
      SYNC_CONCURRENCY: String(CONCURRENCY),
      SYNC_QUEUE_LIMIT_MAX: '10000',
      SYNC_SCHEDULER_EVERY_MS: String(SCHEDULER_EVERY_MS),
    },
    tokenCache: TOKEN_CACHE,
    poolSize: HARNESS_POOL,
  });
  const profileDir = path.join(PROFILE_ROOT, String(count));
  if (E2E_PROFILE) {
    rmSync(profileDir, { recursive: true, force: true });
    mkdirSync(path.join(profileDir, 'worker'), { recursive: true });
  }
  const worker = WorkerProcess.build({ ...h.env, DATABASE_POOL_SIZE: String(WORKER_POOL) }, 'bench', [
    ...WORKER_NODE_ARGS,
    ...(HEAP_SNAPSHOTS
      ? [
          '--heapsnapshot-signal=SIGWINCH',
          `--diagnostic-dir=${path.join(repoRoot, 'tmp/bench-sync-heap', String(count))}`,
        ]
      : []),
    ...(E2E_PROFILE
      ? [
          '--cpu-prof',
          `--cpu-prof-dir=${path.join(profileDir, 'worker')}`,
          // Nest re-raises SIGTERM after closing, and a process that dies of a signal writes no profile.
          `--import=${path.join(repoRoot, 'dist/bench/read/exit-on-sigusr2.js')}`,
        ]
      : []),
  ]);
  const windows: Windows = {};
  const results: RoundResult[] = [];
  let hwm = 0;
  try {
    const consents = await authoriseAll(h, count);
    await worker.start();
    const pid = worker.pid!;
    line(`  worker started: RSS ${mb(procStatus(pid).rss)}`);
    const extra: ChildProcess[] = [];
    try {
      for (const instances of CONNECTOR_INSTANCES) {
        while (extra.length < instances - 1) extra.push(await startConnectorProcess(h));
        while (extra.length > instances - 1) await stopProcess(extra.pop()!);
        if (CONNECTOR_INSTANCES.length > 1) line(`  ${instances} connector-service instance(s):`);
        for (const latency of LATENCIES) {
          await h.prisma.$executeRawUnsafe(
            'TRUNCATE transactions, transaction_changes, balances, balance_history, statement_transactions, account_resources, events, sync_runs, accounts CASCADE',
          );
          await h.prisma.consent.updateMany({ data: { lastSyncedAt: null, nextSyncAt: null } });
          await h.prisma.$executeRawUnsafe('CHECKPOINT');
          await h.sandbox.faults('allstar', { latencyMs: latency });
          for (const round of E2E_ROUNDS) {
            // What autovacuum does after a large load, done at once and untimed: each round's plans then
            // rest on statistics of the data it finds, not on when the daemon last woke (a round after a
            // first sync of 1.4 M rows otherwise ran on statistics of a nearly empty table).
            await h.prisma.$executeRawUnsafe('VACUUM (ANALYZE)');
            await h.prisma.$executeRawUnsafe('CHECKPOINT');
            const label = `${CONNECTOR_INSTANCES.length > 1 ? `${instances} connector(s), ` : ''}latency ${latency} ms, ${ROUND_TITLE[round]}`;
            const cpuWorker0 = procCpuMs(pid);
            const cpuHere0 = process.cpuUsage();
            const calls0 = bankCalls(h);
            const pg0 = await postgresCpu(h);
            const profiler = E2E_PROFILE ? await profileHere() : undefined;
            const t0 = performance.now();
            const from = monotonicMicros();
            const queuedFrom = new Date(Math.min(Date.now(), h.clock.now().getTime()) - 1000);
            if (round === 'copy') {
              await copyFirstSync(h, consents);
            } else if (round === 'scheduled') {
              // Every consent due now: the worker's scheduler claims them in SYNC_SCHEDULER_BATCH batches.
              await h.prisma
                .$executeRaw`UPDATE consents SET next_sync_at = ${new Date(h.clock.now().getTime() - 1000)} WHERE id = ANY(${consents}::text[])`;
            } else await requestRuns(h, consents, round);
            // One run per consent and round, queued from now on (no list of ids to send with each poll).
            const trigger = (
              { first: 'initial', copy: 'initial', resync: 'psu_present', scheduled: 'scheduled' } as const
            )[round];
            const where = { trigger, queuedAt: { gte: queuedFrom } };
            const expected = round === 'copy' ? 1 : consents.length;
            const peaks: string[] = [];
            let done = 0;
            let nextMark = 0.25;
            let peakRss = 0;
            while (done < expected) {
              await new Promise((r) => setTimeout(r, 200));
              done = await h.prisma.syncRun.count({
                where: { ...where, status: { in: ['succeeded', 'failed', 'deferred'] } },
              });
              const { rss } = procStatus(pid);
              peakRss = Math.max(peakRss, rss);
              while (done / expected >= nextMark && nextMark <= 1) {
                peaks.push(`${fmt(nextMark * 100)} %: ${mb(peakRss)}`);
                nextMark += 0.25;
              }
            }
            const to = monotonicMicros();
            const seconds = (performance.now() - t0) / 1000;
            await profiler?.stop(path.join(profileDir, `bench-${label.replace(/[^a-z0-9]+/gi, '-')}.cpuprofile`));
            windows[label] = [from, to, consents.length * 3];
            const failed = await h.prisma.syncRun.count({ where: { ...where, status: { not: 'succeeded' } } });
            const cpuWorker = (procCpuMs(pid) - cpuWorker0) / 1000;
            const here = process.cpuUsage(cpuHere0);
            const calls1 = bankCalls(h);
            const cpuPostgres = cpuSince(pg0, await postgresCpu(h)) / 1000;
            // After the CPU figures: counting 1M rows is Postgres work of its own.
            const rows = await h.prisma.transaction.count();
            const perConsent = (n: number) => fmt(n / consents.length, 1);
            const byResource = [...calls1.byResource]
              .map(([r, n]) => [r, n - (calls0.byResource.get(r) ?? 0)] as const)
              .filter(([, n]) => n > 0)
              .map(([r, n]) => `${r} ${perConsent(n)}`)
              .join(', ');
            const rate = (consents.length * 3) / seconds;
            results.push({ round, accountSyncsPerSecond: rate, peakRss });
            if (round === 'copy') {
              line(`  ${label}: ${fmt(seconds, 1)} s, ${fmt(rows)} transactions stored`);
              continue;
            }
            line(
              `  ${label}: ${fmt(seconds, 1)} s, ${fmt(rate, 1)} account syncs/s, ${fmt(rows)} transactions stored, ${failed} not succeeded`,
            );
            line(
              `      CPU: worker ${fmt(cpuWorker, 1)} s (${fmt((cpuWorker / seconds) * 100)} % of one core), sandbox + connector-service ${fmt((here.user + here.system) / 1e6, 1)} s (${fmt(((here.user + here.system) / 1e6 / seconds) * 100)} %), Postgres ${fmt(cpuPostgres, 1)} s; per account sync: worker ${fmt((cpuWorker * 1000) / (consents.length * 3), 1)} ms, sandbox + connector ${fmt((here.user + here.system) / 1000 / (consents.length * 3), 1)} ms, Postgres ${fmt((cpuPostgres * 1000) / (consents.length * 3), 1)} ms`,
            );
            line(
              `      bank calls per consent: ${perConsent(calls1.psuPresent - calls0.psuPresent)} PSU present, ${perConsent(calls1.unattended - calls0.unattended)} unattended, ${calls1.rejected429 - calls0.rejected429} answered 429 (${byResource})`,
            );
            line(
              `      worker RSS peak as runs complete: ${peaks.join(', ')}; at the end ${await workerMemory(worker.port!)}`,
            );
            if (HEAP_SNAPSHOTS)
              line(
                `      heap snapshot: ${await heapSnapshot(pid, path.join(repoRoot, 'tmp/bench-sync-heap', String(count)))}`,
              );
            const timing = await h.prisma.$queryRaw<{ run_p50: number; run_p95: number; wait_p50: number }[]>`
          SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM finished_at - started_at)) AS run_p50,
                 percentile_cont(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM finished_at - started_at)) AS run_p95,
                 percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM started_at - queued_at)) AS wait_p50
            FROM sync_runs WHERE trigger = ${trigger}::"SyncTrigger" AND queued_at >= ${queuedFrom}`;
            line(
              `      run duration p50 ${fmt(timing[0].run_p50, 2)} s, p95 ${fmt(timing[0].run_p95, 2)} s; queue wait p50 ${fmt(timing[0].wait_p50, 2)} s`,
            );
          }
        }
      }
    } finally {
      for (const p of extra) await stopProcess(p);
    }
    hwm = procStatus(pid).hwm;
    line(`  worker peak RSS over everything (VmHWM): ${mb(hwm)}`);
    if (E2E_PROFILE) {
      await worker.kill('SIGUSR2');
      writeFileSync(path.join(profileDir, 'windows.json'), JSON.stringify(windows));
      line(
        `  CPU profiles in ${path.relative(repoRoot, profileDir)}/ (node dist/bench/sync/profile-summary.js ${path.relative(repoRoot, profileDir)}):`,
      );
      for (const l of reportRun(profileDir, Number(args.profTop ?? 12))) line(l);
    }
  } finally {
    await worker.dispose();
    await h.close();
  }
  return { hwm, rounds: results };
}

async function benchEndToEnd(): Promise<void> {
  const runs: { count: number; hwm: number; rounds: RoundResult[] }[] = [];
  for (const count of CONSENTS) runs.push({ count, ...(await e2eAt(count)) });
  if (runs.length < 2) return;
  const [base] = runs;
  const compare = (title: string, peakOf: (r: (typeof runs)[number]) => number | undefined) => {
    const b = peakOf(base);
    if (!b) return;
    line(
      `  ${title}: ${runs.map((r) => `${fmt(r.count)} consents ${mb(peakOf(r) ?? 0)}`).join(', ')}; ${runs
        .slice(1)
        .map((r) => `${fmt(r.count)} / ${fmt(base.count)} = ${fmt((peakOf(r) ?? 0) / b, 2)}x`)
        .join(', ')} (goal <= 1.2x)`,
    );
  };
  line("(c) the worker's peak memory by consents synced (issue 17 item 6):");
  compare('peak RSS over the whole run (VmHWM)', (r) => r.hwm);
  for (const round of E2E_ROUNDS.filter((x) => x !== 'copy'))
    compare(`peak RSS during the ${ROUND_TITLE[round]}`, (r) =>
      Math.max(0, ...r.rounds.filter((x) => x.round === round).map((x) => x.peakRss)),
    );
}

// ───────────────────────────── (d): a transactions window on the wire ─────────────────────────────

/**
 * (d) The CPU a window of transactions costs on its way from the connector-service to the worker's
 * comparison with what is stored, both ways in the same run, on the same sample (in pages of
 * `--pageSize=100` like Allstar's; a scheduled window is often one smaller page): the connector's reply (before: the page's JSON as one string, measured by
 * HeldPages and again by the serializer, then encoded by NATS; now: `pageJson`, each draft's text as
 * bytes and its digest, in one Buffer.concat with the envelope) and the worker's day digests (before:
 * every item's content hash, `hashAll` + `dayDigests`; now: `dayDigestsOfDrafts` of the digests).
 */
async function benchPages(): Promise<void> {
  const { items, digests } = (cachedSample ??= args.sample ? readSample(args.sample) : await sampleTransactions());
  const drafts = items.map(({ idSource: _source, identityKey: _key, ...draft }) => draft);
  const pages: TransactionsPage[] = [];
  const size = Number(args.pageSize ?? 100);
  for (let i = 0; i < drafts.length; i += size)
    pages.push({
      order: 'bank',
      accounts: [{ accountId: 'a', transactions: drafts.slice(i, i + size) }],
      nextCursor: 'n',
    });
  const envelope = JSON.stringify({ id: randomBytes(8).toString('hex'), isDisposed: true }).slice(0, -1);
  const encoder = new TextEncoder();
  const sent = items.map((t) => digests.get(t)!);
  const ways: [string, () => unknown][] = [
    [
      'connector, before: one string per page, measured twice, encoded',
      () => {
        for (const page of pages) {
          const json = JSON.stringify(page);
          void Buffer.byteLength(json);
          const data = `${envelope},"response":${json}}`;
          void Buffer.byteLength(data);
          encoder.encode(data);
        }
      },
    ],
    [
      'connector, now: pageJson (bytes and digests per draft)',
      () => {
        for (const page of pages) Buffer.concat([Buffer.from(`${envelope},"response":`), pageJson(page), CLOSE]);
      },
    ],
    ['worker, before: hashAll + dayDigests', async () => dayDigests(items, await hashAll(items))],
    ['worker, now: dayDigestsOfDrafts of the digests', () => dayDigestsOfDrafts(items, sent)],
  ];
  line(
    `(d) one window of ${fmt(items.length)} transactions on the wire in pages of ${size}, ms of CPU (median of ${LOAD_REPEAT} x 20):`,
  );
  for (const [title, f] of ways) {
    const runs: number[] = [];
    for (let r = 0; r < LOAD_REPEAT; r++) {
      for (let i = 0; i < 5; i++) await f();
      const started = process.cpuUsage();
      for (let i = 0; i < 20; i++) await f();
      const used = process.cpuUsage(started);
      runs.push((used.user + used.system) / 1000 / 20);
    }
    line(`  ${title}: ${fmt(runs.sort((a, b) => a - b)[Math.floor(runs.length / 2)], 1)} ms`);
  }
}

const CLOSE = Buffer.from('}');

line(`sync benchmark on ${os.cpus().length} CPU(s) ${os.cpus()[0]?.model ?? ''}, node ${process.version}`);
if (!only || only === 'load') await benchLoad();
if (!only || only === 'e2e') await benchEndToEnd();
if (!only || only === 'pages') await benchPages();
process.exit(0);
