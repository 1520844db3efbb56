import type { WebhookDeliveryStatus } from '@ais/db';

/** What one attempt produced. `responseStatus` is null when no response came (timeout, network, refused). */
export interface AttemptResult {
  responseStatus: number | null;
  latencyMs: number;
  error: string | null;
  kind: 'success' | 'http_error' | 'gone' | 'timeout' | 'network_error' | 'refused';
}

export interface RetrySettings {
  /** Delay after the 1st, 2nd, … failed attempt; when it runs out the delivery fails. */
  scheduleMs: readonly number[];
  /** Each delay is stretched by a random fraction in [0, jitter): never shorter than scheduled. */
  jitter: number;
}

export interface Decision {
  status: WebhookDeliveryStatus;
  nextAttemptAt: Date | null;
}

/**
 * After an attempt: 2xx succeeds; 410 Gone fails at once (and disables the endpoint); a manual retry
 * gets exactly one attempt; otherwise the n-th failure waits schedule[n-1] (+ jitter), and the
 * failure after the last step fails the delivery.
 */
export function decide(
  delivery: { attempts: number; manualRetry: boolean },
  result: AttemptResult,
  settings: RetrySettings,
  now: Date,
  random: () => number = Math.random,
): Decision {
  if (result.kind === 'success') return { status: 'succeeded', nextAttemptAt: null };
  if (result.kind === 'gone' || delivery.manualRetry) return { status: 'failed', nextAttemptAt: null };
  const failures = delivery.attempts + 1;
  const base = settings.scheduleMs[failures - 1];
  if (base === undefined) return { status: 'failed', nextAttemptAt: null };
  const delay = Math.round(base * (1 + settings.jitter * random()));
  return { status: 'pending', nextAttemptAt: new Date(now.getTime() + delay) };
}

/** Human duration for reasons shown to tenants: `5 days`, `90 minutes`, `2 seconds`. */
export function describeDuration(ms: number): string {
  const units: [number, string][] = [
    [86_400_000, 'day'],
    [3_600_000, 'hour'],
    [60_000, 'minute'],
    [1_000, 'second'],
  ];
  for (const [size, name] of units) {
    if (ms >= size && ms % size === 0) return `${ms / size} ${name}${ms / size === 1 ? '' : 's'}`;
  }
  return `${ms} ms`;
}
