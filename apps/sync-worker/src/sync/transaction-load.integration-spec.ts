import { jest } from '@jest/globals';
import {
  EventRepository,
  SyncRunRepository,
  TransactionWriteRepository,
  createPrismaClient,
  type PrismaClient,
} from '@ais/db';
import { assignTransactionIdentities, draftDigest, newId, type Transaction, type TransactionDraft } from '@ais/domain';
import { createTestDatabase, transactionDraft, type TestDatabase } from '@ais/testing';
import { loadTransactions, prepareTransactions, type ItemDigests } from './transaction-load.js';
import { dayDigests } from './transaction-fingerprint.js';
import { transactionHash } from './transaction-diff.js';

jest.setTimeout(60_000);

const draft = (over: Partial<TransactionDraft>) =>
  transactionDraft({ raw: { note: 'a \\ backslash and a\ttab survive COPY' }, ...over });

/** What the connector-service sends with a page (TransactionPage.digests): each draft's digest of its text. */
function connectorDigests(items: readonly Transaction[]): ItemDigests {
  const digests: ItemDigests = new WeakMap();
  for (const t of items) {
    const { idSource: _source, identityKey: _key, ...sent } = t;
    digests.set(t, draftDigest(JSON.stringify(sent)));
  }
  return digests;
}

/**
 * The load path of one account against a real Postgres, as the worker runs it: what a batch reads and
 * writes when the bank's answer is unchanged (nothing: its fingerprint vouches for it), and that
 * every kind of change still reaches the rows, the change feed, the run's counts and the events
 * exactly; with the items' day digests made by the worker from each item, and from the digests the
 * connector sends.
 */
describe.each([
  ['hashed by the worker', false],
  ['digested by the connector', true],
])('loadTransactions, items %s', (_kind, digested) => {
  let db: TestDatabase;
  let prisma: PrismaClient;
  const writes = new TransactionWriteRepository();
  let repos: { transactions: TransactionWriteRepository; runs: SyncRunRepository; events: EventRepository };
  const tenantId = newId('tenant');
  const consentId = newId('consent');
  const syncRunId = newId('syncRun');
  const accountId = newId('account');

  beforeAll(async () => {
    db = await createTestDatabase('txload');
    prisma = createPrismaClient({ url: db.url, poolSize: 2 });
    repos = { transactions: writes, runs: new SyncRunRepository(prisma), events: new EventRepository(prisma) };
    await prisma.provider.create({
      data: {
        id: 'p',
        name: 'P',
        country: 'GB',
        standard: 'obie_3_1',
        profile: 'allstar',
        status: 'active',
        capabilities: {},
      },
    });
    await prisma.tenant.create({ data: { id: tenantId, name: 'T', rateLimitPerMinute: 600 } });
    await prisma.consent.create({
      data: {
        id: consentId,
        tenantId,
        providerId: 'p',
        status: 'authorised',
        permissions: ['transactions'],
        expiresAt: new Date(Date.now() + 86_400_000),
        frequencyPerDay: 4,
        redirectUri: 'https://x',
      },
    });
    await prisma.syncRun.create({
      data: { id: syncRunId, tenantId, consentId, trigger: 'initial', status: 'running' },
    });
    await prisma.account.create({
      data: {
        id: accountId,
        tenantId,
        consentId,
        providerId: 'p',
        externalId: 'acc-1',
        identityKey: 'acc:1',
        type: 'personal',
        currency: 'GBP',
      },
    });
  });
  afterAll(async () => {
    await prisma?.$disconnect();
    await db?.drop();
  });
  afterEach(() => jest.restoreAllMocks());

  /**
   * One account batch in its own transaction under the consent's lock, with the repository calls it
   * made; `holdsRows` is what the worker expects of the account ahead (see prepareTransactions).
   */
  async function load(items: Transaction[], window: { from: string; to: string }, holdsRows = true, sent = digested) {
    const calls = {
      loadForDiff: jest.spyOn(writes, 'loadForDiff'),
      write: jest.spyOn(writes, 'write'),
      insertNew: jest.spyOn(writes, 'insertNew'),
    };
    const prepared = await prepareTransactions(items, holdsRows, sent ? connectorDigests(items) : undefined);
    const counts = await repos.runs.underConsentLock(consentId, (tx) =>
      loadTransactions(tx, repos, {
        tenantId,
        consentId,
        accountId,
        syncRunId,
        window,
        prepared,
        now: new Date(),
      }),
    );
    const read = calls.loadForDiff.mock.calls.length;
    const wrote = calls.write.mock.calls.length + calls.insertNew.mock.calls.length;
    jest.restoreAllMocks();
    return { counts, read, wrote };
  }

  /** Every row's version (xmin) and updated_at, the change feed and the events: any write shows here. */
  async function snapshot() {
    const rows = await prisma.$queryRaw<{ id: string; xmin: string; updated_at: Date }[]>`
      SELECT id, xmin::text AS xmin, updated_at FROM transactions WHERE account_id = ${accountId} ORDER BY id`;
    const [fingerprint] = await prisma.$queryRaw<{ xmin: string }[]>`
      SELECT xmin::text AS xmin FROM transaction_fingerprints WHERE account_id = ${accountId}`;
    return {
      rows,
      fingerprint: fingerprint?.xmin ?? null,
      changes: await prisma.transactionChange.count({ where: { accountId } }),
      events: await prisma.event.count({ where: { tenantId } }),
    };
  }

  const changesSince = async (after: number) =>
    (await prisma.transactionChange.findMany({ where: { accountId }, orderBy: { id: 'asc' }, skip: after })).map(
      (c) => ({ transactionId: c.transactionId, kind: c.kind }),
    );
  const live = async () =>
    prisma.transaction.findMany({
      where: { accountId, removedAt: null },
      select: { id: true, identityKey: true, status: true, description: true, pendingTransactionId: true },
      orderBy: { identityKey: 'asc' },
    });
  const run = () => prisma.syncRun.findUniqueOrThrow({ where: { id: syncRunId } });

  const window = { from: '2026-03-01', to: '2026-03-10' };
  const base = [
    draft({ externalId: 'salary', bookingDate: '2026-03-01', amount: { amount: '2500.00', currency: 'GBP' } }),
    draft({ externalId: 'rent', bookingDate: '2026-03-02', description: 'RENT' }),
    draft({ bookingDate: '2026-03-04' }),
    draft({ bookingDate: '2026-03-04' }),
    draft({ externalId: 'card-1', status: 'pending', bookingDate: '2026-03-09', pendingLink: 'auth-1' }),
  ];
  const bank = (drafts: TransactionDraft[]) => assignTransactionIdentities(drafts);

  it('stores a first answer as new rows, one change row and one event for them', async () => {
    const first = await load(bank(base), window, false);
    expect(first.counts).toEqual({ added: 5, modified: 0, removed: 0 });
    expect(first.read).toBe(0);
    expect((await live()).map((t) => t.identityKey)).toHaveLength(5);
    expect(await changesSince(0)).toHaveLength(5);
    expect(await run()).toMatchObject({ transactionsAdded: 5 });
    const events = await prisma.event.findMany({ where: { tenantId } });
    expect(events.map((e) => [e.type, (e.data as { count: number }).count])).toEqual([['transactions.added', 5]]);
    const raw = await prisma.transaction.findFirstOrThrow({ where: { accountId, externalId: 'rent' } });
    expect(raw.raw).toEqual({ note: 'a \\ backslash and a\ttab survive COPY' });
  });

  it('reads no row and writes nothing when the bank says the same again, for the same window', async () => {
    const before = await snapshot();
    const again = await load(bank(base), window);
    expect(again).toEqual({ counts: { added: 0, modified: 0, removed: 0 }, read: 0, wrote: 0 });
    // Also when the worker expected an empty account (its items hashed under the lock instead).
    expect(await load(bank(base), window, false)).toEqual(again);
    expect(await snapshot()).toEqual(before);
  });

  it('writes nothing either when the window moves on a day (a later sync) or reads less of it', async () => {
    const before = await snapshot();
    expect(await load(bank(base), { from: '2026-03-01', to: '2026-03-11' })).toMatchObject({ read: 0, wrote: 0 });
    expect(
      await load(bank(base.filter((d) => d.bookingDate >= '2026-03-04')), { from: '2026-03-04', to: '2026-03-12' }),
    ).toMatchObject({ read: 0, wrote: 0 });
    expect(await snapshot()).toEqual(before);
  });

  it('replaces a pending item by its booked version: one added, one removed, linked', async () => {
    const { changes } = await snapshot();
    const pending = (await live()).find((t) => t.status === 'pending')!;
    const booked = base.map((d) =>
      d.externalId === 'card-1'
        ? draft({ externalId: 'card-1-booked', bookingDate: '2026-03-10', pendingLink: 'auth-1', description: 'CARD' })
        : d,
    );
    const result = await load(bank(booked), window);
    expect(result.counts).toEqual({ added: 1, modified: 0, removed: 1 });
    const replacement = (await live()).find((t) => t.identityKey === 'b:card-1-booked')!;
    expect(replacement.pendingTransactionId).toBe(pending.id);
    expect(await changesSince(changes)).toEqual([
      { transactionId: replacement.id, kind: 'added' },
      { transactionId: pending.id, kind: 'removed' },
    ]);
    expect(await run()).toMatchObject({ transactionsAdded: 6, transactionsRemoved: 1 });
    // The same answer again: nothing.
    expect(await load(bank(booked), window)).toMatchObject({ read: 0, wrote: 0 });
  });

  it('sees one item modified and one gone, each exactly once', async () => {
    const { changes, events } = await snapshot();
    const rows = await live();
    const rent = rows.find((t) => t.identityKey === 'b:rent')!;
    const salary = rows.find((t) => t.identityKey === 'b:salary')!;
    const drafts = base
      .filter((d) => d.externalId !== 'salary')
      .map((d) => (d.externalId === 'rent' ? { ...d, description: 'RENT MARCH' } : d))
      .map((d) =>
        d.externalId === 'card-1'
          ? draft({
              externalId: 'card-1-booked',
              bookingDate: '2026-03-10',
              pendingLink: 'auth-1',
              description: 'CARD',
            })
          : d,
      );
    expect((await load(bank(drafts), window)).counts).toEqual({ added: 0, modified: 1, removed: 1 });
    expect(await changesSince(changes)).toEqual([
      { transactionId: rent.id, kind: 'modified' },
      { transactionId: salary.id, kind: 'removed' },
    ]);
    expect((await live()).find((t) => t.id === rent.id)!.description).toBe('RENT MARCH');
    expect(await prisma.event.count({ where: { tenantId } })).toBe(events + 2);
    expect(await load(bank(drafts), window)).toMatchObject({ read: 0, wrote: 0 });
  });

  it('removes a live row on a day the fingerprint never compared, found by counting that day', async () => {
    const { changes } = await snapshot();
    // A batch of a narrower window that changes something: the fingerprint now covers 03-03..03-05 only.
    const narrow = bank([
      draft({ bookingDate: '2026-03-04' }),
      draft({ externalId: 'fee', bookingDate: '2026-03-05' }),
    ]);
    expect((await load(narrow, { from: '2026-03-03', to: '2026-03-05' })).counts).toEqual({
      added: 1,
      modified: 0,
      removed: 1,
    });
    // The same items for the whole window: every digest matches, but rent (03-02) and the booked card
    // payment (03-10) are still live on days outside the fingerprint's window, and the bank no longer
    // lists them.
    const after = await changesSince(changes);
    const result = await load(narrow, window);
    expect(result.read).toBe(1);
    expect(result.counts).toEqual({ added: 0, modified: 0, removed: 2 });
    expect((await live()).map((t) => t.identityKey).sort()).toEqual(narrow.map((t) => t.identityKey).sort());
    expect((await changesSince(changes)).slice(after.length).map((c) => c.kind)).toEqual(['removed', 'removed']);
  });

  it('compares a window stored with the other kind of day digest once, rewriting only its fingerprint', async () => {
    // A rolling upgrade: the connector starts (or stops) sending digests between two syncs.
    const items = bank([draft({ bookingDate: '2026-03-04' }), draft({ externalId: 'fee', bookingDate: '2026-03-05' })]);
    const before = await snapshot();
    const other = await load(items, window, true, !digested);
    expect(other).toEqual({ counts: { added: 0, modified: 0, removed: 0 }, read: 1, wrote: 0 });
    const after = await snapshot();
    expect(after).toEqual({ ...before, fingerprint: expect.any(String) });
    expect(after.fingerprint).not.toBe(before.fingerprint);
    expect(await load(items, window, true, !digested)).toMatchObject({ read: 0, wrote: 0 });
    expect(await load(items, window)).toMatchObject({ read: 1, wrote: 0 });
    expect(await load(items, window)).toMatchObject({ read: 0, wrote: 0 });
  });
});

describe('prepareTransactions', () => {
  const items = assignTransactionIdentities([
    transactionDraft({ bookingDate: '2026-03-04' }),
    transactionDraft({ externalId: 'fee', bookingDate: '2026-03-05', raw: { fee: true } }),
  ]);

  it('with the connector’s digests, makes no item’s content hash: rows get theirs if written', async () => {
    const prepared = await prepareTransactions(items, true, connectorDigests(items));
    expect(prepared.hashed?.hashes).toBeNull();
    expect(prepared.hashed?.days.size).toBe(2);
  });

  it('hashes every item when one of them came without a digest', async () => {
    const digests = connectorDigests(items);
    digests.delete(items[1]);
    const prepared = await prepareTransactions(items, true, digests);
    const hashes = items.map(transactionHash);
    expect(prepared.hashed).toEqual({ hashes, days: dayDigests(items, hashes) });
  });
});
