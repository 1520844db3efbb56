import type { Type as Class } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { MAX_CURSOR_LENGTH } from './cursor.js';

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
  @MaxLength(MAX_CURSOR_LENGTH)
  cursor?: string;
}

export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}

/**
 * A page of a short list held in memory (queues, providers' health), in order of `key`: the items after
 * the cursor's key, `limit` of them, and whether more follow. Only the page's items are then worked on.
 */
export function pageByKey<T>(
  items: T[],
  key: (item: T) => string,
  limit: number,
  after: string | undefined,
): { items: T[]; more: boolean } {
  const sorted = [...items].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  const rest = after === undefined ? sorted : sorted.filter((item) => key(item) > after);
  return { items: rest.slice(0, limit), more: rest.length > limit };
}

/**
 * Builds a page from `limit + 1` fetched rows: the extra row only tells whether there is more.
 * `cursorOf` makes the next page's cursor from the page's last row (with a CursorCodec).
 */
export function toPage<R, T>(rows: R[], limit: number, map: (row: R) => T, cursorOf: (row: R) => string): Page<T> {
  const more = rows.length > limit;
  const pageRows = more ? rows.slice(0, limit) : rows;
  return {
    data: pageRows.map(map),
    nextCursor: more && pageRows.length > 0 ? cursorOf(pageRows[pageRows.length - 1]) : null,
  };
}

/**
 * The OpenAPI schema of a list's page, `{ data: Item[], nextCursor }`, named `<Item>Page` after the item's
 * view (`ConsentView` → `ConsentPage`), so a generated client types every list.
 */
export function PageView<T>(item: Class<T>): Class<Page<T>> {
  class PageOfItems {
    @ApiProperty({ type: [item] }) data!: T[];
    @ApiProperty({
      type: String,
      nullable: true,
      description: 'Pass as `cursor` for the next page; null on the last page.',
    })
    nextCursor!: string | null;
  }
  Object.defineProperty(PageOfItems, 'name', { value: `${item.name.replace(/View$/, '')}Page` });
  return PageOfItems;
}
