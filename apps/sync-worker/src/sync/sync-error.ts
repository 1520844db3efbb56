import { AppError, type ErrorCode } from '@ais/domain';

/**
 * What a failure does to the run, the consent and the schedule: the one place where connector error
 * codes get their meaning for syncing.
 */
export type SyncFailure =
  /** Not now, not an error: the run is deferred and the consent scheduled at `until`. */
  | { kind: 'defer'; until: Date | null; pauseProvider: boolean }
  /** The consent is over at the bank: stop scheduling, move the consent, fail the run. */
  | { kind: 'consent_ended'; status: 'revoked' | 'expired' }
  /** The bank's circuit is open: pause the provider's queue and run the job again afterwards. */
  | { kind: 'circuit_open' }
  /** Transient: retry with backoff; when attempts run out the run fails. */
  | { kind: 'retry' }
  /** Permanent for this run: it fails visibly, the consent keeps its schedule. */
  | { kind: 'fail' };

export interface ClassifiedFailure {
  failure: SyncFailure;
  code: string;
  detail: string;
}

function instant(value: unknown): Date | null {
  if (typeof value !== 'string') return null;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : new Date(ms);
}

function byCode(code: ErrorCode, error: AppError): SyncFailure {
  switch (code) {
    case 'budget_exhausted':
      return { kind: 'defer', until: instant(error.extensions.nextAllowedAt), pauseProvider: false };
    case 'bank_rate_limited':
      return { kind: 'defer', until: instant(error.extensions.retryAt), pauseProvider: true };
    case 'consent_revoked':
      return { kind: 'consent_ended', status: 'revoked' };
    case 'consent_expired':
      return { kind: 'consent_ended', status: 'expired' };
    case 'bank_unavailable':
      if (error.extensions.circuit === 'open') return { kind: 'circuit_open' };
      // The bank said when it is back (503 + Retry-After): wait that long rather than back off blindly.
      return instant(error.extensions.retryAt)
        ? { kind: 'defer', until: instant(error.extensions.retryAt), pauseProvider: true }
        : { kind: 'retry' };
    case 'service_unavailable':
    case 'internal_error':
      return { kind: 'retry' };
    case 'bank_invalid_response':
    case 'bank_unauthorised':
    case 'bank_forbidden_permission':
    case 'bank_rejected_request':
    case 'provider_unavailable':
    case 'permission_not_granted':
    case 'limit_exceeded':
    case 'not_found':
    case 'validation_failed':
    case 'malformed_body':
    case 'body_too_deep':
    case 'invalid_cursor':
    case 'unsupported_media_type':
    case 'payload_too_large':
    case 'uri_too_long':
    case 'header_fields_too_large':
    case 'route_not_found':
    case 'unauthorized':
    case 'forbidden':
    case 'tenant_suspended':
    case 'rate_limited':
    case 'conflict':
    case 'idempotency_conflict':
    case 'idempotency_in_progress':
    case 'invalid_state_transition':
    case 'redirect_uri_not_allowed':
      return { kind: 'fail' };
  }
}

/** Classifies anything a sync threw. Unknown errors (a bug, a dropped connection) are retried. */
export function classifySyncError(error: unknown): ClassifiedFailure {
  if (error instanceof AppError) return { failure: byCode(error.code, error), code: error.code, detail: error.detail };
  const detail = error instanceof Error ? error.message : String(error);
  return { failure: { kind: 'retry' }, code: 'internal_error', detail };
}

/**
 * Whether a failed read of one optional resource (statements, party, beneficiaries, standing orders,
 * direct debits, scheduled payments) is the bank refusing that resource: it answered that the consent
 * does not cover it (403: bank_forbidden_permission) or refused the request (404 and other 4xx:
 * bank_rejected_request), or the connector has no such resource for the standard
 * (permission_not_granted). The run records the resource as unavailable and goes on. Anything else
 * (the consent expired or revoked, limits, outages, our own credentials, a response we cannot read)
 * means for that call what it means for every other.
 */
export function isResourceRefusal(error: unknown): boolean {
  if (!(error instanceof AppError)) return false;
  switch (error.code) {
    case 'bank_forbidden_permission':
    case 'bank_rejected_request':
    case 'permission_not_granted':
      return true;
    default:
      return false;
  }
}
