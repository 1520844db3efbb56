import { handlerTable, type JobHandler } from './job-handler.js';

const handler = (jobName: string) => ({ jobName, handle: async () => undefined }) as unknown as JobHandler;

describe('handlerTable', () => {
  const queues = { scheduler: ['schedule-due-syncs'], sync: ['sync-consent'] } as const;

  it('maps each job name its queues carry to its one handler', () => {
    const table = handlerTable([handler('sync-consent'), handler('schedule-due-syncs')], queues);
    expect([...table.keys()].sort()).toEqual(['schedule-due-syncs', 'sync-consent']);
  });

  it('refuses to start with a job name that has no handler, or two, or a stray handler', () => {
    expect(() => handlerTable([handler('sync-consent')], queues)).toThrow('no handler for "schedule-due-syncs"');
    expect(() =>
      handlerTable([handler('sync-consent'), handler('sync-consent'), handler('schedule-due-syncs')], queues),
    ).toThrow('two handlers for "sync-consent"');
    expect(() =>
      handlerTable([handler('sync-consent'), handler('schedule-due-syncs'), handler('revoke-at-bank')], queues),
    ).toThrow('which no queue of this worker carries');
  });
});
