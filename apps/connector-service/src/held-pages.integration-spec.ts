import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { draftDigest, money, type TransactionDraft } from '@ais/domain';
import type { TransactionsPage } from '@ais/connectors';
import { transactionDraft } from '@ais/testing';
import { HeldPages, pageJson } from './held-pages.js';

const draft = (n: number): TransactionDraft =>
  transactionDraft({
    status: n % 7 === 0 ? 'pending' : 'booked',
    bookingDate: '2026-11-30',
    amount: money(`-${n}.250`, 'BHD'),
    description: `CARD PAYMENT ${n} ${'x'.repeat(200)}`,
    raw: { n },
  });

describe('bank pages larger than one RPC message, held in Redis', () => {
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  const prefix = `t${randomBytes(4).toString('hex')}`;
  afterAll(() => redis.disconnect());

  const page: TransactionsPage = {
    order: 'bank',
    accounts: [
      { accountId: 'a1', transactions: Array.from({ length: 300 }, (_, n) => draft(n)) },
      { accountId: 'a2', transactions: Array.from({ length: 200 }, (_, n) => draft(1000 + n)) },
    ],
    nextCursor: 'bank-cursor',
  };

  it('answers in chunks under the maximum, in order, then goes on with the connector’s cursor', async () => {
    const max = 65_536;
    const held = new HeldPages(redis, prefix, max);
    expect(Buffer.byteLength(JSON.stringify(page))).toBeGreaterThan(2 * max);
    const chunks: TransactionsPage[] = [await held.bound(page)];
    while (HeldPages.isHeld(chunks.at(-1)!.nextCursor ?? undefined))
      chunks.push(await held.resume(chunks.at(-1)!.nextCursor!));
    expect(chunks.length).toBeGreaterThan(2);
    // Measured as sent: with each draft's digest.
    for (const c of chunks) expect(pageJson(c).length).toBeLessThan(max - 4_096);
    expect(chunks.at(-1)!.nextCursor).toBe('bank-cursor');
    const merged = new Map<string, TransactionDraft[]>();
    for (const c of chunks)
      for (const a of c.accounts) merged.set(a.accountId, [...(merged.get(a.accountId) ?? []), ...a.transactions]);
    expect(Object.fromEntries(merged)).toEqual(
      Object.fromEntries(page.accounts.map((a) => [a.accountId, a.transactions])),
    );
    // A retry of a chunk gets the same chunk.
    expect(await held.resume(chunks[0].nextCursor!)).toEqual(chunks[1]);
  });

  it('sends each draft’s digest with the page, made from the draft’s text in it', () => {
    const sent = JSON.parse(pageJson(page).toString()) as TransactionsPage;
    expect(sent).toEqual({
      ...page,
      accounts: page.accounts.map((a) => ({
        ...a,
        digests: a.transactions.map((t) => draftDigest(JSON.stringify(t))),
      })),
    });
    // The receiver's drafts give the same text again: their digests hold for what it parsed.
    for (const a of sent.accounts) expect(a.transactions.map((t) => draftDigest(JSON.stringify(t)))).toEqual(a.digests);
    expect(new Set(sent.accounts[0].digests).size).toBe(300);
    expect(JSON.parse(pageJson({ order: 'bank', accounts: [], nextCursor: null }).toString())).toEqual({
      order: 'bank',
      accounts: [],
      nextCursor: null,
    });
  });

  it('passes a page that fits through untouched', async () => {
    const small = { ...page, accounts: [{ accountId: 'a1', transactions: [draft(1)] }] };
    expect(await new HeldPages(redis, prefix, 65_536).bound(small)).toBe(small);
  });

  it('refuses a cursor it did not issue, and says when the held rest has expired', async () => {
    const held = new HeldPages(redis, prefix, 65_536, 1);
    const first = await held.bound(page);
    const forged = `held.${Buffer.from(JSON.stringify({ key: 'other:held-page:x', index: 1, count: 2, then: null })).toString('base64url')}`;
    await expect(held.resume(forged)).rejects.toMatchObject({ code: 'validation_failed' });
    await expect(held.resume('held.%%%')).rejects.toMatchObject({ code: 'validation_failed' });
    await new Promise((r) => setTimeout(r, 1_500));
    await expect(held.resume(first.nextCursor!)).rejects.toMatchObject({ code: 'service_unavailable' });
  });
});
