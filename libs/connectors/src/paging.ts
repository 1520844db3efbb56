import { AppError, readTransactionWindow } from '@ais/domain';
import { bankError } from './bank-error.js';
import { sameOrigin } from './http/bank-origins.js';
import { z } from 'zod';
import type { AccountTransactions, TransactionsPage, TransactionsQuery } from './connector.js';

/** Bounds pagination against a bank that links pages in a loop. */
export const MAX_PAGES = 500;

/**
 * Where a paged read stands, carried by the caller between pages so that any connector-service
 * instance can serve the next one: which of the query's bank calls (bulk, or one per account), the
 * bank's next-page URL on that call, and how many pages came before.
 */
const PageCursor = z.strictObject({
  call: z.number().int().min(0),
  next: z.url().optional(),
  pages: z.number().int().min(0).max(MAX_PAGES),
});
export type PageCursor = z.infer<typeof PageCursor>;

export const FIRST_PAGE: PageCursor = { call: 0, pages: 0 };

export function encodePageCursor(c: PageCursor): string {
  return Buffer.from(JSON.stringify(c), 'utf8').toString('base64url');
}

export function decodePageCursor(cursor: string | undefined): PageCursor {
  if (cursor === undefined) return FIRST_PAGE;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  const result = PageCursor.safeParse(parsed);
  if (!result.success) throw new AppError('validation_failed', 'The page cursor is not one this connector issued.');
  return result.data;
}

/**
 * The cursor after a page: the same call's next page, else the next call's first, else none. A bank
 * that links a page to itself, or past MAX_PAGES, is linking in a loop.
 */
export function nextPageCursor(
  at: PageCursor,
  calls: number,
  next: string | undefined,
  current: string,
  loop: () => AppError,
): string | null {
  if (next !== undefined) {
    if (next === current || at.pages + 1 >= MAX_PAGES) throw loop();
    return encodePageCursor({ call: at.call, next, pages: at.pages + 1 });
  }
  return at.call + 1 < calls ? encodePageCursor({ call: at.call + 1, pages: 0 }) : null;
}

/** Every page of a query, read one after another, with identities given over the whole window. */
export async function readAllTransactionPages(
  query: TransactionsQuery,
  page: (cursor: string | undefined) => Promise<TransactionsPage>,
): Promise<AccountTransactions[]> {
  const byAccount = await readTransactionWindow(query.accountIds, page);
  return query.accountIds.map((accountId) => ({ accountId, transactions: byAccount.get(accountId) ?? [] }));
}

/**
 * A next-page URL handed back in a cursor: it was re-rooted on the base in use (`base`) when its page
 * was read, so one on any other origin did not come from this connector, and our token does not go there.
 */
export function resumePageUrl(url: string, base: string, providerId: string): string {
  if (!sameOrigin(url, base))
    throw bankError('bank_invalid_response', 'The page cursor names another host.', {
      providerId,
      detail: { cause: url },
    });
  return url;
}

/** A bank that links a page to one already read, or past MAX_PAGES. */
export function pageLoopError(providerId: string, operation: string): AppError {
  return bankError('bank_invalid_response', 'The bank links its pages in a loop.', {
    providerId,
    detail: { operation },
  });
}
