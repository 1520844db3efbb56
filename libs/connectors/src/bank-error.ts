import { AppError, type ErrorCode } from '@ais/domain';
import { scrubSecrets } from '@ais/observability';

/** The error codes a connector raises: everything a bank can do to us, normalised. */
export type BankErrorCode = Extract<
  ErrorCode,
  | 'consent_expired'
  | 'consent_revoked'
  | 'bank_unauthorised'
  | 'bank_forbidden_permission'
  | 'bank_rate_limited'
  | 'bank_unavailable'
  | 'bank_invalid_response'
  | 'bank_rejected_request'
  | 'budget_exhausted'
>;

/** What the bank said, for operators: scrubbed of secrets, never shown to tenants as is. */
export interface BankErrorDetail {
  httpStatus?: number;
  /** The bank's error code (OBIE ErrorCode, Berlin Group tppMessages code, OAuth error). */
  bankCode?: string;
  interactionId?: string;
  operation?: string;
  body?: unknown;
  cause?: string;
  /** What the bank's consent resource said when a data call was refused (401 / 403). */
  consentStatus?: string;
  consentExpiresAt?: string | null;
}

export interface BankErrorOptions {
  providerId: string;
  detail?: BankErrorDetail;
  /** Top-level, safe extensions (retryAt, retryAfterSeconds, nextAllowedAt, circuit…). */
  extensions?: Record<string, unknown>;
}

const MAX_BODY_CHARS = 4_000;

function boundedBody(body: unknown): unknown {
  if (typeof body === 'string') return body.length > MAX_BODY_CHARS ? `${body.slice(0, MAX_BODY_CHARS)}…` : body;
  const text = JSON.stringify(body ?? null);
  return text.length > MAX_BODY_CHARS ? `${text.slice(0, MAX_BODY_CHARS)}…` : body;
}

/**
 * An AppError with the bank's raw detail under `extensions.bank` (scrubbed: tokens, secrets and
 * JWT-looking strings masked). The gateway shows `extensions.bank` to operators only.
 */
export function bankError(code: BankErrorCode, message: string, options: BankErrorOptions): AppError {
  const bank = options.detail
    ? (scrubSecrets({
        ...options.detail,
        body: options.detail.body === undefined ? undefined : boundedBody(options.detail.body),
      }) as object)
    : undefined;
  return new AppError(code, message, {
    providerId: options.providerId,
    ...options.extensions,
    ...(bank ? { bank } : {}),
  });
}

/** The extension that carries the bank's raw detail: for operators (logs, admin), never for tenants. */
export const BANK_DETAIL_EXTENSION = 'bank';

/**
 * The same error without the bank's raw detail: what may reach a tenant (the gateway's problem
 * rendering strips `extensions.bank` the same way). Everything else a connector puts in extensions
 * (providerId, retryAt, retryAfterSeconds, nextAllowedAt, circuit, oauthError) is safe to show.
 */
export function withoutBankDetail(error: AppError): AppError {
  if (!(BANK_DETAIL_EXTENSION in error.extensions)) return error;
  const { [BANK_DETAIL_EXTENSION]: _bank, ...safe } = error.extensions;
  return new AppError(error.code, error.detail, safe, error.fieldErrors);
}

/** Retry-After as seconds (delta-seconds or HTTP date), relative to `now`. */
export function parseRetryAfter(value: string | undefined, now: Date): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, Math.ceil((at - now.getTime()) / 1000));
}

export function rateLimitedError(
  providerId: string,
  retryAfterSeconds: number,
  now: Date,
  detail?: BankErrorDetail,
): AppError {
  const retryAt = new Date(now.getTime() + retryAfterSeconds * 1000).toISOString();
  return bankError('bank_rate_limited', `The bank asked us to slow down; retry after ${retryAt}.`, {
    providerId,
    detail,
    extensions: { retryAt, retryAfterSeconds },
  });
}

/** A bank that failed (5xx); a Retry-After it sent becomes retryAt for the scheduler. */
export function unavailableError(
  providerId: string,
  message: string,
  retryAfter: string | undefined,
  now: Date,
  detail?: BankErrorDetail,
): AppError {
  const seconds = parseRetryAfter(retryAfter, now);
  const extensions =
    seconds === undefined
      ? undefined
      : { retryAt: new Date(now.getTime() + seconds * 1000).toISOString(), retryAfterSeconds: seconds };
  return bankError('bank_unavailable', message, { providerId, detail, extensions });
}

/** What the error mappers read of a bank's answer. */
export interface BankAnswer {
  status: number;
  headers: Record<string, string | undefined>;
  text: string;
}

/** The body of a bank's answer as JSON, or its text when it is not JSON (error pages often are not). */
export function answerBody(res: BankAnswer): unknown {
  if (!res.text) return undefined;
  try {
    return JSON.parse(res.text) as unknown;
  } catch {
    return res.text;
  }
}

/**
 * A bank's throttling (429, or a standard's own "slow down" code) or failure (5xx), the same under every
 * standard: `Retry-After` (seconds or an HTTP date) decides when to come back, else the standard's
 * default. Undefined for every other answer, which the standard's own mapper reads.
 */
export function throttleOrOutage(
  res: BankAnswer,
  o: {
    providerId: string;
    now: Date;
    detail: BankErrorDetail;
    /** What failed, for the message: "The bank", "The bank's authorisation server". */
    server: string;
    defaultRetryAfterSeconds: number;
    throttled?: boolean;
  },
): AppError | undefined {
  if (res.status === 429 || o.throttled) {
    const seconds = parseRetryAfter(res.headers['retry-after'], o.now) ?? o.defaultRetryAfterSeconds;
    return rateLimitedError(o.providerId, seconds, o.now, o.detail);
  }
  if (res.status >= 500)
    return unavailableError(
      o.providerId,
      `${o.server} failed (HTTP ${res.status}).`,
      res.headers['retry-after'],
      o.now,
      o.detail,
    );
  return undefined;
}
