import type { RedisClient } from '@ais/db';
import { randomUUID } from 'node:crypto';
import { AppError, draftDigest } from '@ais/domain';
import type { TransactionsPage } from '@ais/connectors';
import { serializedAs } from '@ais/rpc';

const HELD = 'held.';

/** Room left in each message for the RPC envelope (id, pattern, flags) around the page. */
const ENVELOPE_BYTES = 4_096;

/** What a draft's digest adds to the page's JSON: `"<22 characters>",`. */
const DIGEST_BYTES = 25;

interface HeldCursor {
  key: string;
  /** The chunk to answer with. */
  index: number;
  count: number;
  /** The connector's cursor after the bank page, for when every chunk has been read. */
  then: string | null;
}

/**
 * Bank pages larger than one RPC message. A bank that answers a whole history as one page (Al Salam
 * has no paging at all, seed 003) would make one reply exceed RPC_MAX_MESSAGE_BYTES: the page is cut
 * into chunks that fit, the first goes back at once and the others wait in RedisClient for the caller's
 * next requests (a claim check), which any connector-service instance can answer. The bank is called
 * once; a chunk asked for twice (a retry) is answered twice the same.
 */
export class HeldPages {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    private readonly maxMessageBytes: number,
    private readonly ttlSeconds = 900,
  ) {}

  static isHeld(cursor: string | undefined): cursor is string {
    return cursor?.startsWith(HELD) === true;
  }

  /** The page as it is when it fits one message, else its first chunk (the rest held). */
  async bound(page: TransactionsPage): Promise<TransactionsPage> {
    const budget = this.maxMessageBytes - ENVELOPE_BYTES;
    // Measured as JSON: the reply's serializer sends this text rather than making it again.
    const json = pageJson(page);
    if (json.length <= budget) return serializedAs(page, json);
    const chunks = this.cut(page, budget);
    const key = `${this.prefix}:held-page:${randomUUID()}`;
    await this.redis
      .multi()
      .rpush(key, ...chunks.map((c) => JSON.stringify(c)))
      .expire(key, this.ttlSeconds)
      .exec();
    return this.answer(chunks[0], { key, index: 0, count: chunks.length, then: page.nextCursor });
  }

  /** The chunk a held cursor names. */
  async resume(cursor: string): Promise<TransactionsPage> {
    const at = decode(cursor);
    if (!at.key.startsWith(`${this.prefix}:held-page:`))
      throw new AppError('validation_failed', 'The page cursor is not one this service issued.');
    const text = await this.redis.lindex(at.key, at.index);
    if (text === null)
      throw new AppError(
        'service_unavailable',
        `The rest of the bank's page is no longer held (kept ${this.ttlSeconds} s): read the window again.`,
      );
    return this.answer(JSON.parse(text) as Omit<TransactionsPage, 'nextCursor'>, at);
  }

  private answer(chunk: Omit<TransactionsPage, 'nextCursor'>, at: HeldCursor): TransactionsPage {
    const next = at.index + 1 < at.count ? encode({ ...at, index: at.index + 1 }) : at.then;
    const page = { ...chunk, nextCursor: next };
    return serializedAs(page, pageJson(page));
  }

  /** Consecutive runs of the page's transactions, in its order, each chunk's JSON within the budget. */
  private cut(page: TransactionsPage, budget: number): Omit<TransactionsPage, 'nextCursor'>[] {
    const chunks: Omit<TransactionsPage, 'nextCursor'>[] = [];
    let current: TransactionsPage['accounts'] = [];
    let size = 0;
    const flush = () => {
      if (current.length > 0) chunks.push({ order: page.order, accounts: current });
      current = [];
      size = 0;
    };
    for (const account of page.accounts) {
      const overhead = Buffer.byteLength(JSON.stringify({ accountId: account.accountId, transactions: [] })) + 64;
      for (const t of account.transactions) {
        const bytes = Buffer.byteLength(JSON.stringify(t)) + 1 + DIGEST_BYTES;
        if (bytes + overhead > budget)
          throw new AppError('payload_too_large', 'One transaction of the bank is larger than an RPC message.');
        if (size + bytes + overhead > budget) flush();
        let entry = current.at(-1);
        if (entry?.accountId !== account.accountId) {
          entry = { accountId: account.accountId, transactions: [] };
          current.push(entry);
          size += overhead;
        }
        entry.transactions.push(t);
        size += bytes;
      }
    }
    flush();
    return chunks.length > 0 ? chunks : [{ order: page.order, accounts: [] }];
  }
}

/**
 * The page's JSON as UTF-8 bytes, with each account's `digests` (see TransactionPage): every draft's
 * text made once, for the page and for its digest. The sync-worker compares a window with what it
 * stored by these digests, instead of making every item's text again (which cost it more than the
 * rest of a re-sync of unchanged data). Made as bytes, draft by draft: cheaper than one string for
 * the page encoded as a whole (see bench/sync/README.md).
 */
export function pageJson(page: TransactionsPage): Buffer {
  const { accounts, ...rest } = page;
  const parts: Buffer[] = [Buffer.from('{"accounts":[')];
  for (const [i, { transactions, digests: _sent, ...account }] of accounts.entries()) {
    const texts = transactions.map((t) => Buffer.from(JSON.stringify(t)));
    const head = JSON.stringify({ ...account, digests: texts.map(draftDigest) });
    parts.push(Buffer.from(`${i > 0 ? ',' : ''}${head.slice(0, -1)},"transactions":[`));
    for (const [j, text] of texts.entries()) {
      if (j > 0) parts.push(COMMA);
      parts.push(text);
    }
    parts.push(Buffer.from(']}'));
  }
  const tail = JSON.stringify(rest);
  parts.push(Buffer.from(tail === '{}' ? ']}' : `],${tail.slice(1)}`));
  return Buffer.concat(parts);
}

const COMMA = Buffer.from(',');

function encode(c: HeldCursor): string {
  return HELD + Buffer.from(JSON.stringify(c), 'utf8').toString('base64url');
}

function decode(cursor: string): HeldCursor {
  try {
    const c = JSON.parse(Buffer.from(cursor.slice(HELD.length), 'base64url').toString('utf8')) as HeldCursor;
    if (
      typeof c.key === 'string' &&
      Number.isInteger(c.index) &&
      Number.isInteger(c.count) &&
      c.index >= 0 &&
      c.index < c.count &&
      (c.then === null || typeof c.then === 'string')
    )
      return c;
  } catch {
    // fall through
  }
  throw new AppError('validation_failed', 'The page cursor is not one this service issued.');
}
