import { randomUUID } from 'node:crypto';
import type { TLSSocket, PeerCertificate } from 'node:tls';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';

/** Marks a body that was sent with a JSON content type but could not be parsed. */
export class MalformedBody {
  constructor(readonly contentType: string) {}
}
/** Marks a body sent with a content type the sandbox does not parse. */
export class UnsupportedBody {
  constructor(readonly contentType: string) {}
}

/** Parses a form body; repeated fields (accountIds) become arrays. */
export function parseForm(text: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of new URLSearchParams(text)) {
    const prev = out[k];
    out[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return out;
}

/**
 * Body parsers for the banks: JSON that never throws (a bank answers bad JSON in its own error format,
 * not the gateway's problem+json), application/jwt for DCR, forms for token endpoints and PSU pages,
 * and a catch-all so unsupported media types reach the bank's own 415. Registered through Nest's
 * useBodyParser so Nest does not add its defaults on top.
 */
export function installBodyParsers(app: NestFastifyApplication): void {
  const fastify = app.getHttpAdapter().getInstance();
  if (fastify.hasContentTypeParser('application/json')) fastify.removeContentTypeParser('application/json');
  if (fastify.hasContentTypeParser('application/x-www-form-urlencoded'))
    fastify.removeContentTypeParser('application/x-www-form-urlencoded');
  app.useBodyParser('application/json', {}, (req, body, done) => {
    const text = body.toString('utf8');
    if (text.trim() === '') return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch {
      done(null, new MalformedBody(String(req.headers['content-type'])));
    }
  });
  app.useBodyParser('application/jwt', {}, (_req, body, done) => done(null, body.toString('utf8')));
  app.useBodyParser('application/x-www-form-urlencoded', {}, (_req, body, done) =>
    done(null, parseForm(body.toString('utf8'))),
  );
  app.useBodyParser('*', {}, (req, _body, done) =>
    done(null, new UnsupportedBody(String(req.headers['content-type']))),
  );
}

export function header(req: FastifyRequest, name: string): string | undefined {
  const v = req.headers[name.toLowerCase()];
  const s = Array.isArray(v) ? v[0] : v;
  return s === undefined || s === '' ? undefined : s;
}

export function query(req: FastifyRequest): Record<string, string | undefined> {
  const q = (req.query ?? {}) as Record<string, unknown>;
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(q)) {
    const first: unknown = Array.isArray(v) ? v[0] : v;
    out[k] =
      typeof first === 'string'
        ? first
        : typeof first === 'number' || typeof first === 'boolean'
          ? String(first)
          : undefined;
  }
  return out;
}

export function formOf(req: FastifyRequest): Record<string, string | string[]> {
  const b = req.body;
  return b && typeof b === 'object' && !(b instanceof MalformedBody) && !(b instanceof UnsupportedBody)
    ? (b as Record<string, string | string[]>)
    : {};
}

export function str(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/** The TLS client certificate of an mTLS request, when the CA-verified handshake presented one. */
export function peerCertificate(req: FastifyRequest): PeerCertificate | undefined {
  const socket = req.raw.socket as TLSSocket;
  if (typeof socket.getPeerCertificate !== 'function') return undefined;
  if (!socket.authorized) return undefined;
  const cert = socket.getPeerCertificate();
  return cert && Object.keys(cert).length > 0 ? cert : undefined;
}

/**
 * What the TLS handshake says about the client certificate: `missing` on the plain listener or when
 * none was sent, `invalid` / `expired` when one was sent that the sandbox CA does not vouch for (the
 * mTLS listener asks for a certificate but lets the bank decide: rejectUnauthorized is false).
 */
export function clientCertificate(
  req: FastifyRequest,
): { state: 'verified'; cert: PeerCertificate } | { state: 'missing' | 'invalid' | 'expired'; reason: string } {
  const socket = req.raw.socket as TLSSocket;
  if (typeof socket.getPeerCertificate !== 'function')
    return { state: 'missing', reason: 'plain HTTP: no TLS client certificate' };
  const cert = socket.getPeerCertificate();
  if (!cert || Object.keys(cert).length === 0)
    return { state: 'missing', reason: 'no client certificate was presented' };
  if (socket.authorized) return { state: 'verified', cert };
  const error = String(socket.authorizationError ?? 'unverified');
  return { state: error === 'CERT_HAS_EXPIRED' ? 'expired' : 'invalid', reason: error };
}

export function isMtls(req: FastifyRequest): boolean {
  return typeof (req.raw.socket as TLSSocket).getPeerCertificate === 'function';
}

export function interactionId(req: FastifyRequest): string {
  const v = header(req, 'x-fapi-interaction-id');
  return v && /^[A-Za-z0-9._:-]{1,100}$/.test(v) ? v : randomUUID();
}

/** Sends a JSON body exactly as given (string bodies go out verbatim: the malformed-JSON fault). */
export function sendJson(
  reply: FastifyReply,
  status: number,
  body: unknown,
  contentType = 'application/json; charset=utf-8',
): void {
  void reply
    .status(status)
    .header('content-type', contentType)
    .send(typeof body === 'string' ? body : JSON.stringify(body));
}

export function sendHtml(reply: FastifyReply, status: number, html: string): void {
  void reply
    .status(status)
    .header('content-type', 'text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .send(html);
}

/** An error that knows how to render itself in its bank's own format. */
export abstract class BankHttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
  abstract body(): unknown;
  contentType(): string {
    return 'application/json; charset=utf-8';
  }
  render(reply: FastifyReply): void {
    for (const [k, v] of Object.entries(this.headers)) void reply.header(k, v);
    const body = this.body();
    if (body === undefined) void reply.status(this.status).send();
    else sendJson(reply, this.status, body, this.contentType());
  }
}

/** RFC 6749 §5.2 errors of token and registration endpoints. */
export class OAuthError extends BankHttpError {
  constructor(
    readonly error: string,
    readonly description: string,
    status = 400,
    headers: Record<string, string> = {},
  ) {
    super(status, description, headers);
  }
  body() {
    return { error: this.error, error_description: this.description };
  }
}

export function bearer(req: FastifyRequest): string | undefined {
  const auth = header(req, 'authorization');
  const m = auth ? /^Bearer\s+(\S+)$/i.exec(auth) : null;
  return m ? m[1] : undefined;
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/**
 * One trailing slash of the path is ignored, as find-my-way's ignoreTrailingSlash does: `/allstar/`
 * → `/allstar`, `/saltbank/v1/accounts/?x=1` → `/saltbank/v1/accounts?x=1`; `/` stays `/`.
 */
export function withoutTrailingSlash(url: string): string {
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  if (path.length <= 1 || !path.endsWith('/')) return url;
  return path.slice(0, -1) + (q === -1 ? '' : url.slice(q));
}
