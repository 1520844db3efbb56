import { isIP } from 'node:net';
import { Agent, errors as undiciErrors } from 'undici';
import { TargetPolicy, TargetRefusedError, guardedLookup, resolveTarget, stripBrackets } from '@ais/webhooks';
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
 * One signed POST per attempt. SSRF: the URL's scheme and the host's addresses are checked before
 * every attempt, and every new connection resolves through guardedLookup, so a socket only ever
 * connects to an address that passed the check (no window for DNS rebinding). Redirects are never
 * followed (undici's request() does not). An attempt gives up after WEBHOOK_CONNECT_TIMEOUT trying to
 * connect, or WEBHOOK_TIMEOUT waiting for the response; a response later than WEBHOOK_TIMEOUT in all
 * is a failure whatever its status. At most `maxResponseBytes` of a body are read. Connections are
 * kept alive per origin.
 */
export class WebhookSender {
  private readonly agent: Agent;
  private readonly resolved = new Map<string, { until: number; error: Error | null }>();
  private readonly staticVerdicts = new Map<string, TargetRefusedError | null>();

  constructor(
    private readonly policy: TargetPolicy,
    private readonly settings: SenderSettings,
  ) {
    this.agent = new Agent({
      connect: { lookup: guardedLookup(policy), timeout: settings.connectTimeoutMs },
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
    const host = stripBrackets(url.hostname);
    // What depends only on the URL and the configuration (scheme, IP literals) is decided once per host.
    const key = `${url.protocol}//${host}`;
    let fixed = this.staticVerdicts.get(key);
    if (fixed === undefined) {
      fixed = this.staticVerdict(url.protocol, host);
      if (this.staticVerdicts.size > 10_000) this.staticVerdicts.clear();
      this.staticVerdicts.set(key, fixed);
    }
    if (fixed) throw fixed;
    if (isIP(host)) return;
    // Names: the addresses are checked before every attempt (cached for a second), and again on connect.
    const now = Date.now();
    const cached = this.resolved.get(host);
    if (cached && cached.until > now) {
      if (cached.error) throw cached.error;
      return;
    }
    try {
      await resolveTarget(this.policy, host);
      this.resolved.set(host, { until: now + RESOLUTION_TTL_MS, error: null });
    } catch (error) {
      if (error instanceof TargetRefusedError) this.resolved.set(host, { until: now + RESOLUTION_TTL_MS, error });
      throw error;
    }
    if (this.resolved.size > 10_000) this.resolved.clear();
  }

  private staticVerdict(protocol: string, host: string): TargetRefusedError | null {
    if (protocol !== 'https:' && !(protocol === 'http:' && this.policy.isHostListed(host))) {
      return new TargetRefusedError(host, 'plain http is only allowed for hosts in WEBHOOK_ALLOWED_PRIVATE_TARGETS');
    }
    if (isIP(host)) {
      const verdict = this.policy.checkAddress(host, host);
      if (!verdict.ok) return new TargetRefusedError(host, verdict.reason);
    }
    return null;
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
