import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

// Test tooling for webhook subscribers: a local receiver and a Standard Webhooks verifier written
// from the specification (independent of the library the dispatcher signs with).

export interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
  /** The status the receiver answered (undefined if the connection was cut). */
  status?: number;
}

export type Behaviour = (
  req: Received,
) => { status: number; delayMs?: number } | Promise<{ status: number; delayMs?: number }>;

/**
 * A subscriber on 127.0.0.1 for tests: records every request (headers and raw body), answers as
 * `behaviour` says (status, optional delay), and can go down and come back on the same port.
 */
export class TestReceiver {
  readonly received: Received[] = [];
  behaviour: Behaviour = () => ({ status: 204 });
  private server: Server | null = null;
  port = 0;

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(port = this.port): Promise<this> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const entry: Received = {
          path: req.url ?? '/',
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
          at: Date.now(),
        };
        this.received.push(entry);
        void Promise.resolve(this.behaviour(entry)).then(({ status, delayMs }) => {
          const answer = () => {
            if (res.destroyed) return;
            entry.status = status;
            res.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? 'ok' : 'nope');
          };
          if (delayMs) setTimeout(answer, delayMs).unref();
          else answer();
        });
      });
    });
    server.keepAliveTimeout = 5_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
    return this;
  }

  /** Stops listening and drops open connections: the subscriber is down. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Requests per webhook-id, and how many of them this receiver accepted (answered 2xx). */
  tally(): Map<string, { requests: number; accepted: number }> {
    const out = new Map<string, { requests: number; accepted: number }>();
    for (const r of this.received) {
      const id = String(r.headers['webhook-id']);
      const t = out.get(id) ?? { requests: 0, accepted: 0 };
      t.requests++;
      if (r.status !== undefined && r.status >= 200 && r.status < 300) t.accepted++;
      out.set(id, t);
    }
    return out;
  }
}

/** Polls `probe` until it returns something truthy, and returns that. */
export async function until<T>(
  what: string,
  probe: () => T | Promise<T>,
  timeoutMs = 15_000,
  everyMs = 25,
): Promise<Exclude<T, false | null | undefined | 0 | ''>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value as Exclude<T, false | null | undefined | 0 | ''>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/**
 * An independent verifier written from the Standard Webhooks specification (not from the library the
 * dispatcher signs with): the signed content is `{webhook-id}.{webhook-timestamp}.{body}`, the key is
 * the base64-decoded part of the secret after `whsec_`, the MAC is HMAC-SHA256, `webhook-signature`
 * is a space-separated list of `v1,<base64 MAC>`, and timestamps further than the tolerance from now
 * are rejected (replay protection).
 */
export function verifyStandardWebhook(
  secret: string,
  headers: Record<string, string | string[] | undefined>,
  body: string,
  options: { toleranceSeconds?: number; nowSeconds?: number } = {},
): { ok: true } | { ok: false; reason: string } {
  const header = (name: string) => {
    const value = headers[name];
    return Array.isArray(value) ? value[0] : value;
  };
  const id = header('webhook-id');
  const timestamp = header('webhook-timestamp');
  const signatures = header('webhook-signature');
  if (!id || !timestamp || !signatures) return { ok: false, reason: 'missing headers' };
  if (!/^\d+$/.test(timestamp)) return { ok: false, reason: 'bad timestamp' };
  const now = options.nowSeconds ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - Number(timestamp)) > (options.toleranceSeconds ?? 300))
    return { ok: false, reason: 'timestamp outside tolerance' };
  if (!secret.startsWith('whsec_')) return { ok: false, reason: 'not a whsec_ secret' };
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  const expected = Buffer.from(
    createHmac('sha256', key).update(`${id}.${timestamp}.${body}`, 'utf8').digest('base64'),
    'utf8',
  );
  for (const entry of signatures.split(' ')) {
    const comma = entry.indexOf(',');
    if (comma < 0 || entry.slice(0, comma) !== 'v1') continue;
    const given = Buffer.from(entry.slice(comma + 1), 'utf8');
    if (given.length === expected.length && timingSafeEqual(given, expected)) return { ok: true };
  }
  return { ok: false, reason: 'no matching signature' };
}
