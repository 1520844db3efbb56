import { isIP } from 'node:net';
import { Agent, Pool, errors as undiciErrors } from 'undici';
import { TargetPolicy, TargetRefusedError, guardedLookup, resolveTarget, targetOf } from '@ais/webhooks';
import type { AttemptResult } from './retry-policy.js';

export interface SenderSettings {
  timeoutMs: number;
  connectTimeoutMs: number;
  maxResponseBytes: number;
}

const USER_AGENT = 'AIS-Gateway-Webhooks/1.0';
/** How long a name's checked addresses count as fresh for the per-attempt check (sockets re-check on connect). */
const RESOLUTION_TTL_MS = 1_000;

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

  async send(url: URL, headers: Record<string, string>, body: string): Promise<AttemptResult> {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    try {
      await this.checkTarget(url);
      // Timeouts are undici's own (connect, then headers and body): an AbortSignal per request cost
      // as much CPU as the rest of the request in the benchmark.
      const response = await this.agent.request({
        origin: url.origin,
        path: `${url.pathname}${url.search}`,
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json', 'user-agent': USER_AGENT },
        body,
      });
      const latencyMs = elapsed();
      // Read at most maxResponseBytes, so keep-alive can reuse the socket; a bigger body is cut off.
      await response.body.dump({ limit: this.settings.maxResponseBytes }).catch(() => undefined);
      const status = response.statusCode;
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

  async close(): Promise<void> {
    await this.agent.close();
  }

  private async checkTarget(url: URL): Promise<void> {
    if (url.protocol !== 'https:' && url.protocol !== 'http:')
      throw new TargetRefusedError(url.hostname, 'the URL must use https', 'scheme');
    const target = targetOf(url);
    const key = `${target.protocol}//${target.host}:${target.port}`;
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
