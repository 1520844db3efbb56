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
import { newId, type Transaction } from '@ais/domain';
import { diffTransactions, hashAll, jsonColumns, toTransactionRow, transactionHashOf } from './transaction-diff.js';
import { dayDigests, encodeDays, unchangedSince, type DateRange, type DayDigests } from './transaction-fingerprint.js';

/** Days a removed pending row stays eligible to be replaced by a booked one arriving later. */
const PENDING_REPLACEMENT_DAYS = 10;

/** The content hash of each item of a batch, and the batch's day digests. */
interface Hashed {
  hashes: readonly string[];
  days: DayDigests;
}

/** An account's transactions for one window, made ready ahead of its database transaction. */
export interface PreparedTransactions {
  items: readonly Transaction[];
  /** null: not hashed ahead (see `prepareTransactions`). */
  hashed: Hashed | null;
}

async function hash(items: readonly Transaction[]): Promise<Hashed> {
  const hashes = await hashAll(items);
  return { hashes, days: dayDigests(items, hashes) };
}

/**
 * The CPU-heavy part of loading a batch (hashing every item, then the day digests), done before the
 * batch's transaction and its lock, yielding to the event loop as it goes. Not when the account is
 * expected to hold no row yet (`holdsRows` false: its first window): such a batch cannot be
 * unchanged, and hashes its items as it COPYs them in, with the JSON text it makes for the rows anyway.
 */
export async function prepareTransactions(
  items: readonly Transaction[],
  holdsRows = true,
): Promise<PreparedTransactions> {
  return { items, hashed: holdsRows || items.length === 0 ? await hash(items) : null };
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
    days = dayDigests(items, hashes);
    changes = ids.map((transactionId) => ({ transactionId, kind: 'added' as const }));
    counts = { added: ids.length, modified: 0, removed: 0 };
  } else {
    // Hashed ahead, unless the account was expected to be empty and is not: hashed here.
    const hashed = prepared.hashed ?? (await hash(items));
    const { hashes } = hashed;
    days = hashed.days;
    const unchanged = unchangedSince(fingerprint, window, days);
    if (
      unchanged &&
      (unchanged.outside.length === 0 ||
        (await repos.transactions.countHeld(tx, accountId, unchanged.outside)) === unchanged.expected)
    )
      return { added: 0, modified: 0, removed: 0 };
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
