import { jest } from '@jest/globals';
import { addDays, localDateOf } from '@ais/domain';
import { PSUS, SyncHarness } from '../../test/sync-harness.js';

jest.setTimeout(120_000);

/**
 * Statement transactions without the end user present: each scheduled sync fetches the newest
 * statement not fetched yet, per account, on the bank's budget for statement transactions (counted
 * apart from the account's transactions); a statement is stored whole or stays `pending`, and a budget
 * refusal part-way never fails the run. Against the Allstar sandbox over HTTP.
 */
describe('sync: statement transactions within the unattended budget', () => {
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
  /** Per account: its statements, newest first, whether each one's transactions were fetched, and how many. */
  const statementsOf = async (consentId: string) =>
    h.prisma.$queryRaw<{ accountId: string; endAt: string; fetched: boolean; count: number }[]>`
      SELECT r.account_id AS "accountId", r.data->>'endAt' AS "endAt",
             r.transactions_fetched_at IS NOT NULL AS fetched,
             (SELECT count(*)::int FROM statement_transactions st WHERE st.statement_id = r.id) AS count
        FROM account_resources r JOIN accounts a ON a.id = r.account_id
       WHERE a.consent_id = ${consentId} AND r.kind = 'statement'
       ORDER BY r.account_id, r.data->>'endAt' DESC`;
  const byAccount = <T extends { accountId: string }>(rows: T[]) => {
    const out = new Map<string, T[]>();
    for (const r of rows) out.set(r.accountId, [...(out.get(r.accountId) ?? []), r]);
    return [...out.values()];
  };

  it('fetches one more statement per account and scheduled sync, newest first; the others stay pending', async () => {
    const c = await h.authorise('allstar', PSUS.alice, {
      permissions: ['accounts', 'transactions', 'statements'],
      transactionsFrom: recent(75),
    });
    const first = await h.sync(c.consentId, { trigger: 'scheduled' }); // no PSU: the unattended budget
    expect(first).toMatchObject({ status: 'succeeded', unavailable: [] });
    const after1 = byAccount(await statementsOf(c.consentId));
    expect(after1.length).toBeGreaterThan(0);
    for (const statements of after1) {
      expect(statements.length).toBeGreaterThanOrEqual(2);
      expect(statements.map((s) => s.fetched)).toEqual(statements.map((_, i) => i === 0));
      // Not fetched means nothing stored, not "no transactions".
      for (const s of statements.slice(1)) expect(s.count).toBe(0);
    }
    expect(after1.some((statements) => statements[0].count > 0)).toBe(true);

    const second = await h.sync(c.consentId, { trigger: 'scheduled' });
    expect(second).toMatchObject({ status: 'succeeded' });
    for (const statements of byAccount(await statementsOf(c.consentId)))
      expect(statements.map((s) => s.fetched)).toEqual(statements.map((_, i) => i < 2));
  });

  it('leaves statements pending, and the run succeeded, when their budget is spent', async () => {
    const c = await h.authorise('allstar', PSUS.alice, {
      permissions: ['accounts', 'transactions', 'statements'],
      transactionsFrom: recent(75),
    });
    expect(await h.sync(c.consentId, { trigger: 'scheduled' })).toMatchObject({ status: 'succeeded' });
    // Three more unattended reads of a statement's transactions today, per account, through the
    // connector: the rest of what the consent's statement-transactions budget (4 a day) allows today.
    const accounts = await h.prisma.account.findMany({ where: { consentId: c.consentId } });
    for (const account of accounts) {
      const oldest = (await statementsOf(c.consentId)).filter((s) => s.accountId === account.id).at(-1)!;
      const statement = await h.prisma.accountResource.findFirstOrThrow({
        where: { accountId: account.id, kind: 'statement', data: { path: ['endAt'], equals: oldest.endAt } },
      });
      for (let i = 0; i < 3; i++)
        await h.connector.send('connector.getStatementTransactions', {
          providerId: 'allstar',
          context: { consentId: c.consentId, frequencyPerDay: 4 },
          accountId: account.externalId,
          statementId: statement.externalId,
        });
    }

    const run = await h.sync(c.consentId, { trigger: 'scheduled' });
    expect(run).toMatchObject({ status: 'succeeded', errorCode: null, unavailable: [] });
    for (const statements of byAccount(await statementsOf(c.consentId))) {
      // Still only the newest: the second statement waits for budget, and nothing of it is stored.
      expect(statements.map((s) => s.fetched)).toEqual(statements.map((_, i) => i === 0));
      expect(statements[1].count).toBe(0);
    }
  });
});
