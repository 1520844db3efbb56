import { MAX_TRANSACTION_IDS_PER_EVENT } from '@ais/contracts';
import type {
  ChangeKind,
  EventRepository,
  Prisma,
  SyncCounts,
  SyncRunRepository,
  TransactionRow,
  TransactionWriteRepository,
} from '@ais/db';
import { newId, readTransactionWindow, type Transaction, type TransactionPage } from '@ais/domain';
import { diffTransactions, hashAll, jsonColumns, toTransactionRow, transactionHashOf } from './transaction-diff.js';
import {
  dayDigests,
  dayDigestsOfDrafts,
  encodeDays,
  unchangedSince,
  type DateRange,
  type DayDigests,
} from './transaction-fingerprint.js';

/** Days a removed pending row stays eligible to be replaced by a booked one arriving later. */
const PENDING_REPLACEMENT_DAYS = 10;

/** The content hash of each item of a batch, and the batch's day digests. */
interface Hashed {
  /** null: not made (the day digests come from the connector's digests; the hashes only if rows are written). */
  hashes: readonly string[] | null;
  days: DayDigests;
}

/** An account's transactions for one window, made ready ahead of its database transaction. */
export interface PreparedTransactions {
  items: readonly Transaction[];
  /** null: not hashed ahead (see `prepareTransactions`). */
  hashed: Hashed | null;
}

/**
 * The connector's `draftDigest` of the items it sent (TransactionPage.digests), by item: the drafts
 * become the window's transactions in place, so the digest of each is found by the object.
 */
export type ItemDigests = WeakMap<object, string>;

async function hash(items: readonly Transaction[]): Promise<Hashed> {
  const hashes = await hashAll(items);
  return { hashes, days: dayDigests(items, hashes) };
}

/**
 * `readTransactionWindow`, keeping the digests the connector sent with each page (`digests`): a page
 * without them, or with a count that does not match its drafts, gives none.
 */
export async function readDigestedWindow(
  accountIds: readonly string[],
  page: (cursor: string | undefined) => Promise<TransactionPage & { nextCursor: string | null }>,
  digests: ItemDigests,
): Promise<Map<string, Transaction[]>> {
  return readTransactionWindow(accountIds, async (cursor) => {
    const p = await page(cursor);
    for (const a of p.accounts)
      if (a.digests?.length === a.transactions.length)
        for (const [i, t] of a.transactions.entries()) digests.set(t, a.digests[i]);
    return p;
  });
}

/**
 * The day digests of a batch, done before the batch's transaction and its lock. From the connector's
 * digests when every item has one: no item's text is made again (a re-sync of unchanged data then
 * costs a small fraction of the first sync), and the content hashes are made only if rows are
 * written. Else the CPU-heavy way, hashing every item, yielding to the event loop as it goes; not
 * when the account is expected to hold no row yet (`holdsRows` false: its first window): such a batch
 * cannot be unchanged, and hashes its items as it COPYs them in, with the JSON text it makes for the
 * rows anyway.
 */
export async function prepareTransactions(
  items: readonly Transaction[],
  holdsRows = true,
  digests?: ItemDigests,
): Promise<PreparedTransactions> {
  const sent = digests && digestsOf(items, digests);
  if (sent) return { items, hashed: { hashes: null, days: dayDigestsOfDrafts(items, sent) } };
  return { items, hashed: holdsRows || items.length === 0 ? await hash(items) : null };
}

/** Every item's digest, or undefined if one has none. */
function digestsOf(items: readonly Transaction[], digests: ItemDigests): string[] | undefined {
  const out: string[] = [];
  for (const t of items) {
    const d = digests.get(t);
    if (d === undefined) return undefined;
    out.push(d);
  }
  return out;
}

export interface TransactionLoad {
  tenantId: string;
  consentId: string;
  accountId: string;
  syncRunId: string;
  window: DateRange;
  prepared: PreparedTransactions;
  now: Date;
}

export interface TransactionLoadRepositories {
  transactions: TransactionWriteRepository;
  runs: SyncRunRepository;
  events: EventRepository;
}

/**
 * Stores one account's transactions for one window, inside the caller's transaction under the
 * consent's lock: nothing at all when the account's fingerprint shows the bank's answer is stored
 * already (see transaction-fingerprint.ts); else the diff's writes, the change feed, the run's counts
 * and the `transactions.*` events, and the new fingerprint. An account that holds no row yet takes
 * every item as a new row, made as the COPY streams. Returns what changed.
 */
export async function loadTransactions(
  tx: Prisma.TransactionClient,
  repos: TransactionLoadRepositories,
  load: TransactionLoad,
): Promise<SyncCounts> {
  const { accountId, window, prepared } = load;
  const { items } = prepared;
  const { fingerprint, holdsRows } = await repos.transactions.fingerprintOf(tx, accountId);
  let counts: SyncCounts;
  let changes: { transactionId: string; kind: ChangeKind }[] = [];
  let days: DayDigests;
  if (!holdsRows && items.length > 0) {
    // Nothing stored, something to store: what the diff would say, without its lookups and row objects;
    // each item's row, hash and JSON text made as the COPY streams.
    const scope = { tenantId: load.tenantId, consentId: load.consentId, accountId, now: load.now };
    const hashes: string[] = [];
    const ids = await repos.transactions.insertNew(tx, scope, newRows(items, hashes));
    days = prepared.hashed?.days ?? dayDigests(items, hashes);
    changes = ids.map((transactionId) => ({ transactionId, kind: 'added' as const }));
    counts = { added: ids.length, modified: 0, removed: 0 };
  } else {
    // Hashed ahead, unless the account was expected to be empty and is not: hashed here.
    const hashed = prepared.hashed ?? (await hash(items));
    days = hashed.days;
    const unchanged = unchangedSince(fingerprint, window, days);
    if (
      unchanged &&
      (unchanged.outside.length === 0 ||
        (await repos.transactions.countHeld(tx, accountId, unchanged.outside)) === unchanged.expected)
    )
      return { added: 0, modified: 0, removed: 0 };
    // Digested by the connector: the rows' content hashes are made now that rows are compared.
    const hashes = hashed.hashes ?? (await hashAll(items));
    const stored = await repos.transactions.loadForDiff(
      tx,
      accountId,
      window,
      new Date(load.now.getTime() - PENDING_REPLACEMENT_DAYS * 86_400_000),
      items.map((t) => t.identityKey),
    );
    const diff = diffTransactions(items, stored, window, hashes);
    counts = diff.counts;
    if (diff.upserts.length + diff.removedIds.length > 0)
      changes = await repos.transactions.write(tx, {
        tenantId: load.tenantId,
        consentId: load.consentId,
        accountId,
        now: load.now,
        upserts: diff.upserts,
        removedIds: diff.removedIds,
      });
  }
  await repos.transactions.saveFingerprint(
    tx,
    accountId,
    { windowFrom: window.from, windowTo: window.to, days: encodeDays(days) },
    load.now,
  );
  if (changes.length > 0) {
    await repos.runs.addCounts(tx, load.syncRunId, counts);
    await appendTransactionEvents(tx, repos.events, load, changes);
  }
  return counts;
}

/**
 * Every item as a new row with a new id, made one at a time as the caller consumes them: its JSON text
 * once, for the row and for its content hash, pushed to `hashes`.
 */
function* newRows(items: readonly Transaction[], hashes: string[]): Generator<TransactionRow> {
  for (const t of items) {
    const columns = jsonColumns(t);
    const hash = transactionHashOf(t, columns);
    hashes.push(hash);
    yield toTransactionRow(t, newId('transaction'), hash, null, columns);
  }
}

/** One `transactions.<kind>` event per kind of change, with up to MAX_TRANSACTION_IDS_PER_EVENT ids. */
async function appendTransactionEvents(
  tx: Prisma.TransactionClient,
  events: EventRepository,
  load: TransactionLoad,
  changes: { transactionId: string; kind: ChangeKind }[],
): Promise<void> {
  for (const kind of ['added', 'modified', 'removed'] as const) {
    const ids = changes.filter((c) => c.kind === kind).map((c) => c.transactionId);
    if (ids.length === 0) continue;
    const transactionIds = ids.slice(0, MAX_TRANSACTION_IDS_PER_EVENT);
    await events.append(tx, load.tenantId, `transactions.${kind}`, {
      consentId: load.consentId,
      accountId: load.accountId,
      syncRunId: load.syncRunId,
      count: ids.length,
      transactionIds,
      truncated: ids.length > transactionIds.length,
    });
  }
}
