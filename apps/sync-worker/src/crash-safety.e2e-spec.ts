import { jest } from '@jest/globals';
import type { PrismaClient } from '@ais/db';
import { PSUS, PSU_IP, SyncHarness } from '../test/sync-harness.js';
import { WorkerProcess } from '../test/worker-process.js';

jest.setTimeout(180_000);

/** What a consent's sync left behind, in terms that do not depend on generated ids or timing. */
async function outcome(prisma: PrismaClient, consentId: string) {
  const transactions = await prisma.$queryRaw<
    { account: string; identity: string; status: string; amount: string; booking_date: string; replaces: boolean }[]
  >`
    SELECT a.identity_key AS account, t.identity_key AS identity, t.status::text AS status, t.amount::text AS amount,
           t.booking_date::text AS booking_date, t.pending_transaction_id IS NOT NULL AS replaces
      FROM transactions t JOIN accounts a ON a.id = t.account_id
     WHERE t.consent_id = ${consentId} AND t.removed_at IS NULL
     ORDER BY 1, 2`;
  const changes = await prisma.$queryRaw<{ kind: string; rows: number; transactions: number }[]>`
    SELECT kind, count(*)::int AS rows, count(DISTINCT transaction_id)::int AS transactions FROM transaction_changes WHERE consent_id = ${consentId} GROUP BY kind ORDER BY kind`;
  const events = await prisma.event.findMany({
    where: { data: { path: ['consentId'], equals: consentId } },
    orderBy: { seq: 'asc' },
  });
  const added = events
    .filter((e) => e.type === 'transactions.added')
    .map((e) => e.data as { accountId: string; count: number; transactionIds: string[] });
  const announcedIds = added.flatMap((e) => e.transactionIds);
  return {
    transactions,
    changes,
    eventTypes: [...new Set(events.map((e) => e.type))].sort(),
    completedEvents: events.filter((e) => e.type === 'sync.completed').length,
    announced: added.reduce((n, e) => n + e.count, 0),
    announcedIdsUnique: new Set(announcedIds).size === announcedIds.length,
  };
}

/**
 * Crash safety: the worker process is SIGKILLed at random points of a large sync (three accounts,
 * thousands of transactions, slowed by bank latency), restarted each time, and BullMQ's stalled-job
 * check hands the job to the new process. The end state equals that of an uninterrupted sync of the
 * same data: no duplicate, no gap, no lost or doubled event.
 */
describe('sync-worker crash safety', () => {
  let h: SyncHarness;
  let worker: WorkerProcess;

  beforeAll(async () => {
    h = await SyncHarness.start({
      worker: false,
      env: {
        SYNC_LOCK_DURATION_MS: '1500',
        SYNC_STALLED_INTERVAL_MS: '500',
        SYNC_MAX_STALLED_COUNT: '50',
        LOG_LEVEL: 'warn',
      },
    });
    // The bank holds still: both syncs must see the same data.
    h.sandbox.setClock(new Date(), 1e-9);
    worker = WorkerProcess.build(h.env, 'crash');
  });
  afterAll(async () => {
    await worker?.dispose();
    await h?.close();
  });

  it('ends, after SIGKILLs at random points, exactly where an uninterrupted sync ends', async () => {
    const reference = await h.authorise('allstar', PSUS.alice);
    const crashed = await h.authorise('allstar', PSUS.alice);
    await h.sandbox.faults('allstar', { latencyMs: 40 });

    await worker.start();
    const referenceStarted = Date.now();
    expect(await h.sync(reference.consentId, { trigger: 'initial', psuIpAddress: PSU_IP })).toMatchObject({
      status: 'succeeded',
    });
    // Kills land within the first half of a sync's duration on this machine now (a fixed delay of up to
    // 1.6 s outlasted the whole sync once syncs got faster, and no kill landed mid-run).
    const referenceMs = Date.now() - referenceStarted;
    const expected = await outcome(h.prisma, reference.consentId);
    expect(expected.transactions.length).toBeGreaterThan(2000);

    const runId = await h.request(crashed.consentId, { trigger: 'initial', psuIpAddress: PSU_IP });
    let killedMidRun = 0;
    for (let i = 0; i < 4; i++) {
      const run = await waitUntilRunning(h.prisma, runId);
      if (run === 'ended') break;
      await new Promise((r) => setTimeout(r, Math.floor(referenceMs * (0.05 + Math.random() * 0.45))));
      const status = (await h.prisma.syncRun.findUniqueOrThrow({ where: { id: runId } })).status;
      await worker.kill();
      if (status === 'running') killedMidRun++;
      await worker.start();
    }
    const run = await h.waitForRun(runId, 90_000);
    expect(killedMidRun).toBeGreaterThan(0);
    expect(run).toMatchObject({
      status: 'succeeded',
      transactionsAdded: expected.transactions.length,
      transactionsModified: 0,
      transactionsRemoved: 0,
    });
    expect(run.attempts).toBeGreaterThan(1);

    const actual = await outcome(h.prisma, crashed.consentId);
    expect(actual.transactions).toEqual(expected.transactions);
    expect(actual.changes).toEqual([
      { kind: 'added', rows: expected.transactions.length, transactions: expected.transactions.length },
    ]);
    expect(actual.announced).toBe(expected.transactions.length);
    expect(actual.announcedIdsUnique).toBe(true);
    expect(actual.completedEvents).toBe(1);
    expect(actual.eventTypes).toEqual(expected.eventTypes);
  });
});

async function waitUntilRunning(prisma: PrismaClient, runId: string): Promise<'running' | 'ended'> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const run = await prisma.syncRun.findUnique({ where: { id: runId } });
    if (run?.status === 'running') return 'running';
    if (run && ['succeeded', 'failed', 'deferred'].includes(run.status)) return 'ended';
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`run ${runId} never started`);
}
