import { jest } from '@jest/globals';
import { Decimal } from 'decimal.js';
import { addDays, localDateOf } from '@ais/domain';
import { PSUS, PSU_IP, SyncHarness } from '../../test/sync-harness.js';

jest.setTimeout(120_000);

const BERLIN = 'Europe/Berlin';

/**
 * Berlin Group as Salt Bank documents it (seed 002), through the connector-service and the sync into
 * Postgres: a dedicated-account consent (the tenant names an IBAN), a card account (/v1/card-accounts)
 * and standing orders (bookingStatus=information), each against the sandbox bank over HTTP.
 */
describe('sync at Salt Bank: dedicated-account consents, card accounts, standing orders', () => {
  let h: SyncHarness;

  beforeAll(async () => {
    h = await SyncHarness.start();
  });
  afterAll(async () => {
    await h?.close();
  });
  beforeEach(() => h.sandbox.setClock(new Date()));

  const recent = (days: number) => addDays(localDateOf(h.clock.now(), BERLIN), -days);
  const ibanOf = (a: { identifiers: { scheme: string; identification: string }[] }) =>
    a.identifiers.find((i) => i.scheme === 'iban')?.identification;

  it('syncs only the account a dedicated-IBAN consent names', async () => {
    const from = recent(10);
    const oracle = await h.sandbox.summary('saltbank', 'erika', from);
    expect(oracle.accounts.length).toBe(3);
    const named = oracle.accounts[1];
    const iban = ibanOf(named)!;
    const c = await h.authorise('saltbank', PSUS.erika, {
      transactionsFrom: from,
      accounts: [{ scheme: 'iban', identification: iban }],
    });
    const run = await h.sync(c.consentId, { trigger: 'initial', psuIpAddress: PSU_IP });
    expect(run).toMatchObject({ status: 'succeeded', accounts: 1 });
    const accounts = await h.prisma.account.findMany({ where: { consentId: c.consentId } });
    expect(accounts.map((a) => a.externalId)).toEqual([named.accountId]);
    expect(accounts[0].identifiers).toEqual(expect.arrayContaining([{ scheme: 'iban', identification: iban }]));
    const stored = await h.prisma.transaction.findMany({
      where: { consentId: c.consentId, removedAt: null, bookingDate: { gte: new Date(`${from}T00:00:00Z`) } },
    });
    expect(stored.filter((t) => t.status === 'booked').length).toBe(named.booked.count);
    expect(stored.filter((t) => t.status === 'pending').length).toBe(named.pending.count);
  });

  it('stores a card account with its masked PAN, balances and card transactions', async () => {
    const from = recent(20);
    const oracle = await h.sandbox.summary('saltbank', 'jonas', from);
    const card = oracle.accounts.find((a) => a.identifiers.some((i) => i.scheme === 'maskedPan'))!;
    expect(card).toBeDefined();
    const c = await h.authorise('saltbank', PSUS.jonas, { transactionsFrom: from });
    const run = await h.sync(c.consentId, { trigger: 'initial', psuIpAddress: PSU_IP });
    expect(run).toMatchObject({ status: 'succeeded', accounts: 2 });
    const stored = await h.prisma.account.findMany({
      where: { consentId: c.consentId },
      orderBy: { externalId: 'asc' },
    });
    const cardRow = stored.find((a) => a.externalId === `card-accounts/${card.accountId}`)!;
    expect(cardRow).toMatchObject({
      subtype: 'creditCard',
      identifiers: [{ scheme: 'pan', identification: card.identifiers[0].identification }],
    });
    expect(card.identifiers[0].identification).toMatch(/^\d{6}x{6}\d{4}$/);
    const balances = await h.prisma.balance.findMany({ where: { accountId: cardRow.id } });
    expect(balances.map((b) => b.type).sort()).toEqual(['closingBooked', 'interimAvailable', 'interimBooked']);
    const txns = await h.prisma.transaction.findMany({
      where: { accountId: cardRow.id, removedAt: null, bookingDate: { gte: new Date(`${from}T00:00:00Z`) } },
    });
    const sum = (status: string) =>
      txns.filter((t) => t.status === status).reduce((s, t) => s.plus(t.amount.toString()), new Decimal(0));
    expect(txns.filter((t) => t.status === 'booked').length).toBe(card.booked.count);
    expect(txns.filter((t) => t.status === 'pending').length).toBe(card.pending.count);
    expect(sum('booked').equals(card.booked.sum)).toBe(true);
    expect(sum('pending').equals(card.pending.sum)).toBe(true);
    expect(txns.filter((t) => t.merchantCategoryCode !== null).length).toBeGreaterThan(0);
  });

  it('stores the standing orders of each payment account, read with bookingStatus=information', async () => {
    const c = await h.authorise('saltbank', PSUS.max, {
      permissions: ['accounts', 'balances', 'transactions', 'standingOrders'],
      transactionsFrom: recent(5),
    });
    const run = await h.sync(c.consentId, { trigger: 'initial', psuIpAddress: PSU_IP });
    expect(run).toMatchObject({ status: 'succeeded', unavailable: [] });
    const rows = await h.prisma.$queryRaw<{ kind: string; data: Record<string, unknown> }[]>`
      SELECT r.kind::text AS kind, r.data FROM account_resources r JOIN accounts a ON a.id = r.account_id
       WHERE a.consent_id = ${c.consentId}`;
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((r) => r.kind === 'standing_order')).toBe(true);
    expect(rows.map((r) => r.data)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          frequency: 'IntrvlMnthDay:01:01',
          reference: 'RENT',
          status: 'Active',
          nextPaymentAmount: { amount: expect.stringMatching(/^\d+\.\d{2}$/), currency: 'EUR' },
          creditorAccount: expect.objectContaining({ scheme: 'iban' }),
        }),
      ]),
    );
    const calls = await h.sandbox.counters('saltbank', c.bankConsentId);
    expect(calls.filter((k) => k.resource === 'standingOrders').length).toBeGreaterThan(0);
  });
});
