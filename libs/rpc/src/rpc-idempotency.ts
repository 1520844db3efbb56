import type { RedisClient } from '@ais/db';
import { randomUUID } from 'node:crypto';
import type { CallHandler, ExecutionContext, NestInterceptor } from '@nestjs/common';
import { from, lastValueFrom, type Observable } from 'rxjs';
import { AppError } from '@ais/domain';
import { fromRpcError, type RpcErrorPayload } from './rpc-errors.js';

/**
 * Requests that act at the bank (a consent created, a code spent, a refresh token rotated, a client
 * registered, a consent revoked): a repeat would act twice. They carry an idempotency key instead, so
 * the caller can send one again after a timeout (its instance died, or is slow) without a second act.
 */
export const IDEMPOTENT_PATTERNS: ReadonlySet<string> = new Set([
  'connector.createConsent',
  'connector.exchangeCode',
  'connector.refreshTokens',
  'connector.onboard',
  'connector.revokeConsent',
]);

export const newIdempotencyKey = (): string => randomUUID();

type Record =
  | { state: 'pending' }
  | { state: 'done'; response: unknown }
  | { state: 'failed'; error: RpcErrorPayload | { code: 'internal_error'; detail: string } };

const KEY = /^[A-Za-z0-9-]{8,64}$/;

/**
 * Server side of the idempotency key: the first request with a key runs and leaves its outcome in
 * RedisClient (`<prefix>:rpc-idem:<pattern>:<key>`, kept `ttlSeconds`); a repeat gets that outcome without
 * running. A repeat that arrives while the first still runs waits for it; if the first instance died
 * with the request in hand, nobody knows whether the bank acted, so the repeat is answered
 * service_unavailable rather than acting again.
 */
export class RpcIdempotency implements NestInterceptor {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    private readonly waitMs: number,
    private readonly ttlSeconds = 600,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const pattern = String(context.switchToRpc().getContext<{ getSubject?: () => string }>()?.getSubject?.() ?? '');
    const data = context.switchToRpc().getData<{ idempotencyKey?: unknown }>();
    const key = data?.idempotencyKey;
    if (typeof key !== 'string' || !KEY.test(key)) return next.handle();
    const route = [...IDEMPOTENT_PATTERNS].find((p) => pattern.endsWith(p.slice('connector.'.length))) ?? pattern;
    return from(this.once(`${this.prefix}:rpc-idem:${route}:${key}`, () => lastValueFrom(next.handle())));
  }

  private async once(key: string, run: () => Promise<unknown>): Promise<unknown> {
    const claimed = await this.redis.set(key, JSON.stringify({ state: 'pending' }), 'EX', this.ttlSeconds, 'NX');
    if (claimed === 'OK') {
      try {
        const response = await run();
        await this.redis.set(key, JSON.stringify({ state: 'done', response }), 'EX', this.ttlSeconds);
        return response;
      } catch (error) {
        const payload =
          error instanceof AppError
            ? { code: error.code, detail: error.detail, extensions: error.extensions, fieldErrors: error.fieldErrors }
            : { code: 'internal_error' as const, detail: 'The service failed unexpectedly.' };
        await this.redis.set(key, JSON.stringify({ state: 'failed', error: payload }), 'EX', this.ttlSeconds);
        throw error;
      }
    }
    const until = Date.now() + this.waitMs;
    for (;;) {
      const text = await this.redis.get(key);
      const record = text ? (JSON.parse(text) as Record) : undefined;
      if (record?.state === 'done') return record.response;
      if (record?.state === 'failed') throw fromRpcError(record.error);
      if (Date.now() > until)
        throw new AppError(
          'service_unavailable',
          'An earlier attempt of this request has not finished (its instance may have stopped); whether the bank acted is unknown, so it is not repeated.',
        );
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
