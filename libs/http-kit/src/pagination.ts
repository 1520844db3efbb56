import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { AppError } from '@ais/domain';

export const DEFAULT_PAGE_LIMIT = 100;
export const MAX_PAGE_LIMIT = 500;

/** `?limit=&cursor=` on every list endpoint. */
export class PageQueryDto {
  @ApiPropertyOptional({ minimum: 1, maximum: MAX_PAGE_LIMIT, default: DEFAULT_PAGE_LIMIT })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_PAGE_LIMIT)
  limit?: number;

  @ApiPropertyOptional({ description: 'Opaque cursor from the previous page’s nextCursor.' })
  @IsOptional()
  @IsString()
  @MaxLength(512)
  cursor?: string;
}

export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}

/** Cursors are opaque to callers: base64url JSON with a kind tag, so one list's cursor can't feed another. */
export function encodeCursor(kind: string, position: Record<string, string | number>): string {
  return Buffer.from(JSON.stringify({ k: kind, p: position }), 'utf8').toString('base64url');
}

export function decodeCursor<T extends Record<string, string | number>>(
  kind: string,
  cursor: string | undefined,
  keys: (keyof T)[],
): T | undefined {
  if (cursor === undefined) return undefined;
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as {
      k?: unknown;
      p?: Record<string, unknown>;
    };
    if (
      parsed.k === kind &&
      parsed.p &&
      keys.every((key) => ['string', 'number'].includes(typeof parsed.p![key as string]))
    ) {
      return parsed.p as T;
    }
  } catch {
    // fall through
  }
  throw AppError.validation([{ field: 'cursor', message: 'cursor is not valid for this list' }]);
}

/** Builds a page from `limit + 1` fetched rows: the extra row only tells whether there is more. */
export function toPage<R, T>(rows: R[], limit: number, map: (row: R) => T, cursorOf: (row: R) => string): Page<T> {
  const more = rows.length > limit;
  const pageRows = more ? rows.slice(0, limit) : rows;
  return {
    data: pageRows.map(map),
    nextCursor: more && pageRows.length > 0 ? cursorOf(pageRows[pageRows.length - 1]) : null,
  };
}
