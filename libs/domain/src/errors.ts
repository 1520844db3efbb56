/**
 * Every failure the system reports has a code from this list. Apps map codes to HTTP problem types
 * with an exhaustive switch (libs/http-kit), so adding a code forces a decision about its status.
 */
export const ERROR_CODES = [
  // request shape
  'validation_failed',
  'malformed_body',
  'body_too_deep',
  'invalid_cursor',
  'unsupported_media_type',
  'payload_too_large',
  'uri_too_long',
  'header_fields_too_large',
  'route_not_found',
  // auth and tenancy
  'unauthorized',
  'forbidden',
  'tenant_suspended',
  'rate_limited',
  'not_found',
  // request semantics
  'conflict',
  'idempotency_conflict',
  'idempotency_in_progress',
  'invalid_state_transition',
  'redirect_uri_not_allowed',
  'limit_exceeded',
  'provider_unavailable',
  'permission_not_granted',
  'budget_exhausted',
  // bank-side conditions
  'consent_expired',
  'consent_revoked',
  'bank_unauthorised',
  'bank_forbidden_permission',
  'bank_rate_limited',
  'bank_unavailable',
  'bank_invalid_response',
  'bank_rejected_request',
  // ours
  'service_unavailable',
  'internal_error',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export interface FieldError {
  field: string;
  message: string;
}

/** A failure with a code, a human detail safe to show to the caller, and optional extensions. */
export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    readonly detail: string,
    readonly extensions: Record<string, unknown> = {},
    readonly fieldErrors: FieldError[] = [],
  ) {
    super(detail);
    this.name = 'AppError';
  }

  static notFound(what: string): AppError {
    return new AppError('not_found', `${what} not found`);
  }

  static validation(errors: FieldError[], detail = 'The request has invalid fields.'): AppError {
    return new AppError('validation_failed', detail, {}, errors);
  }
}
