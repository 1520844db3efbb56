import { createHash } from 'node:crypto';
import {
  AccountWriteRepository,
  TransactionWriteRepository,
  createPrismaClient,
  type BalanceRow,
  type PrismaClient,
  type ResourceRow,
  type TransactionRow,
} from '@ais/db';
import { newId } from '@ais/domain';

/**
 * Writes account data the way the sync does — through the load path's repositories — for tests of the
 * read API. Consents are inserted directly (authorised, no bank involved).
 */
export class DataFixtures {
  readonly prisma: PrismaClient;
  private readonly accounts: AccountWriteRepository;
  private readonly transactions: TransactionWriteRepository;

  constructor(databaseUrl: string) {
    this.prisma = createPrismaClient({ url: databaseUrl, poolSize: 4 });
    this.accounts = new AccountWriteRepository(this.prisma);
    this.transactions = new TransactionWriteRepository();
  }

  async consent(
    tenantId: string,
    providerId: string,
    permissions = ['accounts', 'balances', 'transactions'],
  ): Promise<string> {
    const id = newId('consent');
    await this.prisma.consent.create({
      data: {
        id,
        tenantId,
        providerId,
        status: 'authorised',
        permissions,
        expiresAt: new Date(Date.now() + 30 * 86_400_000),
        frequencyPerDay: 4,
        redirectUri: 'https://app.example.com/cb',
        authorisedAt: new Date(),
        externalId: `ext-${id}`,
      },
    });
    return id;
  }

  async account(
    tenantId: string,
    consentId: string,
    providerId: string,
    currency: string,
    iban: string,
  ): Promise<string> {
    return this.prisma.$transaction((tx) =>
      this.accounts.upsert(
        tx,
        { tenantId, consentId, providerId },
        {
          identityKey: `iban:${iban}`,
          externalId: `bank-${iban}`,
          type: 'personal',
          subtype: 'current',
          currency,
          name: 'Main account',
          nickname: null,
          identifiers: [{ scheme: 'iban', identification: iban }],
          servicer: null,
          status: 'enabled',
          openedAt: '2020-05-01',
          raw: { AccountId: `bank-${iban}` },
          contentHash: createHash('sha256').update(iban).digest('hex'),
        },
        undefined,
        new Date(),
      ),
    );
  }

  row(over: Partial<TransactionRow> & { bookingDate: string; amount: string; currency: string }): TransactionRow {
    const id = over.id ?? newId('transaction');
    return {
      id,
      identityKey: over.identityKey ?? `b:${id}`,
      externalId: over.externalId ?? id,
      idSource: 'bank',
      status: 'booked',
      valueDate: null,
      bookedAt: null,
      description: 'Card payment',
      merchantName: null,
      merchantCategoryCode: null,
      counterparty: null,
      bankTransactionCode: null,
      reference: null,
      runningBalance: null,
      currencyExchange: null,
      pendingTransactionId: null,
      pendingLink: null,
      raw: JSON.stringify({ bank: 'item' }),
      contentHash: createHash('sha256')
        .update(`${id}${over.amount}${over.status ?? 'booked'}`)
        .digest('hex'),
      ...over,
    };
  }

  async write(
    tenantId: string,
    consentId: string,
    accountId: string,
    upserts: Array<{ row: TransactionRow; kind: 'added' | 'modified'; fresh?: boolean }>,
    removedIds: string[] = [],
  ) {
    return this.prisma.$transaction((tx) =>
      this.transactions.write(tx, { tenantId, consentId, accountId, upserts, removedIds, now: new Date() }),
    );
  }

  /** Replaces the account's balances, as a sync does. */
  async balances(tenantId: string, accountId: string, balances: BalanceRow[]): Promise<void> {
    await this.prisma.$transaction((tx) =>
      this.accounts.replaceBalances(tx, { tenantId, accountId, balances, syncRunId: 'sr_fixture', now: new Date() }),
    );
  }

  /** Replaces one kind of optional resource of the account (new items get new ids), as a sync does. */
  async resources(
    tenantId: string,
    accountId: string,
    kind: 'statement' | 'party' | 'beneficiary' | 'standing_order' | 'direct_debit' | 'scheduled_payment',
    items: ResourceRow[],
  ): Promise<void> {
    await this.prisma.$transaction((tx) =>
      this.accounts.replaceResources(tx, { tenantId, accountId, kind, items, now: new Date() }),
    );
  }

  /** Stores a statement's transactions in the bank's order (the statement is stored first). */
  async statementTransactions(accountId: string, statementExternalId: string, items: unknown[]): Promise<void> {
    await this.prisma.$transaction((tx) =>
      this.accounts.storeStatementTransactions(tx, accountId, statementExternalId, items),
    );
  }

  close(): Promise<void> {
    return this.prisma.$disconnect();
  }
}
