import { z } from 'zod';
import { OBIE_PERMISSION_CODES } from '@ais/domain';

/**
 * OBIE Read/Write Account and Transaction API 3.1 (3.1.11) wire types, as zod schemas derived from
 * the official OpenAPI document (specs/obie-account-info-3.1.11r5.yaml): required fields, enums,
 * amount and currency patterns are the spec's. Unknown fields are tolerated (a newer minor version
 * adds fields); anything the spec requires and we rely on is checked, so a payload that violates the
 * standard is rejected whole as bank_invalid_response.
 */

/** OBActiveCurrencyAndAmount_SimpleType: unsigned, up to 13 integer and 5 fraction digits, a STRING. */
export const ObAmountString = z
  .string()
  .regex(/^\d{1,13}$|^\d{1,13}\.\d{1,5}$/, 'OBIE amount: unsigned decimal string');
export const ObCurrency = z.string().regex(/^[A-Z]{3,3}$/, 'ISO 4217 currency code');
/** ISODateTime: RFC 3339 with an offset (OBIE requires one). */
export const ObDateTime = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/i, 'ISO date-time with offset');

export const ObAmount = z.object({ Amount: ObAmountString, Currency: ObCurrency }).loose();
export const ObCreditDebit = z.enum(['Credit', 'Debit']);

export const ObLinks = z
  .object({
    Self: z.string(),
    First: z.string().optional(),
    Prev: z.string().optional(),
    Next: z.string().optional(),
    Last: z.string().optional(),
  })
  .loose();
export const ObMeta = z
  .object({
    TotalPages: z.number().int().optional(),
    FirstAvailableDateTime: ObDateTime.optional(),
    LastAvailableDateTime: ObDateTime.optional(),
  })
  .loose();

const ObCashAccount = z
  .object({
    SchemeName: z.string().optional(),
    Identification: z.string().max(256).optional(),
    Name: z.string().max(350).optional(),
    SecondaryIdentification: z.string().max(34).optional(),
  })
  .loose();
const ObCashAccountRequired = ObCashAccount.extend({ SchemeName: z.string(), Identification: z.string().max(256) });
const ObAgent = z
  .object({
    SchemeName: z.string().optional(),
    Identification: z.string().max(35).optional(),
    Name: z.string().max(140).optional(),
  })
  .loose();

/** The spec's OBExternalPermissions1Code, the same list the domain maps permissions onto. */
export const ObPermissionCode = z.enum(OBIE_PERMISSION_CODES);

/** OBReadConsent1 (request). */
export interface ObReadConsent1 {
  Data: {
    Permissions: string[];
    ExpirationDateTime?: string;
    TransactionFromDateTime?: string;
    TransactionToDateTime?: string;
  };
  Risk: Record<string, never>;
}

/** OBReadConsentResponse1. */
export const ObReadConsentResponse1 = z
  .object({
    Data: z
      .object({
        ConsentId: z.string().min(1).max(128),
        CreationDateTime: ObDateTime,
        Status: z.enum(['Authorised', 'AwaitingAuthorisation', 'Rejected', 'Revoked']),
        StatusUpdateDateTime: ObDateTime,
        Permissions: z.array(ObPermissionCode).min(1),
        ExpirationDateTime: ObDateTime.optional(),
        TransactionFromDateTime: ObDateTime.optional(),
        TransactionToDateTime: ObDateTime.optional(),
      })
      .loose(),
    Risk: z.object({}).loose(),
    Links: ObLinks.optional(),
    Meta: ObMeta.optional(),
  })
  .loose();
export type ObReadConsentResponse1 = z.infer<typeof ObReadConsentResponse1>;

/** OBAccount6. */
export const ObAccount6 = z
  .object({
    AccountId: z.string().min(1).max(40),
    Status: z.enum(['Deleted', 'Disabled', 'Enabled', 'Pending', 'ProForma']).optional(),
    StatusUpdateDateTime: ObDateTime.optional(),
    Currency: ObCurrency.optional(),
    AccountType: z.enum(['Business', 'Personal']).optional(),
    AccountSubType: z
      .enum([
        'ChargeCard',
        'CreditCard',
        'CurrentAccount',
        'EMoney',
        'Loan',
        'Mortgage',
        'PrePaidCard',
        'Savings',
        'Wallet',
      ])
      .optional(),
    Description: z.string().max(35).optional(),
    Nickname: z.string().max(70).optional(),
    OpeningDate: ObDateTime.optional(),
    MaturityDate: ObDateTime.optional(),
    SwitchStatus: z.string().optional(),
    Account: z.array(ObCashAccountRequired).optional(),
    Servicer: z
      .object({ SchemeName: z.string(), Identification: z.string().max(35) })
      .loose()
      .optional(),
  })
  .loose();
export type ObAccount6 = z.infer<typeof ObAccount6>;

export const ObReadAccount6 = z
  .object({
    Data: z.object({ Account: z.array(ObAccount6).optional() }).loose(),
    Links: ObLinks.optional(),
    Meta: ObMeta.optional(),
  })
  .loose();

export const ObBalanceType = z.enum([
  'ClosingAvailable',
  'ClosingBooked',
  'ClosingCleared',
  'Expected',
  'ForwardAvailable',
  'Information',
  'InterimAvailable',
  'InterimBooked',
  'InterimCleared',
  'OpeningAvailable',
  'OpeningBooked',
  'OpeningCleared',
  'PreviouslyClosedBooked',
]);

export const ObCreditLine = z
  .object({
    Included: z.boolean(),
    Type: z.enum(['Available', 'Credit', 'Emergency', 'Pre-Agreed', 'Temporary']).optional(),
    Amount: ObAmount.optional(),
  })
  .loose();

/** OBReadBalance1 Data.Balance item. */
export const ObBalance = z
  .object({
    AccountId: z.string().min(1).max(40),
    CreditDebitIndicator: ObCreditDebit,
    /** OBBalanceType1Code; checked against the bank profile's set (the OBIE codes plus its own). */
    Type: z.string().min(1),
    DateTime: ObDateTime,
    Amount: ObAmount,
    CreditLine: z.array(ObCreditLine).optional(),
  })
  .loose();
export type ObBalance = z.infer<typeof ObBalance>;
export const ObReadBalance1 = z
  .object({
    Data: z.object({ Balance: z.array(ObBalance).min(1) }).loose(),
    Links: ObLinks.optional(),
    Meta: ObMeta.optional(),
  })
  .loose();

/** OBTransaction6. */
export const ObTransaction6 = z
  .object({
    AccountId: z.string().min(1).max(40),
    TransactionId: z.string().max(210).optional(),
    TransactionReference: z.string().max(210).optional(),
    StatementReference: z.array(z.string().max(35)).optional(),
    CreditDebitIndicator: ObCreditDebit,
    Status: z.enum(['Booked', 'Pending', 'Rejected']),
    TransactionMutability: z.enum(['Mutable', 'Immutable']).optional(),
    BookingDateTime: ObDateTime,
    ValueDateTime: ObDateTime.optional(),
    TransactionInformation: z.string().max(500).optional(),
    AddressLine: z.string().max(70).optional(),
    Amount: ObAmount,
    ChargeAmount: ObAmount.optional(),
    CurrencyExchange: z
      .object({
        SourceCurrency: ObCurrency,
        TargetCurrency: ObCurrency.optional(),
        UnitCurrency: ObCurrency.optional(),
        ExchangeRate: z.number(),
        ContractIdentification: z.string().max(35).optional(),
        QuotationDate: ObDateTime.optional(),
        InstructedAmount: ObAmount.optional(),
      })
      .loose()
      .optional(),
    BankTransactionCode: z.object({ Code: z.string(), SubCode: z.string() }).loose().optional(),
    ProprietaryBankTransactionCode: z
      .object({ Code: z.string().max(35), Issuer: z.string().max(35).optional() })
      .loose()
      .optional(),
    Balance: z
      .object({ CreditDebitIndicator: ObCreditDebit, Type: z.string().min(1), Amount: ObAmount })
      .loose()
      .optional(),
    MerchantDetails: z
      .object({ MerchantName: z.string().max(350).optional(), MerchantCategoryCode: z.string().max(4).optional() })
      .loose()
      .optional(),
    CreditorAgent: ObAgent.optional(),
    CreditorAccount: ObCashAccount.optional(),
    DebtorAgent: ObAgent.optional(),
    DebtorAccount: ObCashAccount.optional(),
    CardInstrument: z
      .object({
        CardSchemeName: z.enum(['AmericanExpress', 'Diners', 'Discover', 'MasterCard', 'VISA']),
        AuthorisationType: z.string().optional(),
        Name: z.string().optional(),
        Identification: z.string().max(34).optional(),
      })
      .loose()
      .optional(),
    SupplementaryData: z.record(z.string(), z.unknown()).optional(),
  })
  .loose();
export type ObTransaction6 = z.infer<typeof ObTransaction6>;
export const ObReadTransaction6 = z
  .object({
    Data: z.object({ Transaction: z.array(ObTransaction6).optional() }).loose(),
    Links: ObLinks.optional(),
    Meta: ObMeta.optional(),
  })
  .loose();

export const ObStatement2 = z
  .object({
    AccountId: z.string().min(1).max(40),
    StatementId: z.string().max(40).optional(),
    StatementReference: z.string().max(35).optional(),
    Type: z.enum(['AccountClosure', 'AccountOpening', 'Annual', 'Interim', 'RegularPeriodic']),
    StartDateTime: ObDateTime,
    EndDateTime: ObDateTime,
    CreationDateTime: ObDateTime,
    StatementDescription: z.array(z.string().max(500)).optional(),
    StatementAmount: z
      .array(z.object({ CreditDebitIndicator: ObCreditDebit, Type: z.string(), Amount: ObAmount }).loose())
      .optional(),
  })
  .loose();
export type ObStatement2 = z.infer<typeof ObStatement2>;
export const ObReadStatement2 = z
  .object({
    Data: z.object({ Statement: z.array(ObStatement2).optional() }).loose(),
    Links: ObLinks.optional(),
    Meta: ObMeta.optional(),
  })
  .loose();

const ObAddress = z
  .object({
    AddressType: z.string().optional(),
    AddressLine: z.array(z.string().max(70)).optional(),
    StreetName: z.string().optional(),
    BuildingNumber: z.string().optional(),
    PostCode: z.string().optional(),
    TownName: z.string().optional(),
    CountrySubDivision: z.string().optional(),
    Country: z.string().regex(/^[A-Z]{2,2}$/),
  })
  .loose();
export const ObParty2 = z
  .object({
    PartyId: z.string().min(1).max(40),
    PartyNumber: z.string().max(35).optional(),
    PartyType: z.enum(['Delegate', 'Joint', 'Sole']).optional(),
    Name: z.string().max(350).optional(),
    FullLegalName: z.string().max(350).optional(),
    EmailAddress: z.string().max(256).optional(),
    Phone: z.string().optional(),
    Mobile: z.string().optional(),
    Address: z.array(ObAddress).optional(),
  })
  .loose();
export type ObParty2 = z.infer<typeof ObParty2>;
/** OBReadParty2 (GET /party, GET /accounts/{id}/party): one Party object. */
export const ObReadParty2 = z
  .object({
    Data: z.object({ Party: ObParty2.optional() }).loose(),
    Links: ObLinks.optional(),
    Meta: ObMeta.optional(),
  })
  .loose();

export const ObBeneficiary5 = z
  .object({
    AccountId: z.string().max(40).optional(),
    BeneficiaryId: z.string().max(40).optional(),
    BeneficiaryType: z.enum(['Trusted', 'Ordinary']).optional(),
    Reference: z.string().max(35).optional(),
    CreditorAgent: ObAgent.optional(),
    CreditorAccount: ObCashAccountRequired.optional(),
  })
  .loose();
export type ObBeneficiary5 = z.infer<typeof ObBeneficiary5>;
export const ObReadBeneficiary5 = z
  .object({
    Data: z.object({ Beneficiary: z.array(ObBeneficiary5).optional() }).loose(),
    Links: ObLinks.optional(),
    Meta: ObMeta.optional(),
  })
  .loose();

export const ObStandingOrder6 = z
  .object({
    AccountId: z.string().min(1).max(40),
    StandingOrderId: z.string().max(40).optional(),
    Frequency: z.string().min(1),
    Reference: z.string().max(35).optional(),
    FirstPaymentDateTime: ObDateTime.optional(),
    NextPaymentDateTime: ObDateTime.optional(),
    LastPaymentDateTime: ObDateTime.optional(),
    FinalPaymentDateTime: ObDateTime.optional(),
    NumberOfPayments: z.string().max(35).optional(),
    StandingOrderStatusCode: z.enum(['Active', 'Inactive']).optional(),
    FirstPaymentAmount: ObAmount.optional(),
    NextPaymentAmount: ObAmount.optional(),
    LastPaymentAmount: ObAmount.optional(),
    FinalPaymentAmount: ObAmount.optional(),
    CreditorAccount: ObCashAccountRequired.optional(),
  })
  .loose();
export type ObStandingOrder6 = z.infer<typeof ObStandingOrder6>;
export const ObReadStandingOrder6 = z
  .object({
    Data: z.object({ StandingOrder: z.array(ObStandingOrder6).optional() }).loose(),
    Links: ObLinks.optional(),
    Meta: ObMeta.optional(),
  })
  .loose();

export const ObDirectDebit2 = z
  .object({
    AccountId: z.string().min(1).max(40),
    DirectDebitId: z.string().max(40).optional(),
    MandateIdentification: z.string().max(35),
    DirectDebitStatusCode: z.enum(['Active', 'Inactive']).optional(),
    Name: z.string().max(70),
    PreviousPaymentDateTime: ObDateTime.optional(),
    Frequency: z.string().optional(),
    PreviousPaymentAmount: ObAmount.optional(),
  })
  .loose();
export type ObDirectDebit2 = z.infer<typeof ObDirectDebit2>;
export const ObReadDirectDebit2 = z
  .object({
    Data: z.object({ DirectDebit: z.array(ObDirectDebit2).optional() }).loose(),
    Links: ObLinks.optional(),
    Meta: ObMeta.optional(),
  })
  .loose();

export const ObScheduledPayment3 = z
  .object({
    AccountId: z.string().min(1).max(40),
    ScheduledPaymentId: z.string().max(40).optional(),
    ScheduledPaymentDateTime: ObDateTime,
    ScheduledType: z.enum(['Arrival', 'Execution']),
    Reference: z.string().max(35).optional(),
    DebtorReference: z.string().max(35).optional(),
    InstructedAmount: ObAmount,
    CreditorAccount: ObCashAccountRequired.optional(),
  })
  .loose();
export type ObScheduledPayment3 = z.infer<typeof ObScheduledPayment3>;
export const ObReadScheduledPayment3 = z
  .object({
    Data: z.object({ ScheduledPayment: z.array(ObScheduledPayment3).optional() }).loose(),
    Links: ObLinks.optional(),
    Meta: ObMeta.optional(),
  })
  .loose();

/** OBErrorResponse1. */
export const ObErrorResponse1 = z
  .object({
    Code: z.string(),
    Id: z.string().optional(),
    Message: z.string(),
    Errors: z
      .array(
        z
          .object({
            ErrorCode: z.string(),
            Message: z.string(),
            Path: z.string().optional(),
            Url: z.string().optional(),
          })
          .loose(),
      )
      .min(1),
  })
  .loose();
export type ObErrorResponse1 = z.infer<typeof ObErrorResponse1>;
