import type { SyncJobData } from '@ais/contracts';
import type { RequestWrite, SyncConsentRepository, SyncRunRepository } from '@ais/db';
import type { SyncJobQueues } from '../queues/sync-job-queues.js';
import { RequestSync } from './request-sync.usecase.js';

/** The use case's decisions, over in-memory stand-ins for the runs, the consent's claim and the queue. */
function setup(state: { inFlight?: string; job?: SyncJobData; claimed?: boolean; raceJob?: SyncJobData } = {}) {
  const closed: string[] = [];
  const created: { id: string; trigger: string }[] = [];
  const added: SyncJobData[] = [];
  const restarted: string[] = [];
  let job = state.job;
  // requestUnderLock's contract: decide on the state read under the lock; its writes commit only
  // when it answers (anything thrown rolls them back).
  const runs = {
    requestUnderLock: async <T>(
      _target: unknown,
      decide: (s: { claimed: boolean; inFlightId: string | null }) => Promise<{ answer: T; writes?: RequestWrite[] }>,
    ) => {
      const { answer, writes = [] } = await decide({
        claimed: state.claimed ?? true,
        inFlightId: state.inFlight ?? null,
      });
      for (const w of writes)
        if (w.kind === 'closeLost') closed.push(w.runId);
        else created.push(w.run);
      return answer;
    },
  } as unknown as SyncRunRepository;
  const consents = {
    restartBackfill: async (_tenantId: string, consentId: string) => void restarted.push(consentId),
  } as unknown as SyncConsentRepository;
  const queues = {
    find: async () => job,
    add: async (data: SyncJobData) => {
      added.push(data);
      job ??= state.raceJob ?? data;
    },
  } as unknown as SyncJobQueues;
  return { useCase: new RequestSync(runs, consents, queues), closed, created, added, restarted };
}

const command = { tenantId: 'ten_1', consentId: 'cons_1', providerId: 'bank', trigger: 'manual' as const };
const now = new Date('2026-01-01T00:00:00Z');
const queuedJob: SyncJobData = { ...command, syncRunId: 'sr_queued' };

describe('RequestSync', () => {
  it('adds the job, then writes its queued run', async () => {
    const { useCase, added, created } = setup();
    const result = await useCase.execute({ ...command, psuIpAddress: '203.0.113.7' }, now);
    expect(result).toEqual({ syncRunId: expect.stringMatching(/^sr_/), created: true });
    expect(added).toEqual([{ ...command, psuIpAddress: '203.0.113.7', syncRunId: result.syncRunId }]);
    expect(created).toEqual([{ id: result.syncRunId, tenantId: 'ten_1', consentId: 'cons_1', trigger: 'manual' }]);
  });

  it('answers the run whose job is queued, and starts nothing', async () => {
    const { useCase, added, created } = setup({ inFlight: 'sr_queued', job: queuedJob });
    expect(await useCase.execute(command, now)).toEqual({ syncRunId: 'sr_queued', created: false });
    expect(added).toEqual([]);
    expect(created).toEqual([]);
  });

  it('closes a run whose job vanished before starting a new one', async () => {
    const { useCase, closed, created } = setup({ inFlight: 'sr_lost' });
    const result = await useCase.execute(command, now);
    expect(closed).toEqual(['sr_lost']);
    expect(created.map((r) => r.id)).toEqual([result.syncRunId]);
  });

  it('writes no run when another enqueuer’s job won the job id', async () => {
    const { useCase, created } = setup({ raceJob: queuedJob });
    expect(await useCase.execute(command, now)).toEqual({ syncRunId: 'sr_queued', created: false });
    expect(created).toEqual([]);
  });

  it('asks for the whole history on a full refresh and on every initial sync, and restarts the backfill', async () => {
    const full = setup();
    await full.useCase.execute({ ...command, full: true }, now);
    expect(full.added).toEqual([expect.objectContaining({ trigger: 'manual', full: true })]);
    expect(full.restarted).toEqual(['cons_1']);

    const initial = setup();
    await initial.useCase.execute({ ...command, trigger: 'initial', psuIpAddress: '203.0.113.7' }, now);
    expect(initial.added).toEqual([expect.objectContaining({ trigger: 'initial', full: true })]);
    expect(initial.restarted).toEqual(['cons_1']);

    const plain = setup();
    await plain.useCase.execute(command, now);
    expect(plain.added[0]).not.toHaveProperty('full');
    expect(plain.restarted).toEqual([]);
  });

  it('restarts the backfill even when it joins a queued run, so that run (or the next) reads everything', async () => {
    const { useCase, added, restarted } = setup({ inFlight: 'sr_queued', job: queuedJob });
    expect(await useCase.execute({ ...command, full: true }, now)).toEqual({ syncRunId: 'sr_queued', created: false });
    expect(added).toEqual([]);
    expect(restarted).toEqual(['cons_1']);
  });

  it('does nothing when the scheduler’s claim was overtaken by a run that ended', async () => {
    const { useCase, added } = setup({ claimed: false });
    expect(await useCase.execute({ ...command, trigger: 'scheduled', claimedUntil: now }, now)).toBeNull();
    expect(added).toEqual([]);
  });
});
