// Sync benchmark: run by hand, not in npm test.
//
//   npx swc apps libs bench -d dist --quiet && node dist/bench/sync/bench.js [--only=load|e2e] [--repeat=3] [--accounts=40] [--consents=1000] [--latencies=0,100] [--concurrency=32] [--connectors=1]
//
// (a) ingestion rows/s of the sync's load path (diff + unnest upsert + change rows + events, one
//     transaction per account) against psql's \copy of the same rows into the same table, same indexes;
// (b) re-sync of unchanged data against the first sync, on the same path;
// (c) account syncs/s end to end: N consents x 3 accounts against the sandbox (in this process, with
//     the connector-service's classes), the sync-worker as its own process, at each bank latency; the
//     worker's peak memory as the number of consents synced grows, and where the CPU went;
//     --connectors=1,2,3: the same with 1, 2 and 3 connector-service instances (the in-process one plus
//     connector-service processes from dist/ in the same NATS queue group), same run.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
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
import { MAX_TRANSACTION_IDS_PER_EVENT } from '@ais/contracts';
import { addDays, localDateOf, newId, readTransactionWindow, type Transaction } from '@ais/domain';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import {
  diffTransactions,
  serialiseAll,
  toTransactionRow,
  transactionHash,
} from '../../apps/sync-worker/src/sync/transaction-diff.js';
import { PSUS, PSU_IP, SyncHarness } from '../../apps/sync-worker/test/sync-harness.js';
import { WorkerProcess } from '../../apps/sync-worker/test/worker-process.js';
import { repoRootFrom } from '../../apps/sync-worker/test/repo-root.js';

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
const CONSENTS = Number(args.consents ?? 1000);
const LATENCIES = (args.latencies ?? '0,100').split(',').map(Number);
const CONCURRENCY = Number(args.concurrency ?? 32);
const CONNECTOR_INSTANCES = (args.connectors ?? '1').split(',').map(Number);
const HISTORY_DAYS = Number(args.historyDays ?? 400);
const LOAD_CONCURRENCY = (args.loadConcurrency ?? '1,4').split(',').map(Number);

const fmt = (n: number, d = 0) => n.toLocaleString('en-GB', { maximumFractionDigits: d, minimumFractionDigits: d });
const mb = (bytes: number) => `${fmt(bytes / 1_048_576)} MB`;
const line = (s = '') => console.log(s);

// ───────────────────────────── (a) and (b): the load path ─────────────────────────────

/** Real bank data: one consent's transactions through the connector, reused for every synthetic account. */
async function sampleTransactions(): Promise<Transaction[]> {
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
    const byAccount = await readTransactionWindow(accountIds, (cursor) =>
      h.connector.send('connector.getTransactionsPage', {
        providerId: 'allstar',
        context,
        accountIds,
        from: addDays(today, -730),
        to: today,
        status: 'both',
        ...(cursor === undefined ? {} : { cursor }),
      }),
    );
    return [...byAccount.values()].flat();
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
 * The worker's account batches, as SyncService.loadAccount does them (balances aside): consents side
 * by side (`concurrency` jobs, as SYNC_CONCURRENCY), each consent's accounts one after the other.
 */
async function loadPath(
  t: LoadTarget,
  transactions: Transaction[],
  window: { from: string; to: string },
  concurrency: number,
): Promise<number> {
  const writes = new TransactionWriteRepository();
  const events = new EventRepository(t.prisma);
  const runs = new SyncRunRepository(t.prisma);
  let written = 0;
  const queue = [...t.consents];
  // As the worker does: the next account's items are serialised (the CPU-heavy part) while the
  // current account's batch is in the database.
  const prepare = () => serialiseAll(transactions);
  const job = async () => {
    for (let c = queue.shift(); c; c = queue.shift()) {
      const { consentId, runId } = c;
      let next = prepare();
      for (const [i, accountId] of c.accountIds.entries()) {
        const serialised = await next;
        if (i + 1 < c.accountIds.length) next = prepare();
        await t.prisma.$transaction(
          async (tx) => {
            await lockConsentSync(tx, consentId);
            const stored = await writes.loadForDiff(
              tx,
              accountId,
              window,
              new Date(Date.now() - 10 * 86_400_000),
              transactions.map((x) => x.identityKey),
            );
            const diff = diffTransactions(transactions, stored, window, serialised);
            if (diff.upserts.length + diff.removedIds.length === 0) return;
            const now = new Date();
            const changes = await writes.write(tx, {
              tenantId: t.tenantId,
              consentId,
              accountId,
              upserts: diff.upserts,
              removedIds: diff.removedIds,
              now,
            });
            await runs.addCounts(tx, runId, diff.counts);
            const ids = changes.filter((x) => x.kind === 'added').map((x) => x.transactionId);
            await events.append(tx, t.tenantId, 'transactions.added', {
              consentId,
              accountId,
              syncRunId: runId,
              count: ids.length,
              transactionIds: ids.slice(0, MAX_TRANSACTION_IDS_PER_EVENT),
              truncated: ids.length > MAX_TRANSACTION_IDS_PER_EVENT,
            });
            written += changes.length;
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
): Promise<{ rows: number; ms: number }> {
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
  const started = performance.now();
  execFileSync(
    'psql',
    [
      databaseUrl,
      '-v',
      'ON_ERROR_STOP=1',
      '-q',
      '-c',
      `\\copy transactions (${COPY_COLUMNS.join(', ')}) FROM '${file}' WITH (FORMAT csv)`,
    ],
    { stdio: 'pipe' },
  );
  const ms = performance.now() - started;
  return { rows: lines.length, ms };
}

/** Runs of (a)/(b) per concurrency: this machine's noise moves one run's ratio by ±10 points. */
const LOAD_REPEAT = Number(args.repeat ?? 3);

async function benchLoad(): Promise<void> {
  line('(a)/(b) load path vs COPY');
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const range = (xs: number[]) => `${fmt(Math.min(...xs) * 100, 1)}-${fmt(Math.max(...xs) * 100, 1)} %`;
  for (const concurrency of LOAD_CONCURRENCY) {
    const runs: { vsCopy: number; again: number }[] = [];
    for (let i = 0; i < LOAD_REPEAT; i++) {
      const r = await benchLoadAt(concurrency);
      if (r) runs.push(r);
    }
    if (runs.length === 0) continue;
    const a = runs.map((r) => r.vsCopy);
    const b = runs.map((r) => r.again);
    line(
      `  ${concurrency} job(s), ${runs.length} run(s): (a) load path / COPY median ${fmt(median(a) * 100, 1)} % (${range(a)}; target >= 60 %); (b) re-sync / first sync median ${fmt(median(b) * 100, 1)} % (${range(b)}; target <= 50 %)`,
    );
  }
}

let cachedSample: Transaction[] | undefined;

async function benchLoadAt(concurrency: number): Promise<{ vsCopy: number; again: number } | undefined> {
  const sample = (cachedSample ??= await sampleTransactions());
  if (args.dumpSample) writeFileSync(args.dumpSample, JSON.stringify(sample));
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
    let started = performance.now();
    const written = await loadPath(t, sample, window, concurrency);
    const first = performance.now() - started;
    line(
      `  (a) load path, first sync:   ${fmt(first)} ms  ${fmt(rows / (first / 1000))} rows/s  (+ ${fmt(written)} change rows, ${ACCOUNTS} events)`,
    );
    started = performance.now();
    const rewritten = await loadPath(t, sample, window, concurrency);
    const again = performance.now() - started;
    line(
      `  (b) load path, same data again: ${fmt(again)} ms (${rewritten} rows written) = ${fmt((again / first) * 100, 1)} % of the first sync (target <= 50 %)`,
    );
    const copy = await copyBaseline(t, sample, db.url);
    line(`  (a) psql \\copy, same rows:    ${fmt(copy.ms)} ms  ${fmt(copy.rows / (copy.ms / 1000))} rows/s`);
    line(`  (a) load path / COPY = ${fmt((copy.ms / first) * 100, 1)} % (target >= 60 %)`);
    return { vsCopy: copy.ms / first, again: again / first };
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

async function benchEndToEnd(): Promise<void> {
  line(
    `(c) end to end: ${fmt(CONSENTS)} consents x 3 accounts (allstar/alice, ${HISTORY_DAYS} days of history), worker concurrency ${CONCURRENCY}`,
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
    },
  });
  const worker = WorkerProcess.build(
    { ...h.env, DATABASE_POOL_SIZE: String(Math.max(10, Math.ceil(CONCURRENCY / 2))) },
    'bench',
  );
  try {
    const from = addDays(localDateOf(h.clock.now(), 'Europe/London'), -HISTORY_DAYS);
    const started = performance.now();
    const consents: string[] = [];
    const queue = Array.from({ length: CONSENTS }, (_, i) => i);
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (queue.shift() !== undefined)
          consents.push((await h.authorise('allstar', PSUS.alice, { transactionsFrom: from })).consentId);
      }),
    );
    line(
      `  ${fmt(CONSENTS)} consents authorised through the OAuth flow in ${fmt((performance.now() - started) / 1000, 1)} s`,
    );
    await worker.start();
    const pid = worker.pid!;
    const extra: ChildProcess[] = [];
    try {
      for (const instances of CONNECTOR_INSTANCES) {
        while (extra.length < instances - 1) extra.push(await startConnectorProcess(h));
        while (extra.length > instances - 1) await stopProcess(extra.pop()!);
        if (CONNECTOR_INSTANCES.length > 1) line(`  ${instances} connector-service instance(s):`);
        for (const latency of LATENCIES) {
          await h.prisma.$executeRawUnsafe(
            'TRUNCATE transactions, transaction_changes, balances, balance_history, statement_transactions, account_resources, events, sync_runs, accounts',
          );
          await h.prisma.consent.updateMany({ data: { lastSyncedAt: null, nextSyncAt: null } });
          await h.prisma.$executeRawUnsafe('CHECKPOINT');
          await h.sandbox.faults('allstar', { latencyMs: latency });
          for (const round of ['first sync', 're-sync (incremental)'] as const) {
            const cpuWorker0 = procCpuMs(pid);
            const cpuHere0 = process.cpuUsage();
            const t0 = performance.now();
            const runIds: string[] = [];
            for (const id of consents)
              runIds.push(
                await h.request(id, {
                  trigger: round === 'first sync' ? 'initial' : 'psu_present',
                  psuIpAddress: PSU_IP,
                }),
              );
            const peaks: string[] = [];
            let done = 0;
            let nextMark = 0.25;
            let peakRss = 0;
            while (done < runIds.length) {
              await new Promise((r) => setTimeout(r, 200));
              done = await h.prisma.syncRun.count({
                where: { id: { in: runIds }, status: { in: ['succeeded', 'failed', 'deferred'] } },
              });
              const { rss } = procStatus(pid);
              peakRss = Math.max(peakRss, rss);
              while (done / runIds.length >= nextMark && nextMark <= 1) {
                peaks.push(`${fmt(nextMark * 100)} %: ${mb(peakRss)}`);
                nextMark += 0.25;
              }
            }
            const seconds = (performance.now() - t0) / 1000;
            const failed = await h.prisma.syncRun.count({
              where: { id: { in: runIds }, status: { not: 'succeeded' } },
            });
            const rows = await h.prisma.transaction.count();
            const cpuWorker = (procCpuMs(pid) - cpuWorker0) / 1000;
            const here = process.cpuUsage(cpuHere0);
            line(
              `  latency ${latency} ms, ${round}: ${fmt(seconds, 1)} s, ${fmt((runIds.length * 3) / seconds, 1)} account syncs/s, ${fmt(rows)} transactions stored, ${failed} not succeeded`,
            );
            line(
              `      CPU: worker ${fmt(cpuWorker, 1)} s (${fmt((cpuWorker / seconds) * 100)} % of one core), sandbox + connector-service ${fmt((here.user + here.system) / 1e6, 1)} s`,
            );
            line(`      worker RSS peak as runs complete: ${peaks.join(', ')}`);
            const timing = await h.prisma.$queryRaw<{ run_p50: number; run_p95: number; wait_p50: number }[]>`
          SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM finished_at - started_at)) AS run_p50,
                 percentile_cont(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM finished_at - started_at)) AS run_p95,
                 percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM started_at - queued_at)) AS wait_p50
            FROM sync_runs WHERE id = ANY(${runIds}::text[])`;
            line(
              `      run duration p50 ${fmt(timing[0].run_p50, 2)} s, p95 ${fmt(timing[0].run_p95, 2)} s; queue wait p50 ${fmt(timing[0].wait_p50, 2)} s`,
            );
          }
        }
      }
    } finally {
      for (const p of extra) await stopProcess(p);
    }
    line(`  worker peak RSS over everything (VmHWM): ${mb(procStatus(pid).hwm)}`);
  } finally {
    await worker.dispose();
    await h.close();
  }
}

line(`sync benchmark on ${os.cpus().length} CPU(s) ${os.cpus()[0]?.model ?? ''}, node ${process.version}`);
if (!only || only === 'load') await benchLoad();
if (!only || only === 'e2e') await benchEndToEnd();
process.exit(0);
