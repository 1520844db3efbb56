import { Inject, Injectable } from '@nestjs/common';
import type { PrismaClient } from '../prisma.js';
import { PRISMA } from '../tokens.js';

export interface IdempotencyRecordView {
  requestHash: string;
  responseStatus: number | null;
  responseBody: string | null;
  responseHeaders: Record<string, string> | null;
  expiresAt: Date;
}

@Injectable()
export class IdempotencyRepository {
  constructor(@Inject(PRISMA) private readonly prisma: PrismaClient) {}

  /**
   * Claims (scope, key) for a new request. Returns null when this caller now owns the key, or the
   * existing record (possibly still in progress) when someone else does. Expired records are replaced.
   */
  async claim(
    scope: string,
    key: string,
    requestHash: string,
    method: string,
    path: string,
    ttlMs: number,
  ): Promise<IdempotencyRecordView | null> {
    const now = new Date();
    const rows = await this.prisma.$queryRaw<
      Array<{
        inserted: boolean;
        request_hash: string;
        response_status: number | null;
        response_body: string | null;
        response_headers: Record<string, string> | null;
        expires_at: Date;
      }>
    >`
      INSERT INTO idempotency_records (scope, key, request_hash, method, path, created_at, expires_at)
      VALUES (${scope}, ${key}, ${requestHash}, ${method}, ${path}, ${now}, ${new Date(now.getTime() + ttlMs)})
      ON CONFLICT (scope, key) DO UPDATE
        SET request_hash = EXCLUDED.request_hash, method = EXCLUDED.method, path = EXCLUDED.path,
            response_status = NULL, response_body = NULL, response_headers = NULL,
            created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at
        WHERE idempotency_records.expires_at <= ${now}
      RETURNING (xmax = 0) AS inserted, request_hash, response_status, response_body, response_headers, expires_at`;
    if (rows.length > 0) return null; // inserted, or replaced an expired record: ours now
    const existing = await this.prisma.idempotencyRecord.findUnique({ where: { scope_key: { scope, key } } });
    if (!existing) return this.claim(scope, key, requestHash, method, path, ttlMs); // vanished meanwhile
    return {
      requestHash: existing.requestHash,
      responseStatus: existing.responseStatus,
      responseBody: existing.responseBody,
      responseHeaders: existing.responseHeaders as Record<string, string> | null,
      expiresAt: existing.expiresAt,
    };
  }

  async complete(
    scope: string,
    key: string,
    status: number,
    body: string,
    headers: Record<string, string>,
  ): Promise<void> {
    await this.prisma.idempotencyRecord.update({
      where: { scope_key: { scope, key } },
      data: { responseStatus: status, responseBody: body, responseHeaders: headers },
    });
  }

  /** The request failed: free the key so a retry runs again. */
  async release(scope: string, key: string): Promise<void> {
    await this.prisma.idempotencyRecord.deleteMany({ where: { scope, key, responseStatus: null } });
  }

  async purgeExpired(now = new Date()): Promise<number> {
    return (await this.prisma.idempotencyRecord.deleteMany({ where: { expiresAt: { lt: now } } })).count;
  }
}
