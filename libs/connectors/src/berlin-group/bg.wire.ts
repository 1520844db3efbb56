import { z } from 'zod';

/**
 * Berlin Group NextGenPSD2 XS2A 1.3.12 wire types (AIS), as zod schemas derived from the official
 * OpenAPI document (specs/berlin-group-psd2-api-1.3.12.yaml). Amounts are signed decimal strings.
 */
export const BgAmount = z
  .object({
    currency: z.string().regex(/^[A-Z]{3}$/),
    amount: z.string().regex(/^-?[0-9]{1,14}(\.[0-9]{1,3})?$/, 'BG amount: decimal string, up to 3 decimals'),
  })
  .loose();
export const BgDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'ISO date');
export const BgDateTime = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/i, 'ISO date-time with offset');
const Href = z.object({ href: z.string() }).loose();

export const BgAccountReference = z
  .object({
    iban: z.string().optional(),
    bban: z.string().optional(),
    pan: z.string().max(35).optional(),
    maskedPan: z.string().max(35).optional(),
    msisdn: z.string().max(35).optional(),
    other: z
      .object({
        identification: z.string().max(35),
        schemeNameCode: z.string().optional(),
        schemeNameProprietary: z.string().optional(),
        issuer: z.string().optional(),
      })
      .loose()
      .optional(),
    currency: z
      .string()
      .regex(/^[A-Z]{3}$/)
      .optional(),
  })
  .loose();
export type BgAccountReference = z.infer<typeof BgAccountReference>;

export const BgConsentStatus = z.enum([
  'received',
  'rejected',
  'valid',
  'revokedByPsu',
  'expired',
  'terminatedByTpp',
  'partiallyAuthorised',
]);

export const BgConsentsResponse201 = z
  .object({
    consentStatus: BgConsentStatus,
    consentId: z.string().min(1),
    _links: z
      .object({
        scaRedirect: Href.optional(),
        scaOAuth: Href.optional(),
        self: Href.optional(),
        status: Href.optional(),
      })
      .loose(),
  })
  .loose();

export const BgConsentInformation = z
  .object({
    access: z.object({}).loose(),
    recurringIndicator: z.boolean(),
    validUntil: BgDate,
    frequencyPerDay: z.number().int(),
    lastActionDate: BgDate,
    consentStatus: BgConsentStatus,
  })
  .loose();

export const BgConsentStatusResponse = z.object({ consentStatus: BgConsentStatus }).loose();

export const BgBalance = z
  .object({
    balanceAmount: BgAmount,
    balanceType: z.enum([
      'closingBooked',
      'expected',
      'openingBooked',
      'interimAvailable',
      'interimBooked',
      'forwardAvailable',
      'nonInvoiced',
    ]),
    creditLimitIncluded: z.boolean().optional(),
    lastChangeDateTime: BgDateTime.optional(),
    referenceDate: BgDate.optional(),
    lastCommittedTransaction: z.string().max(35).optional(),
  })
  .loose();
export type BgBalance = z.infer<typeof BgBalance>;

export const BgAccountDetails = z
  .object({
    resourceId: z.string().optional(),
    iban: z.string().optional(),
    bban: z.string().optional(),
    msisdn: z.string().optional(),
    maskedPan: z.string().optional(),
    currency: z.string().regex(/^[A-Z]{3}$/),
    ownerName: z.string().max(140).optional(),
    name: z.string().max(70).optional(),
    displayName: z.string().max(70).optional(),
    product: z.string().max(35).optional(),
    cashAccountType: z.string().optional(),
    status: z.enum(['enabled', 'deleted', 'blocked']).optional(),
    bic: z.string().optional(),
    usage: z.enum(['PRIV', 'ORGA']).optional(),
    balances: z.array(BgBalance).optional(),
  })
  .loose();
export type BgAccountDetails = z.infer<typeof BgAccountDetails>;
export const BgAccountList = z.object({ accounts: z.array(BgAccountDetails) }).loose();

export const BgReadAccountBalance = z
  .object({ account: BgAccountReference.optional(), balances: z.array(BgBalance) })
  .loose();

/** What an active standing order looks like (bookingStatus=information: one entry per standing order). */
export const BgStandingOrderDetails = z
  .object({
    startDate: BgDate,
    frequency: z.string(),
    endDate: BgDate.optional(),
    executionRule: z.string().optional(),
    monthsOfExecution: z.array(z.string()).optional(),
    multiplicator: z.number().int().optional(),
    dayOfExecution: z
      .string()
      .regex(/^\d{1,2}$/)
      .optional(),
    limitAmount: BgAmount.optional(),
  })
  .loose();
export type BgStandingOrderDetails = z.infer<typeof BgStandingOrderDetails>;

const BgCurrencyExchange = z
  .array(
    z
      .object({
        sourceCurrency: z.string(),
        exchangeRate: z.string(),
        unitCurrency: z.string(),
        targetCurrency: z.string(),
        quotationDate: BgDate,
        contractIdentification: z.string().optional(),
      })
      .loose(),
  )
  .optional();

export const BgTransaction = z
  .object({
    transactionId: z.string().optional(),
    entryReference: z.string().max(35).optional(),
    endToEndId: z.string().optional(),
    mandateId: z.string().optional(),
    bookingDate: BgDate.optional(),
    valueDate: BgDate.optional(),
    transactionAmount: BgAmount,
    currencyExchange: BgCurrencyExchange,
    creditorName: z.string().max(70).optional(),
    creditorAccount: BgAccountReference.optional(),
    creditorAgent: z.string().optional(),
    ultimateCreditor: z.string().optional(),
    debtorName: z.string().max(70).optional(),
    debtorAccount: BgAccountReference.optional(),
    debtorAgent: z.string().optional(),
    ultimateDebtor: z.string().optional(),
    remittanceInformationUnstructured: z.string().max(140).optional(),
    remittanceInformationUnstructuredArray: z.array(z.string()).optional(),
    remittanceInformationStructured: z.object({ reference: z.string() }).loose().optional(),
    purposeCode: z.string().optional(),
    bankTransactionCode: z.string().optional(),
    proprietaryBankTransactionCode: z.string().optional(),
    balanceAfterTransaction: BgBalance.optional(),
    additionalInformation: z.string().optional(),
    additionalInformationStructured: z.object({ standingOrderDetails: BgStandingOrderDetails }).loose().optional(),
  })
  .loose();
export type BgTransaction = z.infer<typeof BgTransaction>;

/** An entry of `transactions.information`: a standing order, its details required. */
export const BgStandingOrder = BgTransaction.extend({
  additionalInformationStructured: z.object({ standingOrderDetails: BgStandingOrderDetails }).loose(),
});
export type BgStandingOrder = z.infer<typeof BgStandingOrder>;

/** GET /v1/accounts/{id}/transactions?bookingStatus=information: the account's active standing orders. */
export const BgStandingOrdersResponse = z
  .object({
    account: BgAccountReference.optional(),
    transactions: z
      .object({ information: z.array(BgStandingOrder).optional() })
      .loose()
      .optional(),
  })
  .loose();

export const BgTransactionsResponse = z
  .object({
    account: BgAccountReference.optional(),
    transactions: z
      .object({
        booked: z.array(BgTransaction).optional(),
        pending: z.array(BgTransaction).optional(),
        information: z.array(z.unknown()).optional(),
        _links: z
          .object({ next: Href.optional(), first: Href.optional(), last: Href.optional(), previous: Href.optional() })
          .loose()
          .optional(),
      })
      .loose()
      .optional(),
    balances: z.array(BgBalance).optional(),
    _links: z.object({ next: Href.optional() }).loose().optional(),
  })
  .loose();
export type BgTransactionsResponse = z.infer<typeof BgTransactionsResponse>;

// ───────────────────────────── card accounts (/v1/card-accounts…) ─────────────────────────────

export const BgCardAccountDetails = z
  .object({
    resourceId: z.string().optional(),
    maskedPan: z.string().max(35),
    currency: z.string().regex(/^[A-Z]{3}$/),
    ownerName: z.string().max(140).optional(),
    name: z.string().max(70).optional(),
    displayName: z.string().max(70).optional(),
    product: z.string().max(35).optional(),
    /** true: debits are quoted positive (and balances accordingly); false or absent: negative. */
    debitAccounting: z.boolean().optional(),
    status: z.enum(['enabled', 'deleted', 'blocked']).optional(),
    usage: z.enum(['PRIV', 'ORGA']).optional(),
    details: z.string().max(1000).optional(),
    creditLimit: BgAmount.optional(),
    balances: z.array(BgBalance).optional(),
  })
  .loose();
export type BgCardAccountDetails = z.infer<typeof BgCardAccountDetails>;
export const BgCardAccountList = z.object({ cardAccounts: z.array(BgCardAccountDetails) }).loose();

export const BgReadCardAccountBalance = z
  .object({
    cardAccount: BgAccountReference.optional(),
    debitAccounting: z.boolean().optional(),
    balances: z.array(BgBalance),
  })
  .loose();

export const BgCardTransaction = z
  .object({
    cardTransactionId: z.string().max(35).optional(),
    terminalId: z.string().max(35).optional(),
    transactionDate: BgDate.optional(),
    acceptorTransactionDateTime: BgDateTime.optional(),
    bookingDate: BgDate.optional(),
    valueDate: BgDate.optional(),
    transactionAmount: BgAmount,
    grandTotalAmount: BgAmount.optional(),
    currencyExchange: BgCurrencyExchange,
    originalAmount: BgAmount.optional(),
    markupFee: BgAmount.optional(),
    markupFeePercentage: z.string().optional(),
    cardAcceptorId: z.string().max(35).optional(),
    cardAcceptorAddress: z.object({}).loose().optional(),
    cardAcceptorPhone: z.string().optional(),
    merchantCategoryCode: z
      .string()
      .regex(/^\d{4}$/)
      .optional(),
    maskedPAN: z.string().max(35).optional(),
    transactionDetails: z.string().max(1000).optional(),
    invoiced: z.boolean().optional(),
    proprietaryBankTransactionCode: z.string().max(35).optional(),
  })
  .loose();
export type BgCardTransaction = z.infer<typeof BgCardTransaction>;

export const BgCardTransactionsResponse = z
  .object({
    cardAccount: BgAccountReference.optional(),
    debitAccounting: z.boolean().optional(),
    cardTransactions: z
      .object({
        booked: z.array(BgCardTransaction).optional(),
        pending: z.array(BgCardTransaction).optional(),
        _links: z
          .object({ next: Href.optional(), first: Href.optional(), last: Href.optional(), previous: Href.optional() })
          .loose()
          .optional(),
      })
      .loose()
      .optional(),
    balances: z.array(BgBalance).optional(),
    _links: z.object({ next: Href.optional() }).loose().optional(),
  })
  .loose();
export type BgCardTransactionsResponse = z.infer<typeof BgCardTransactionsResponse>;

/** Error bodies: tppMessages (classic) or the NextGen problem form (type, title, detail, code). */
export const BgErrorBody = z
  .object({
    tppMessages: z
      .array(
        z
          .object({ category: z.string(), code: z.string(), path: z.string().optional(), text: z.string().optional() })
          .loose(),
      )
      .optional(),
    code: z.string().optional(),
    detail: z.string().optional(),
    additionalErrors: z.array(z.object({ code: z.string(), detail: z.string().optional() }).loose()).optional(),
  })
  .loose();
