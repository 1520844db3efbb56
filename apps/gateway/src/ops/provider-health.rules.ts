/**
 * How a bank is doing, from what the gateway can see of it: its sync runs (Postgres) and its sync
 * queue (Redis). Pure, so the thresholds are tested on their own and the service only gathers facts.
 */

export type ProviderVerdict = 'healthy' | 'degraded' | 'down' | 'inactive';
export type CircuitState = 'open' | 'half_open' | 'closed';

/** Runs of one provider in one time window, grouped by status and error code. */
export interface RunGroup {
  status: string;
  errorCode: string | null;
  runs: number;
  lastAt: Date;
}

export interface ErrorCount {
  code: string;
  runs: number;
  lastAt: Date;
}

export interface RunWindow {
  runs: number;
  succeeded: number;
  failed: number;
  deferred: number;
  /** Queued or running (a run being retried keeps its last error code). */
  inFlight: number;
  /** failed / (succeeded + failed); null without finished runs. */
  failureRate: number | null;
  /** Every error code seen on the window's runs (failed, deferred or being retried), most frequent first. */
  errors: ErrorCount[];
  /** Runs the bank answered with 429 (bank_rate_limited): the gateway went over the bank's limits. */
  bankRateLimited: number;
  /** Runs deferred because the consent's unattended budget was spent (budget_exhausted). */
  budgetExhausted: number;
}

export interface ProviderSignals {
  status: 'active' | 'inactive';
  registered: boolean;
  /** The provider's sync queue: paused by an operator, and how long the sync-worker still backs off the bank. */
  queue: { paused: boolean; backoffMs: number };
  lastHour: RunWindow;
  last24h: RunWindow;
  lastSucceededAt: Date | null;
  /** The provider's breaker as the connector-service instances report it (CircuitStore). */
  circuit: CircuitState;
}

export interface ProviderAssessment {
  verdict: ProviderVerdict;
  /** Why, in operators' words; empty when healthy. */
  reasons: string[];
  circuit: CircuitState;
}

/** A failure rate means something only over this many finished runs. */
export const MIN_FINISHED_RUNS = 5;
export const DOWN_FAILURE_RATE = 0.5;
export const DEGRADED_FAILURE_RATE = 0.1;

export function summariseRuns(groups: RunGroup[]): RunWindow {
  const count = (predicate: (g: RunGroup) => boolean) => groups.filter(predicate).reduce((n, g) => n + g.runs, 0);
  const succeeded = count((g) => g.status === 'succeeded');
  const failed = count((g) => g.status === 'failed');
  const byCode = new Map<string, ErrorCount>();
  for (const g of groups) {
    if (!g.errorCode) continue;
    const seen = byCode.get(g.errorCode);
    if (seen) {
      seen.runs += g.runs;
      if (g.lastAt > seen.lastAt) seen.lastAt = g.lastAt;
    } else {
      byCode.set(g.errorCode, { code: g.errorCode, runs: g.runs, lastAt: g.lastAt });
    }
  }
  return {
    runs: count(() => true),
    succeeded,
    failed,
    deferred: count((g) => g.status === 'deferred'),
    inFlight: count((g) => g.status === 'queued' || g.status === 'running'),
    failureRate: succeeded + failed > 0 ? failed / (succeeded + failed) : null,
    errors: [...byCode.values()].sort((a, b) => b.runs - a.runs || b.lastAt.getTime() - a.lastAt.getTime()),
    bankRateLimited: byCode.get('bank_rate_limited')?.runs ?? 0,
    budgetExhausted: byCode.get('budget_exhausted')?.runs ?? 0,
  };
}

const percent = (rate: number) => `${Math.round(rate * 100)}%`;
/** The window's failure rate when enough runs finished in it to mean something. */
const meaningfulRate = (w: RunWindow): number | null => (w.succeeded + w.failed >= MIN_FINISHED_RUNS ? w.failureRate : null);

export function assessProvider(signals: ProviderSignals): ProviderAssessment {
  const circuit = signals.circuit;
  if (signals.status === 'inactive') return { verdict: 'inactive', reasons: ['The provider is switched off (status inactive).'], circuit };

  const down: string[] = [];
  const degraded: string[] = [];
  if (!signals.registered) down.push('The gateway is not registered at the bank: onboard the provider.');
  if (circuit === 'open') down.push('The bank is failing: its circuit is open, calls to it are paused and the sync backs off.');
  if (circuit === 'half_open') degraded.push('The bank failed recently: its circuit is half-open, a trial call decides whether calls resume.');
  const hour = meaningfulRate(signals.lastHour);
  const day = meaningfulRate(signals.last24h);
  if (hour !== null && hour >= DOWN_FAILURE_RATE) down.push(`${percent(hour)} of the runs that finished in the last hour failed.`);
  else if (hour !== null && hour >= DEGRADED_FAILURE_RATE) degraded.push(`${percent(hour)} of the runs that finished in the last hour failed.`);
  else if (day !== null && day >= DEGRADED_FAILURE_RATE) degraded.push(`${percent(day)} of the runs that finished in the last 24 h failed.`);
  if (signals.queue.paused) degraded.push('Its sync queue is paused by an operator: no syncs start.');
  if (signals.queue.backoffMs > 0 && circuit !== 'open') {
    const why = circuit === 'half_open' ? 'its circuit opened' : 'the bank asked us to wait';
    degraded.push(`The sync backs off the bank for another ${Math.ceil(signals.queue.backoffMs / 1000)} s (${why}).`);
  }
  if (signals.last24h.bankRateLimited > 0) degraded.push(`${signals.last24h.bankRateLimited} run(s) hit the bank's rate limit (HTTP 429) in the last 24 h.`);

  if (down.length > 0) return { verdict: 'down', reasons: [...down, ...degraded], circuit };
  if (degraded.length > 0) return { verdict: 'degraded', reasons: degraded, circuit };
  return { verdict: 'healthy', reasons: [], circuit };
}
