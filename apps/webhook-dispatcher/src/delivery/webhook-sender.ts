import { isIP } from 'node:net';
import { Agent, Pool, errors as undiciErrors, type Dispatcher } from 'undici';
import {
  TargetPolicy,
  TargetRefusedError,
  guardedLookup,
  resolveTarget,
  targetOf,
  type WebhookTarget,
} from '@ais/webhooks';
import type { AttemptResult } from './retry-policy.js';
import type { SignatureHeaders } from './webhook-signer.js';

export interface SenderSettings {
  timeoutMs: number;
  connectTimeoutMs: number;
  maxResponseBytes: number;
}

const USER_AGENT = 'AIS-Gateway-Webhooks/1.0';
/** How long a name's checked addresses count as fresh for the per-attempt check (sockets re-check on connect). */
const RESOLUTION_TTL_MS = 1_000;

/** What an attempt needs of an endpoint's URL, read from it once (URL getters are not free). */
interface Destination {
  https: boolean;
  http: boolean;
  hostname: string;
  target: WebhookTarget;
  /** Scheme, host and port: the key of the target check's verdict. */
  key: string;
  origin: string;
  path: string;
}

/**
 * One signed POST per attempt. SSRF: the URL's scheme, the host's addresses and the port are checked
 * before every attempt, and every new connection resolves through guardedLookup (bound to its
 * origin's port and scheme), so a socket only ever connects to an address that passed the check for
 * that port (no window for DNS rebinding). Redirects are never followed (undici's request() does
 * not). An attempt gives up after WEBHOOK_CONNECT_TIMEOUT trying to connect, or WEBHOOK_TIMEOUT
 * waiting for the response; a response later than WEBHOOK_TIMEOUT in all is a failure whatever its
 * status. At most `maxResponseBytes` of a body are read. Connections are kept alive per origin.
 */
export class WebhookSender {
  private readonly agent: Agent;
  /** Per scheme, host and port: the last check's outcome, and until when it holds. */
  private readonly verdicts = new Map<string, { until: number; error: TargetRefusedError | null }>();
  private readonly destinations = new WeakMap<URL, Destination>();

  constructor(
    private readonly policy: TargetPolicy,
    private readonly settings: SenderSettings,
  ) {
    this.agent = new Agent({
      // One pool per origin, whose connections look their host up through the policy for the
      // origin's own port and scheme.
      factory: (origin, options) =>
        new Pool(origin, {
          ...(options as Pool.Options),
          connect: {
            timeout: settings.connectTimeoutMs,
            lookup: guardedLookup(policy, targetOf(new URL(String(origin)))),
          },
        }),
      connections: null,
      pipelining: 1,
      keepAliveTimeout: 4_000,
      keepAliveMaxTimeout: 30_000,
      headersTimeout: settings.timeoutMs,
      bodyTimeout: settings.timeoutMs,
    });
  }

  async send(url: URL, headers: SignatureHeaders, body: string): Promise<AttemptResult> {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    try {
      const destination = this.destinationOf(url);
      await this.checkTarget(destination);
      const { status, latencyMs } = await this.post(destination, headers, body, started);
      if (latencyMs > this.settings.timeoutMs)
        return {
          kind: 'timeout',
          responseStatus: status,
          latencyMs,
          error: `answered after ${latencyMs} ms (more than ${this.settings.timeoutMs} ms)`,
        };
      if (status >= 200 && status < 300) return { kind: 'success', responseStatus: status, latencyMs, error: null };
      if (status === 410) return { kind: 'gone', responseStatus: status, latencyMs, error: null };
      const error = status >= 300 && status < 400 ? 'redirects are not followed' : null;
      return { kind: 'http_error', responseStatus: status, latencyMs, error };
    } catch (error) {
      return this.failure(error, elapsed());
    }
  }

  /**
   * One POST through the agent's own dispatch interface, with a handler that keeps the status and
   * counts the body it discards: no response stream, header object or async resource per request, as
   * request() makes for each. Timeouts are undici's own (connect, then headers and body): an
   * AbortSignal per request cost as much CPU as the rest of the request in the benchmark.
   * Settles once the response is read (so keep-alive can reuse the socket), or when the body passes
   * maxResponseBytes (the connection is dropped); the latency is the time to the response headers. A
   * failure after the headers arrived (the body cut short) still counts the status, as it was answered.
   */
  private post(
    destination: Destination,
    headers: SignatureHeaders,
    body: string,
    started: number,
  ): Promise<{ status: number; latencyMs: number }> {
    const limit = this.settings.maxResponseBytes;
    return new Promise((resolve, reject) => {
      let status = 0;
      let latencyMs = 0;
      let read = 0;
      let abort: ((error?: Error) => void) | null = null;
      let settled = false;
      const answered = () => {
        if (settled) return;
        settled = true;
        resolve({ status, latencyMs });
      };
      const handler: Dispatcher.DispatchHandler = {
        onConnect: (abortRequest) => {
          abort = abortRequest;
        },
        onHeaders: (statusCode) => {
          if (statusCode < 200) return true; // 1xx: the real answer follows
          status = statusCode;
          latencyMs = Math.round(performance.now() - started);
          return true;
        },
        onData: (chunk) => {
          read += chunk.length;
          if (read > limit) {
            answered();
            abort?.(new Error(`response body over ${limit} bytes`));
          }
          return true;
        },
        onComplete: answered,
        onError: (error) => {
          if (status !== 0) answered();
          else if (!settled) {
            settled = true;
            reject(error);
          }
        },
      };
      this.agent.dispatch(
        {
          origin: destination.origin,
          path: destination.path,
          method: 'POST',
          headers: {
            'webhook-id': headers['webhook-id'],
            'webhook-timestamp': headers['webhook-timestamp'],
            'webhook-signature': headers['webhook-signature'],
            'content-type': 'application/json',
            'user-agent': USER_AGENT,
          },
          body,
        },
        handler,
      );
    });
  }

  async close(): Promise<void> {
    await this.agent.close();
  }

  private destinationOf(url: URL): Destination {
    let destination = this.destinations.get(url);
    if (!destination) {
      const target = targetOf(url);
      destination = {
        https: url.protocol === 'https:',
        http: url.protocol === 'http:',
        hostname: url.hostname,
        target,
        key: `${target.protocol}//${target.host}:${target.port}`,
        origin: url.origin,
        path: `${url.pathname}${url.search}`,
      };
      this.destinations.set(url, destination);
    }
    return destination;
  }

  private async checkTarget({ https, http, hostname, target, key }: Destination): Promise<void> {
    if (!https && !http) throw new TargetRefusedError(hostname, 'the URL must use https', 'scheme');
    const now = Date.now();
    const cached = this.verdicts.get(key);
    if (cached && cached.until > now) {
      if (cached.error) throw cached.error;
      return;
    }
    let error: TargetRefusedError | null = null;
    try {
      await resolveTarget(this.policy, target);
    } catch (failure) {
      if (!(failure instanceof TargetRefusedError)) throw failure; // DNS trouble: a network error, not cached
      error = failure;
    }
    // An IP literal's verdict depends only on the URL and the configuration (unless the allow-list
    // names hosts, whose addresses move): decided once. Names: checked again after a second, and on
    // every connect.
    const fixed = isIP(target.host) !== 0 && this.policy.names.length === 0;
    if (this.verdicts.size > 10_000) this.verdicts.clear();
    this.verdicts.set(key, { until: fixed ? Infinity : now + RESOLUTION_TTL_MS, error });
    if (error) throw error;
  }

  private failure(error: unknown, latencyMs: number): AttemptResult {
    if (error instanceof TargetRefusedError)
      return { kind: 'refused', responseStatus: null, latencyMs, error: error.message };
    const cause = (error as { cause?: unknown }).cause;
    if (cause instanceof TargetRefusedError)
      return { kind: 'refused', responseStatus: null, latencyMs, error: cause.message };
    if (error instanceof undiciErrors.ConnectTimeoutError) {
      return {
        kind: 'timeout',
        responseStatus: null,
        latencyMs,
        error: `could not connect within ${this.settings.connectTimeoutMs} ms`,
      };
    }
    if (error instanceof undiciErrors.HeadersTimeoutError || error instanceof undiciErrors.BodyTimeoutError) {
      return {
        kind: 'timeout',
        responseStatus: null,
        latencyMs,
        error: `timed out after ${this.settings.timeoutMs} ms`,
      };
    }
    const code = (error as NodeJS.ErrnoException).code;
    const message = error instanceof Error ? error.message : String(error);
    return {
      kind: 'network_error',
      responseStatus: null,
      latencyMs,
      error: (code && !message.includes(code) ? `${code}: ${message}` : message).slice(0, 300),
    };
  }
}
