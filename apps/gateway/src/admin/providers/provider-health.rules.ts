/**
 * How a bank is doing, from what the gateway can see of it: its sync runs (Postgres), the outcomes
 * of consent creations, code exchanges and token refreshes and whether the bank rejects our
 * registration (provider_operations, written by the connector-service), and its sync queue and
 * circuit (Redis). Pure, so the thresholds are tested on their own and the service only gathers facts.
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

/** The operations that use our registration at the bank, beside the syncs. */
export const OPERATION_KINDS = ['consent_creation', 'code_exchange', 'token_refresh'] as const;
export type OperationKind = (typeof OPERATION_KINDS)[number];

const OPERATION_NAMES: Record<OperationKind, [string, string]> = {
  consent_creation: ['consent creation', 'consent creations'],
  code_exchange: ['authorisation callback (code exchange)', 'authorisation callbacks (code exchange)'],
  token_refresh: ['token refresh', 'token refreshes'],
};

/** Outcomes of one kind of operation at one provider in one time window, by outcome and error code. */
export interface OperationGroup {
  operation: string;
  outcome: string;
  errorCode: string | null;
  count: number;
  lastAt: Date;
}

export interface OperationWindow {
  succeeded: number;
  /** Failures the bank (or our registration there) is to blame for; see NEUTRAL_CODES. */
  failed: number;
  /** failed / (succeeded + failed); null without any. */
  failureRate: number | null;
  /** Every error code seen, most frequent first (neutral ones included). */
  errors: { code: string; count: number; lastAt: Date }[];
  lastSucceededAt: Date | null;
  lastFailedAt: Date | null;
}

/**
 * Failures that say nothing about the bank or our registration there: the consent itself ended, our
 * own limits, the caller's request. Everything else (bank_unauthorised, bank_unavailable,
 * bank_invalid_response, bank_rejected_request, internal errors…) counts against the provider.
 */
const NEUTRAL_CODES = new Set([
  'consent_revoked',
  'consent_expired',
  'budget_exhausted',
  'bank_rate_limited',
  'limit_exceeded',
  'validation_failed',
  'not_found',
  'redirect_uri_not_allowed',
  'permission_not_granted',
]);

/** The bank rejects our registration (client) or transport certificate, and nothing has succeeded with it since. */
export interface RegistrationRejectionSignal {
  since: Date;
  rejected: 'registration' | 'certificate';
  /** The connector-service's last automatic re-registration since the rejection began. */
  lastReregistration: { at: Date; outcome: 'succeeded' | 'failed' } | null;
  /** While the re-registration interval runs: when the next automatic attempt may happen. */
  nextAttemptAt: Date | null;
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
  /** Consent creations, code exchanges and token refreshes (absent: none recorded). */
  operations?: {
    lastHour: Partial<Record<OperationKind, OperationWindow>>;
    last24h: Partial<Record<OperationKind, OperationWindow>>;
  };
  rejection?: RegistrationRejectionSignal | null;
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

/** One window's outcomes per operation kind. */
export function summariseOperations(groups: OperationGroup[]): Partial<Record<OperationKind, OperationWindow>> {
  const out: Partial<Record<OperationKind, OperationWindow>> = {};
  for (const kind of OPERATION_KINDS) {
    const mine = groups.filter((g) => g.operation === kind);
    if (mine.length === 0) continue;
    const latest = (list: OperationGroup[]) =>
      list.reduce<Date | null>((m, g) => (m === null || g.lastAt > m ? g.lastAt : m), null);
    const succeeded = mine.filter((g) => g.outcome === 'succeeded');
    const failed = mine.filter((g) => g.outcome !== 'succeeded' && !NEUTRAL_CODES.has(g.errorCode ?? ''));
    const byCode = new Map<string, { code: string; count: number; lastAt: Date }>();
    for (const g of mine) {
      if (g.outcome === 'succeeded' || !g.errorCode) continue;
      const seen = byCode.get(g.errorCode);
      if (seen) {
        seen.count += g.count;
        if (g.lastAt > seen.lastAt) seen.lastAt = g.lastAt;
      } else byCode.set(g.errorCode, { code: g.errorCode, count: g.count, lastAt: g.lastAt });
    }
    const s = succeeded.reduce((n, g) => n + g.count, 0);
    const f = failed.reduce((n, g) => n + g.count, 0);
    out[kind] = {
      succeeded: s,
      failed: f,
      failureRate: s + f > 0 ? f / (s + f) : null,
      errors: [...byCode.values()].sort((a, b) => b.count - a.count || b.lastAt.getTime() - a.lastAt.getTime()),
      lastSucceededAt: latest(succeeded),
      lastFailedAt: latest(failed),
    };
  }
  return out;
}

const percent = (rate: number) => `${Math.round(rate * 100)}%`;
/** The window's failure rate when enough runs finished in it to mean something. */
const meaningfulRate = (w: RunWindow): number | null =>
  w.succeeded + w.failed >= MIN_FINISHED_RUNS ? w.failureRate : null;

export function assessProvider(signals: ProviderSignals): ProviderAssessment {
  const circuit = signals.circuit;
  if (signals.status === 'inactive')
    return { verdict: 'inactive', reasons: ['The provider is switched off (status inactive).'], circuit };

  const down: string[] = [];
  const degraded: string[] = [];
  if (!signals.registered) down.push('The gateway is not registered at the bank: onboard the provider.');
  if (circuit === 'open')
    down.push('The bank is failing: its circuit is open, calls to it are paused and the sync backs off.');
  if (circuit === 'half_open')
    degraded.push('The bank failed recently: its circuit is half-open, a trial call decides whether calls resume.');
  const hour = meaningfulRate(signals.lastHour);
  const day = meaningfulRate(signals.last24h);
  if (hour !== null && hour >= DOWN_FAILURE_RATE)
    down.push(`${percent(hour)} of the runs that finished in the last hour failed.`);
  else if (hour !== null && hour >= DEGRADED_FAILURE_RATE)
    degraded.push(`${percent(hour)} of the runs that finished in the last hour failed.`);
  else if (day !== null && day >= DEGRADED_FAILURE_RATE)
    degraded.push(`${percent(day)} of the runs that finished in the last 24 h failed.`);
  if (signals.queue.paused) degraded.push('Its sync queue is paused by an operator: no syncs start.');
  if (signals.queue.backoffMs > 0 && circuit !== 'open') {
    const why = circuit === 'half_open' ? 'its circuit opened' : 'the bank asked us to wait';
    degraded.push(`The sync backs off the bank for another ${Math.ceil(signals.queue.backoffMs / 1000)} s (${why}).`);
  }
  if (signals.rejection) down.push(rejectionReason(signals.rejection));
  for (const kind of OPERATION_KINDS) {
    const verdict = operationVerdict(kind, signals.operations?.lastHour[kind], signals.operations?.last24h[kind]);
    if (verdict?.[0] === 'down') down.push(verdict[1]);
    else if (verdict) degraded.push(verdict[1]);
  }
  if (signals.last24h.bankRateLimited > 0)
    degraded.push(`${signals.last24h.bankRateLimited} run(s) hit the bank's rate limit (HTTP 429) in the last 24 h.`);

  if (down.length > 0) return { verdict: 'down', reasons: [...down, ...degraded], circuit };
  if (degraded.length > 0) return { verdict: 'degraded', reasons: degraded, circuit };
  return { verdict: 'healthy', reasons: [], circuit };
}

function rejectionReason(r: RegistrationRejectionSignal): string {
  const what =
    r.rejected === 'registration' ? 'our registration (it does not know our client)' : 'our transport certificate';
  let text = `The bank rejects ${what} since ${r.since.toISOString()}.`;
  if (r.lastReregistration?.outcome === 'succeeded')
    text += ` The connector-service registered again at ${r.lastReregistration.at.toISOString()}, which did not help.`;
  else if (r.lastReregistration?.outcome === 'failed')
    text += ` The connector-service tried to register again at ${r.lastReregistration.at.toISOString()} and failed.`;
  if (r.nextAttemptAt)
    text += ` It will not try again by itself before ${r.nextAttemptAt.toISOString()}: onboard the provider with force to register now.`;
  else text += ' Onboard the provider (with force) to register again.';
  return text;
}

/**
 * Consent creations, code exchanges and token refreshes are rare next to syncs and each one is an end
 * user waiting, so fewer of them say more: none succeeding in the last hour while they fail is down
 * (two or more) or degraded (one); with enough of them, the sync thresholds apply.
 */
function operationVerdict(
  kind: OperationKind,
  hour: OperationWindow | undefined,
  day: OperationWindow | undefined,
): ['down' | 'degraded', string] | null {
  const [one, many] = OPERATION_NAMES[kind];
  const codes = (w: OperationWindow) => w.errors.map((e) => e.code).join(', ');
  if (hour && hour.failed > 0) {
    if (hour.succeeded === 0) {
      const text =
        hour.failed === 1
          ? `The last ${one} in the last hour failed (${codes(hour)}), and none succeeded.`
          : `All ${hour.failed} ${many} in the last hour failed (${codes(hour)}).`;
      return [hour.failed >= 2 ? 'down' : 'degraded', text];
    }
    const rate = hour.failureRate!;
    if (hour.succeeded + hour.failed >= MIN_FINISHED_RUNS && rate >= DEGRADED_FAILURE_RATE) {
      return [
        rate >= DOWN_FAILURE_RATE ? 'down' : 'degraded',
        `${percent(rate)} of the ${many} in the last hour failed (${codes(hour)}).`,
      ];
    }
    if (hour.lastFailedAt && hour.lastSucceededAt && hour.lastFailedAt > hour.lastSucceededAt) {
      return ['degraded', `The last ${one} failed (${codes(hour)}) at ${hour.lastFailedAt.toISOString()}.`];
    }
  }
  if (
    day &&
    day.succeeded + day.failed >= MIN_FINISHED_RUNS &&
    day.failureRate !== null &&
    day.failureRate >= DEGRADED_FAILURE_RATE
  ) {
    return ['degraded', `${percent(day.failureRate)} of the ${many} in the last 24 h failed (${codes(day)}).`];
  }
  return null;
}
