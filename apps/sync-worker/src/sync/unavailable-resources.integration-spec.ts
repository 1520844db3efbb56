import { jest } from '@jest/globals';
import { addDays, localDateOf, PERMISSIONS } from '@ais/domain';
import { oracleTotals, storedTotals } from '../../test/assertions.js';
import { PSUS, PSU_IP, SyncHarness } from '../../test/sync-harness.js';

jest.setTimeout(120_000);

/** A bank that refuses one optional resource mid-sync: the resource is unavailable, the run is not a failure. */
describe('sync: an optional resource the bank refuses', () => {
  let h: SyncHarness;

  beforeAll(async () => {
    h = await SyncHarness.start();
  });
  afterAll(async () => {
    await h?.close();
  });
  beforeEach(() => h.sandbox.setClock(new Date()));
  afterEach(async () => {
    await h.sandbox.resetFaults('allstar');
  });

  const recent = (days: number) => addDays(localDateOf(h.clock.now(), 'Europe/London'), -days);
  const events = (consentId: string, type: string) =>
    h.prisma.event.findMany({ where: { type, data: { path: ['consentId'], equals: consentId } } });
  const resourceKinds = async (consentId: string) =>
    (
      await h.prisma.$queryRaw<{ kind: string }[]>`
        SELECT DISTINCT r.kind FROM account_resources r JOIN accounts a ON a.id = r.account_id
         WHERE a.consent_id = ${consentId}`
    )
      .map((r) => String(r.kind))
      .sort();
  const accountsOf = (consentId: string) =>
    h.prisma.account.findMany({ where: { consentId }, select: { id: true, unavailable: true } });

  it('lists beneficiaries (403 at the bank) as unavailable on the run and every account, stores everything else, and succeeds', async () => {
    const c = await h.authorise('allstar', PSUS.alice, { permissions: [...PERMISSIONS], transactionsFrom: recent(10) });
    // Every beneficiaries call of the run: 403 UK.OBIE.Resource.ConsentMismatch.
    await h.sandbox.faults('allstar', { failNext: { status: 403, count: 100 }, pathContains: '/beneficiaries' });
    const run = await h.sync(c.consentId, { trigger: 'initial', psuIpAddress: PSU_IP });

    expect(run).toMatchObject({ status: 'succeeded', errorCode: null, unavailable: ['beneficiaries'] });
    const accounts = await accountsOf(c.consentId);
    expect(accounts.length).toBeGreaterThan(0);
    expect(accounts.map((a) => a.unavailable)).toEqual(accounts.map(() => ['beneficiaries']));
    // Everything else is stored: the transactions as the bank has them, balances, every other resource.
    expect(await storedTotals(h.prisma, c.consentId)).toEqual(
      await oracleTotals(h.sandbox, 'allstar', 'alice', recent(10)),
    );
    expect(await h.prisma.balance.count({ where: { accountId: { in: accounts.map((a) => a.id) } } })).toBeGreaterThan(
      0,
    );
    expect(await resourceKinds(c.consentId)).toEqual([
      'direct_debit',
      'party',
      'scheduled_payment',
      'standing_order',
      'statement',
    ]);
    const completed = await events(c.consentId, 'sync.completed');
    expect(completed).toHaveLength(1);
    expect(completed[0].data).toMatchObject({ syncRunId: run.id, unavailable: ['beneficiaries'] });
    expect(await events(c.consentId, 'sync.failed')).toEqual([]);

    // The bank serves them again: the next sync stores them and takes them off every account.
    await h.sandbox.resetFaults('allstar');
    const again = await h.sync(c.consentId, { trigger: 'manual', psuIpAddress: PSU_IP });
    expect(again).toMatchObject({ status: 'succeeded', unavailable: [] });
    expect((await accountsOf(c.consentId)).every((a) => a.unavailable.length === 0)).toBe(true);
    expect(await resourceKinds(c.consentId)).toContain('beneficiary');
  });

  it('lists party as unavailable when the bank answers 404 for it, and keeps the rest', async () => {
    const c = await h.authorise('allstar', PSUS.bob, {
      permissions: ['accounts', 'balances', 'transactions', 'party', 'standingOrders'],
      transactionsFrom: recent(10),
    });
    await h.sandbox.faults('allstar', { failNext: { status: 404, count: 100 }, pathContains: '/party' });
    const run = await h.sync(c.consentId, { trigger: 'initial', psuIpAddress: PSU_IP });
    expect(run).toMatchObject({ status: 'succeeded', errorCode: null, unavailable: ['party'] });
    expect((await accountsOf(c.consentId)).every((a) => a.unavailable.join() === 'party')).toBe(true);
    expect(await resourceKinds(c.consentId)).toEqual(['standing_order']);
    expect(run.transactionsAdded).toBeGreaterThan(0);
  });

  it('still fails the run when the bank refuses transactions', async () => {
    const c = await h.authorise('allstar', PSUS.alice, { transactionsFrom: recent(10) });
    await h.sandbox.faults('allstar', { failNext: { status: 403, count: 100 }, pathContains: '/transactions' });
    const run = await h.sync(c.consentId, { trigger: 'initial', psuIpAddress: PSU_IP });
    expect(run).toMatchObject({ status: 'failed', errorCode: 'bank_forbidden_permission', unavailable: [] });
    expect(await events(c.consentId, 'sync.failed')).toHaveLength(1);
  });
});
