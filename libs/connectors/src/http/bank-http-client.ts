import { randomUUID } from 'node:crypto';
import {
  BrokenCircuitError,
  circuitBreaker,
  CircuitState,
  ConsecutiveBreaker,
  DelegateBackoff,
  handleWhen,
  isBrokenCircuitError,
  retry,
  timeout,
  TimeoutStrategy,
  wrap,
  type CircuitBreakerPolicy,
  type IRetryBackoffContext,
} from 'cockatiel';
import { Agent, request, type Dispatcher } from 'undici';
import type { Logger, Metrics } from '@ais/observability';
import { AppError } from '@ais/domain';
import { bankError, parseRetryAfter, rateLimitedError } from '../bank-error.js';
import type { TransportCertificate } from '../connector.js';
import type { CircuitReporter, ProviderCircuitState, ThrottleBoard } from '../ports.js';
import { MemoryThrottleBoard } from './memory-throttle-board.js';
import { TokenBucket } from './rate-limiter.js';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface BankRequest {
  method: HttpMethod;
  url: string;
  headers?: Record<string, string>;
  body?: string;
  /**
   * Safe to send again (GET, DELETE of a consent). Non-idempotent requests are retried only when the
   * connection was refused, i.e. the bank provably never saw them.
   */
  idempotent: boolean;
  /** Send over the mutual-TLS agent (tls_client_auth, certificate-bound tokens, QWAC-protected APIs). */
  mtls?: boolean;
  /**
   * The client certificate for this request when it is not the registration's (DCR before any
   * registration exists is sent with the TPP's transport certificate).
   */
  transport?: TransportCertificate;
  /**
   * Who a 429's Retry-After applies to: `consent:<id>` for a consent's data calls (a bank's
   * per-consent access limit must not pause the other consents), the whole provider by default.
   */
  throttleKey?: string;
  /** Name for logs and metrics: `obie.listAccounts`. */
  operation: string;
  /** Runs before every attempt that will reach the bank (the access guard reserves a unit here). */
  beforeAttempt?: () => Promise<void>;
}

export interface BankResponse {
  status: number;
  headers: Record<string, string>;
  text: string;
  /** Attempts made (1 = no retry). */
  attempts: number;
}

/** One request / response pair as sent: tests validate these against the official specs. */
export interface HttpExchange {
  providerId: string;
  operation: string;
  method: HttpMethod;
  url: string;
  requestHeaders: Record<string, string>;
  requestBody: string | undefined;
  status: number;
  responseHeaders: Record<string, string>;
  responseBody: string;
}

export interface ResilienceSettings {
  timeoutMs: number;
  maxAttempts: number;
  initialBackoffMs: number;
  maxBackoffMs: number;
  /** A 429 whose Retry-After is at most this long is waited out and retried (idempotent calls). */
  maxInlineRetryAfterMs: number;
  breakerConsecutiveFailures: number;
  breakerHalfOpenAfterMs: number;
  ratePerSecond: number;
  burst: number;
}

export const DEFAULT_RESILIENCE: ResilienceSettings = {
  timeoutMs: 10_000,
  maxAttempts: 3,
  initialBackoffMs: 200,
  maxBackoffMs: 5_000,
  maxInlineRetryAfterMs: 2_000,
  breakerConsecutiveFailures: 5,
  breakerHalfOpenAfterMs: 30_000,
  ratePerSecond: 20,
  burst: 10,
};

export interface BankHttpClientOptions {
  providerId: string;
  resilience: ResilienceSettings;
  /** Client certificate for mTLS requests. */
  transport?: TransportCertificate;
  /** Extra CA to trust for plain TLS (the sandbox CA). */
  caPem?: string;
  logger?: Logger;
  metrics?: Metrics;
  observer?: (exchange: HttpExchange) => void;
  now?: () => Date;
  /** Told of every breaker transition (the connector-service publishes them for operators). */
  circuitReporter?: CircuitReporter;
  /** Where 429 pauses are kept: shared with the other connector-service instances; else this process's memory. */
  throttleBoard?: ThrottleBoard;
}

const CIRCUIT_NAMES: Record<CircuitState, ProviderCircuitState> = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.Open]: 'open',
  [CircuitState.HalfOpen]: 'half_open',
  [CircuitState.Isolated]: 'open',
};

/**
 * Exponential backoff with full jitter (AWS architecture blog): a uniformly random delay in
 * [0, min(max, initial × 2^(attempt-1))], so retries of many clients do not synchronise.
 */
export function fullJitterBackoff(
  attempt: number,
  settings: Pick<ResilienceSettings, 'initialBackoffMs' | 'maxBackoffMs'>,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(settings.maxBackoffMs, settings.initialBackoffMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(random() * ceiling);
}

/** Thrown inside the policy so retry / breaker see a retryable HTTP status as a failure. */
class RetryableStatus extends Error {
  constructor(
    readonly response: BankResponse,
    readonly retryAfterMs: number | undefined,
  ) {
    super(`HTTP ${response.status}`);
  }
}

/** A transport failure (refused, reset, DNS, TLS) with whether the bank can have seen the request. */
class NetworkFailure extends Error {
  constructor(
    readonly original: Error,
    readonly neverSent: boolean,
  ) {
    super(original.message);
  }
}

const RETRYABLE_STATUS = new Set([500, 502, 503, 504]);
const NEVER_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT']);

/**
 * cockatiel 3.2's own isTaskCancelledError tests the wrong marker ('isBulkheadRejectedError'), so a
 * timeout would pass as an unknown error: not retried, not counted by the breaker, not translated.
 */
export function isTimeout(e: unknown): boolean {
  return e instanceof Error && (e as { isTaskCancelledError?: unknown }).isTaskCancelledError === true;
}

function errorCode(e: unknown): string | undefined {
  const err = e as { code?: string; cause?: { code?: string } };
  return err?.code ?? err?.cause?.code;
}

/**
 * All outbound bank HTTP for one provider: per-attempt timeout, retries with exponential backoff and
 * full jitter on network errors and 5xx (idempotent requests only), Retry-After honoured on 429 (a
 * short one waited out, a long one pausing the provider until then), a circuit breaker, and an
 * outbound token-bucket rate limit. Non-2xx responses are returned for the standard's error parser.
 */
export class BankHttpClient {
  private readonly breaker: CircuitBreakerPolicy;
  private readonly bucket: TokenBucket;
  private readonly plainAgent: Dispatcher;
  private readonly mtlsAgents = new Map<string, Dispatcher>();
  /** Retry-After of a 429, per throttle key (provider, or one consent). */
  private readonly throttle: ThrottleBoard;
  private readonly now: () => Date;

  constructor(private readonly options: BankHttpClientOptions) {
    const r = options.resilience;
    this.now = options.now ?? (() => new Date());
    this.throttle = options.throttleBoard ?? new MemoryThrottleBoard(() => this.now().getTime());
    this.breaker = circuitBreaker(
      handleWhen(
        (e) =>
          e instanceof NetworkFailure || (e instanceof RetryableStatus && e.response.status !== 429) || isTimeout(e),
      ),
      { halfOpenAfter: r.breakerHalfOpenAfterMs, breaker: new ConsecutiveBreaker(r.breakerConsecutiveFailures) },
    );
    const reporter = options.circuitReporter;
    if (reporter) {
      this.breaker.onStateChange((state) =>
        reporter.report({
          providerId: options.providerId,
          state: CIRCUIT_NAMES[state],
          at: this.now(),
          halfOpenAfterMs: state === CircuitState.Open ? r.breakerHalfOpenAfterMs : null,
        }),
      );
    }
    this.bucket = new TokenBucket(r.ratePerSecond, r.burst);
    this.plainAgent = new Agent({ connect: options.caPem ? { ca: options.caPem } : {}, keepAliveTimeout: 10_000 });
  }

  /** One keep-alive agent per client certificate. */
  private mtlsAgent(transport: TransportCertificate | undefined): Dispatcher | undefined {
    if (!transport) return undefined;
    let agent = this.mtlsAgents.get(transport.certPem);
    if (!agent) {
      const ca = [transport.caPem, this.options.caPem].filter((x): x is string => Boolean(x));
      agent = new Agent({
        connect: { cert: transport.certPem, key: transport.keyPem, ...(ca.length > 0 ? { ca } : {}) },
        keepAliveTimeout: 10_000,
      });
      this.mtlsAgents.set(transport.certPem, agent);
    }
    return agent;
  }

  get providerId(): string {
    return this.options.providerId;
  }

  get circuitState(): ProviderCircuitState {
    return CIRCUIT_NAMES[this.breaker.state];
  }

  async close(): Promise<void> {
    await Promise.all([this.plainAgent.close(), ...[...this.mtlsAgents.values()].map((a) => a.close())]);
  }

  async send(req: BankRequest): Promise<BankResponse> {
    const providerId = this.options.providerId;
    const r = this.options.resilience;
    const nowMs = this.now().getTime();
    const throttleKey = req.throttleKey ?? 'provider';
    const paused = Math.max(
      this.throttle.pausedUntil(providerId, throttleKey),
      this.throttle.pausedUntil(providerId, 'provider'),
    );
    if (paused > nowMs) {
      throw rateLimitedError(providerId, Math.ceil((paused - nowMs) / 1000), this.now(), {
        operation: req.operation,
        cause: 'paused after a 429 with Retry-After',
      });
    }
    const dispatcher = req.mtls ? this.mtlsAgent(req.transport ?? this.options.transport) : this.plainAgent;
    if (!dispatcher) {
      throw bankError('bank_unauthorised', 'This bank needs a transport certificate and none is configured.', {
        providerId,
        detail: { operation: req.operation },
      });
    }
    const backoff = new DelegateBackoff<IRetryBackoffContext<unknown>>((ctx) => {
      const err = 'error' in ctx.result ? ctx.result.error : undefined;
      if (err instanceof RetryableStatus && err.retryAfterMs !== undefined) return err.retryAfterMs;
      return fullJitterBackoff(ctx.attempt, r);
    });
    const retryable = handleWhen((e) => {
      if (e instanceof NetworkFailure) return req.idempotent || e.neverSent;
      if (isTimeout(e)) return req.idempotent;
      if (e instanceof RetryableStatus) {
        // A Retry-After longer than we may wait inline ends the call now (the caller gets retryAt).
        if (e.retryAfterMs !== undefined && e.retryAfterMs > r.maxInlineRetryAfterMs) return false;
        if (e.response.status === 429) return req.idempotent && e.retryAfterMs !== undefined;
        return req.idempotent;
      }
      return false;
    });
    const policy = wrap(
      retry(retryable, { maxAttempts: Math.max(0, r.maxAttempts - 1), backoff }),
      this.breaker,
      timeout(r.timeoutMs, TimeoutStrategy.Aggressive),
    );
    let attempts = 0;
    try {
      // A signal of the call's own: without one, cockatiel derives every call's timeout from one signal
      // shared by all calls, which then holds a listener per call in flight (Node warns of a leak past 10).
      const callSignal = new AbortController().signal;
      return await policy.execute(async ({ signal }) => {
        attempts++;
        await this.bucket.acquire();
        await req.beforeAttempt?.();
        const response = await this.attempt(req, dispatcher, signal, attempts);
        if (RETRYABLE_STATUS.has(response.status) || response.status === 429) {
          const seconds = parseRetryAfter(response.headers['retry-after'], this.now());
          throw new RetryableStatus(response, seconds === undefined ? undefined : seconds * 1000);
        }
        return response;
      }, callSignal);
    } catch (error) {
      if (error instanceof RetryableStatus) {
        if (error.response.status === 429) {
          const seconds = parseRetryAfter(error.response.headers['retry-after'], this.now()) ?? 60;
          this.throttle.publish({ providerId, key: throttleKey, until: this.now().getTime() + seconds * 1000 });
        }
        return error.response;
      }
      throw this.translate(error, req, attempts);
    }
  }

  private translate(error: unknown, req: BankRequest, attempts: number): unknown {
    const providerId = this.options.providerId;
    if (error instanceof AppError) return error;
    if (isBrokenCircuitError(error) || error instanceof BrokenCircuitError) {
      return bankError('bank_unavailable', 'The bank is failing; calls are paused for a while (circuit open).', {
        providerId,
        detail: { operation: req.operation, cause: 'circuit open' },
        extensions: { circuit: 'open' },
      });
    }
    if (isTimeout(error)) {
      return bankError('bank_unavailable', `The bank did not answer within ${this.options.resilience.timeoutMs} ms.`, {
        providerId,
        detail: { operation: req.operation, cause: `timeout after ${attempts} attempt(s)` },
      });
    }
    if (error instanceof NetworkFailure) {
      return bankError('bank_unavailable', 'The bank could not be reached.', {
        providerId,
        detail: {
          operation: req.operation,
          cause: `${errorCode(error.original) ?? error.original.name}: ${error.original.message}`,
        },
      });
    }
    return error;
  }

  private async attempt(
    req: BankRequest,
    dispatcher: Dispatcher,
    signal: AbortSignal,
    attempt: number,
  ): Promise<BankResponse> {
    const started = performance.now();
    let status = 0;
    try {
      const res = await request(req.url, {
        method: req.method,
        headers: req.headers,
        body: req.body,
        signal,
        dispatcher,
      });
      status = res.statusCode;
      const text = await res.body.text();
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(res.headers))
        if (v !== undefined) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
      const response: BankResponse = { status, headers, text, attempts: attempt };
      this.options.observer?.({
        providerId: this.options.providerId,
        operation: req.operation,
        method: req.method,
        url: req.url,
        requestHeaders: { ...(req.headers ?? {}) },
        requestBody: req.body,
        status,
        responseHeaders: headers,
        responseBody: text,
      });
      return response;
    } catch (error) {
      if (signal.aborted) throw error;
      const code = errorCode(error);
      throw new NetworkFailure(error as Error, code !== undefined && NEVER_SENT_CODES.has(code));
    } finally {
      const seconds = (performance.now() - started) / 1000;
      this.options.metrics
        ?.histogram('bank_request_duration_seconds', 'Outbound bank calls by provider, operation and status', [
          'provider',
          'operation',
          'status',
        ])
        .observe({ provider: this.options.providerId, operation: req.operation, status: String(status) }, seconds);
      this.options.logger?.debug(
        {
          provider: this.options.providerId,
          operation: req.operation,
          method: req.method,
          path: new URL(req.url).pathname,
          status,
          attempt,
          ms: Math.round(seconds * 1000),
        },
        'bank call',
      );
    }
  }
}

export function newInteractionId(): string {
  return randomUUID();
}
