import type { Job, Queue } from 'bullmq';
import type { JobName, JobPayloads } from '@ais/contracts';

/** A thin processor: one job name, its payload type, and what to do with it. */
export interface JobHandler<N extends JobName = JobName> {
  readonly jobName: N;
  /** `token` is the worker's lock token (for moveToDelayed). */
  handle(job: Job<JobPayloads[N]>, queue: Queue, token?: string): Promise<unknown>;
}

export const JOB_HANDLERS = Symbol('JOB_HANDLERS');

/**
 * The handler of each job name a queue carries. Fails (the worker does not start) when a name has no
 * handler or two, or when a handler serves a name the queue never carries.
 */
export function handlerTable(
  handlers: readonly JobHandler[],
  queues: Record<string, readonly JobName[]>,
): Map<JobName, JobHandler> {
  const problems: string[] = [];
  const table = new Map<JobName, JobHandler>();
  const carried = new Set(Object.values(queues).flat());
  for (const h of handlers) {
    if (!carried.has(h.jobName)) problems.push(`handler for "${h.jobName}", which no queue of this worker carries`);
    else if (table.has(h.jobName)) problems.push(`two handlers for "${h.jobName}"`);
    else table.set(h.jobName, h);
  }
  for (const [queue, names] of Object.entries(queues))
    for (const name of names) if (!table.has(name)) problems.push(`no handler for "${name}" (queue ${queue})`);
  if (problems.length > 0) throw new Error(`sync-worker job handlers: ${problems.join('; ')}`);
  return table;
}
