import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Observable, from, lastValueFrom } from 'rxjs';
import { createHash } from 'node:crypto';
import { IdempotencyRepository } from '@ais/db';
import { KeyRing } from '@ais/crypto';
import { AppError } from '@ais/domain';
import type { TenantPrincipal } from '@ais/auth';

const TTL_MS = 24 * 3_600_000;
const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;
const REPLAYED_HEADERS = ['location', 'content-type'];
const sealedFor = (scope: string, key: string) => `idempotency:${scope}:${key}`;

/** Canonical JSON: key order does not matter, so reordered bodies count as the same request. */
export function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * `Idempotency-Key` on POST: the same key and body within 24 h returns the first response (with
 * `Idempotent-Replayed: true`); the same key with another body is a 409; a concurrent duplicate while
 * the first is running is a 409 too. Only successful responses are kept: a failed request changed
 * nothing, so retrying it runs it again. Scope: the tenant, or the operator on /admin.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  constructor(
    private readonly records: IdempotencyRepository,
    private readonly keyRing: KeyRing,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const request = context.switchToHttp().getRequest<FastifyRequest & { user?: TenantPrincipal }>();
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    const raw = request.headers['idempotency-key'];
    if (request.method !== 'POST' || raw === undefined) return next.handle();
    const key = Array.isArray(raw) ? raw[0] : raw;
    if (!KEY_PATTERN.test(key)) {
      throw AppError.validation([{ field: 'Idempotency-Key', message: 'must be 1-255 printable ASCII characters' }]);
    }
    const path = request.url.split('?')[0];
    const scope = request.user ? `tenant:${request.user.tenantId}` : path.startsWith('/admin') ? 'admin' : null;
    if (!scope) return next.handle();
    const hash = createHash('sha256')
      .update(`${request.method} ${request.url}\n${canonical(request.body ?? null)}`)
      .digest('hex');
    const declared = Reflect.getMetadata('__httpCode__', context.getHandler()) as number | undefined;
    return from(this.run(scope, key, hash, request, reply, path, next, declared ?? 201));
  }

  private async run(
    scope: string,
    key: string,
    hash: string,
    request: FastifyRequest,
    reply: FastifyReply,
    path: string,
    next: CallHandler,
    declaredStatus: number,
  ): Promise<unknown> {
    const existing = await this.records.claim(scope, key, hash, request.method, path, TTL_MS);
    if (existing) {
      if (existing.requestHash !== hash) {
        throw new AppError(
          'idempotency_conflict',
          'This Idempotency-Key was used with a different request. Use a new key for a new request.',
        );
      }
      if (existing.responseStatus === null) {
        throw new AppError(
          'idempotency_in_progress',
          'The first request with this Idempotency-Key is still running; retry shortly.',
          { retryAfterSeconds: 1 },
        );
      }
      void reply.status(existing.responseStatus).header('idempotent-replayed', 'true');
      for (const [name, value] of Object.entries(existing.responseHeaders ?? {})) void reply.header(name, value);
      if (existing.responseBody === null || existing.responseBody === '') return undefined;
      return JSON.parse(this.keyRing.openText(existing.responseBody, sealedFor(scope, key)));
    }
    try {
      const result = await lastValueFrom(next.handle(), { defaultValue: undefined });
      const headers: Record<string, string> = {};
      for (const name of REPLAYED_HEADERS) {
        const value = reply.getHeader(name);
        if (typeof value === 'string') headers[name] = value;
      }
      // Nest writes the route's status after interceptors; a handler may also have set one itself.
      const status = reply.statusCode !== 200 ? reply.statusCode : declaredStatus;
      // Responses can carry secrets shown once (API keys, client and webhook secrets): kept sealed.
      await this.records.complete(
        scope,
        key,
        status,
        result === undefined ? '' : this.keyRing.seal(JSON.stringify(result), sealedFor(scope, key)),
        headers,
      );
      return result;
    } catch (error) {
      await this.records.release(scope, key);
      throw error;
    }
  }
}
