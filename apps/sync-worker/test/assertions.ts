import { addDays, canonicalDecimal, localDateOf } from '@ais/domain';
import type { PrismaClient } from '@ais/db';
import type { BankId, SandboxBanks } from './sync-harness.js';

export interface AccountTotals {
  externalId: string;
  booked: { count: number; sum: string };
  pending: { count: number; sum: string };
}

/**
 * Counts and sums of what is stored (not removed) per account of a consent, by the bank's account id;
 * with `from`, only transactions dated on or after it.
 */
export async function storedTotals(
  prisma: PrismaClient,
  consentId: string,
  from = '0001-01-01',
): Promise<AccountTotals[]> {
  const rows = await prisma.$queryRaw<{ external_id: string; status: string; n: number; s: string | null }[]>`
    SELECT a.external_id, t.status::text AS status, count(*)::int AS n, sum(t.amount)::text AS s
      FROM accounts a JOIN transactions t ON t.account_id = a.id
     WHERE a.consent_id = ${consentId} AND t.removed_at IS NULL AND t.booking_date >= ${from}::date
     GROUP BY a.external_id, t.status`;
  const out = new Map<string, AccountTotals>();
  const accounts = await prisma.account.findMany({ where: { consentId }, select: { externalId: true } });
  for (const a of accounts)
    out.set(a.externalId, {
      externalId: a.externalId,
      booked: { count: 0, sum: '0' },
      pending: { count: 0, sum: '0' },
    });
  for (const r of rows) {
    const t = out.get(r.external_id)!;
    t[r.status as 'booked' | 'pending'] = { count: r.n, sum: canonicalDecimal(r.s ?? '0') };
  }
  return [...out.values()].sort((a, b) => a.externalId.localeCompare(b.externalId));
}

/** The sandbox oracle's totals for the PSU from `from`, in the same shape. */
export async function oracleTotals(
  sandbox: SandboxBanks,
  bank: BankId,
  username: string,
  from: string,
): Promise<AccountTotals[]> {
  const summary = await sandbox.summary(bank, username, from);
  return summary.accounts
    .map((a) => ({
      externalId: a.accountId,
      booked: { count: a.booked.count, sum: canonicalDecimal(a.booked.sum) },
      pending: { count: a.pending.count, sum: canonicalDecimal(a.pending.sum) },
    }))
    .sort((a, b) => a.externalId.localeCompare(b.externalId));
}

/**
 * The stored and the bank's totals over the dates the bank still shows from `from`: a bank's history
 * window slides (24 months back from the first of the month at the sandbox), and what it no longer
 * shows stays in the store, as it should.
 */
export async function storedAndBankTotals(
  prisma: PrismaClient,
  sandbox: SandboxBanks,
  bank: BankId,
  username: string,
  consentId: string,
  from: string,
) {
  const summary = await sandbox.summary(bank, username, from);
  const shown = summary.accounts.reduce((latest, a) => (a.historyFrom > latest ? a.historyFrom : latest), from);
  return {
    stored: await storedTotals(prisma, consentId, shown),
    bank: await oracleTotals(sandbox, bank, username, shown),
  };
}

/** The first date of the full history a consent allows on this bank (maxHistoryDays back). */
export function fullHistoryFrom(now: Date, timeZone: string, maxHistoryDays: number): string {
  return addDays(localDateOf(now, timeZone), -maxHistoryDays);
}

const DATA_TABLES = [
  'accounts',
  'balances',
  'balance_history',
  'transactions',
  'transaction_changes',
  'transaction_fingerprints',
  'events',
  'account_resources',
] as const;

/** A mark in the database's history: the next transaction id, and the row count of each data table. */
export async function writeMark(prisma: PrismaClient): Promise<{ xid: bigint; rows: Record<string, number> }> {
  const [{ xid }] = await prisma.$queryRaw<
    { xid: bigint }[]
  >`SELECT (pg_current_xact_id()::text::bigint % 4294967296) AS xid`;
  const rows: Record<string, number> = {};
  for (const t of DATA_TABLES)
    rows[t] = Number((await prisma.$queryRawUnsafe<{ n: bigint }[]>(`SELECT count(*) AS n FROM ${t}`))[0].n);
  return { xid, rows };
}

/** Rows inserted or updated since the mark (by xmin), and row counts that changed (deletes), per data table. */
export async function writesSince(
  prisma: PrismaClient,
  mark: { xid: bigint; rows: Record<string, number> },
): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const t of DATA_TABLES) {
    const [{ n }] = await prisma.$queryRawUnsafe<{ n: bigint }[]>(
      `SELECT count(*) AS n FROM ${t} WHERE xmin::text::bigint > $1`,
      mark.xid,
    );
    const [{ c }] = await prisma.$queryRawUnsafe<{ c: bigint }[]>(`SELECT count(*) AS c FROM ${t}`);
    const changed = Number(n) + Math.abs(Number(c) - mark.rows[t]);
    if (changed > 0) out[t] = changed;
  }
  return out;
}
