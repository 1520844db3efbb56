import type { ErrorCode, FieldError } from '@ais/domain';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';
export const PROBLEM_TYPE_BASE = 'https://ais-gateway.dev/problems/';

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ErrorCode;
  requestId: string;
  errors?: FieldError[];
  [extension: string]: unknown;
}

/** HTTP status and title for every error code; exhaustive, so a new code cannot be forgotten. */
export function describeCode(code: ErrorCode): { status: number; title: string } {
  switch (code) {
    case 'validation_failed':
      return { status: 400, title: 'Validation failed' };
    case 'malformed_body':
      return { status: 400, title: 'Malformed request body' };
    case 'body_too_deep':
      return { status: 400, title: 'Request body nested too deeply' };
    case 'invalid_cursor':
      return { status: 400, title: 'Invalid cursor' };
    case 'unsupported_media_type':
      return { status: 415, title: 'Unsupported media type' };
    case 'payload_too_large':
      return { status: 413, title: 'Payload too large' };
    case 'uri_too_long':
      return { status: 414, title: 'URI too long' };
    case 'header_fields_too_large':
      return { status: 431, title: 'Request header fields too large' };
    case 'route_not_found':
      return { status: 404, title: 'No such route' };
    case 'unauthorized':
      return { status: 401, title: 'Unauthorized' };
    case 'forbidden':
      return { status: 403, title: 'Forbidden' };
    case 'tenant_suspended':
      return { status: 403, title: 'Tenant suspended' };
    case 'rate_limited':
      return { status: 429, title: 'Rate limit exceeded' };
    case 'not_found':
      return { status: 404, title: 'Not found' };
    case 'conflict':
      return { status: 409, title: 'Conflict' };
    case 'idempotency_conflict':
      return { status: 409, title: 'Idempotency key reused with a different request' };
    case 'idempotency_in_progress':
      return { status: 409, title: 'A request with this idempotency key is still in progress' };
    case 'invalid_state_transition':
      return { status: 409, title: 'Invalid state transition' };
    case 'redirect_uri_not_allowed':
      return { status: 400, title: 'Redirect URI not allowed' };
    case 'limit_exceeded':
      return { status: 400, title: 'Requested beyond the provider limit' };
    case 'provider_unavailable':
      return { status: 422, title: 'Provider not available' };
    case 'permission_not_granted':
      return { status: 403, title: 'Permission not granted by the consent' };
    case 'budget_exhausted':
      return { status: 429, title: 'Unattended access budget exhausted' };
    case 'consent_expired':
      return { status: 409, title: 'Consent expired' };
    case 'consent_revoked':
      return { status: 409, title: 'Consent revoked' };
    case 'bank_unauthorised':
      return { status: 502, title: 'The bank refused our credentials' };
    case 'bank_forbidden_permission':
      return { status: 403, title: 'The bank refused: permission not granted' };
    case 'bank_rate_limited':
      return { status: 503, title: 'The bank is rate limiting' };
    case 'bank_unavailable':
      return { status: 503, title: 'The bank is unavailable' };
    case 'bank_invalid_response':
      return { status: 502, title: 'The bank sent an invalid response' };
    case 'bank_rejected_request':
      return { status: 502, title: 'The bank rejected the request' };
    case 'service_unavailable':
      return { status: 503, title: 'Service unavailable' };
    case 'internal_error':
      return { status: 500, title: 'Internal error' };
  }
}

export function buildProblem(
  code: ErrorCode,
  detail: string,
  requestId: string,
  extensions: Record<string, unknown> = {},
  errors: FieldError[] = [],
): ProblemBody {
  const { status, title } = describeCode(code);
  // Extensions come first: a member of the problem itself (status, type, code, …) is never replaced by
  // an extension that happens to share its name (a consent's status once became the HTTP status).
  return {
    ...extensions,
    type: `${PROBLEM_TYPE_BASE}${code}`,
    title,
    status,
    detail,
    code,
    requestId,
    ...(errors.length > 0 ? { errors } : {}),
  };
}
