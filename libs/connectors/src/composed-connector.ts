import type { ProviderCapabilities, Standard } from '@ais/domain';
import type {
  AuthorisationRequest,
  BankConnector,
  BankConsent,
  BankTokenSet,
  BuildAuthorisationInput,
  ConsentRef,
  ConsentStatusCheck,
  CreateConsentInput,
  DataCallContext,
  ExchangeCodeInput,
  OnboardInput,
  ProviderRegistration,
  RefreshTokensInput,
  TransactionsPageQuery,
  TransactionsQuery,
} from './connector.js';

type DataOperation =
  | 'listAccounts'
  | 'getBalances'
  | 'getTransactions'
  | 'getTransactionsPage'
  | 'listStatements'
  | 'getStatementTransactions'
  | 'getParties'
  | 'listBeneficiaries'
  | 'listStandingOrders'
  | 'listDirectDebits'
  | 'listScheduledPayments';

/** A connector split by what it does: each standard supplies its parts, this class wires the contract. */
export interface ConnectorParts {
  onboarding: Pick<BankConnector, 'onboard'>;
  consents: Pick<BankConnector, 'createConsent' | 'getConsentStatus' | 'revokeConsent'> &
    Partial<Pick<BankConnector, 'checkConsentStatus'>>;
  authorisation: Pick<BankConnector, 'buildAuthorisation' | 'exchangeCode' | 'refreshTokens'>;
  data: Pick<BankConnector, DataOperation>;
  close(): Promise<void>;
}

/** `BankConnector` over a standard's parts (onboarding, consents, authorisation, data). */
export abstract class ComposedConnector implements BankConnector {
  abstract readonly standard: Standard;

  constructor(
    readonly providerId: string,
    readonly capabilities: ProviderCapabilities,
    private readonly parts: ConnectorParts,
  ) {}

  close(): Promise<void> {
    return this.parts.close();
  }

  onboard(input: OnboardInput): Promise<ProviderRegistration> {
    return this.parts.onboarding.onboard(input);
  }

  createConsent(input: CreateConsentInput): Promise<BankConsent> {
    return this.parts.consents.createConsent(input);
  }
  getConsentStatus(input: ConsentRef): Promise<BankConsent> {
    return this.parts.consents.getConsentStatus(input);
  }
  /** The standard's light status read where it has one, else the consent resource itself. */
  async checkConsentStatus(input: ConsentRef): Promise<ConsentStatusCheck> {
    if (this.parts.consents.checkConsentStatus) return this.parts.consents.checkConsentStatus(input);
    const consent = await this.parts.consents.getConsentStatus(input);
    return { status: consent.status, bankStatus: consent.bankStatus, expiresAt: consent.expiresAt };
  }
  revokeConsent(input: ConsentRef): Promise<void> {
    return this.parts.consents.revokeConsent(input);
  }

  buildAuthorisation(input: BuildAuthorisationInput): Promise<AuthorisationRequest> {
    return this.parts.authorisation.buildAuthorisation(input);
  }
  exchangeCode(input: ExchangeCodeInput): Promise<BankTokenSet> {
    return this.parts.authorisation.exchangeCode(input);
  }
  refreshTokens(input: RefreshTokensInput): Promise<BankTokenSet> {
    return this.parts.authorisation.refreshTokens(input);
  }

  listAccounts(ctx: DataCallContext): ReturnType<BankConnector['listAccounts']> {
    return this.parts.data.listAccounts(ctx);
  }
  getBalances(ctx: DataCallContext, input: { accountIds: string[] }): ReturnType<BankConnector['getBalances']> {
    return this.parts.data.getBalances(ctx, input);
  }
  getTransactions(ctx: DataCallContext, input: TransactionsQuery): ReturnType<BankConnector['getTransactions']> {
    return this.parts.data.getTransactions(ctx, input);
  }
  getTransactionsPage(
    ctx: DataCallContext,
    input: TransactionsPageQuery,
  ): ReturnType<BankConnector['getTransactionsPage']> {
    return this.parts.data.getTransactionsPage(ctx, input);
  }
  listStatements(
    ctx: DataCallContext,
    input: { accountId: string; from?: string; to?: string },
  ): ReturnType<BankConnector['listStatements']> {
    return this.parts.data.listStatements(ctx, input);
  }
  getStatementTransactions(
    ctx: DataCallContext,
    input: { accountId: string; statementId: string },
  ): ReturnType<BankConnector['getStatementTransactions']> {
    return this.parts.data.getStatementTransactions(ctx, input);
  }
  getParties(ctx: DataCallContext, input: { accountId?: string }): ReturnType<BankConnector['getParties']> {
    return this.parts.data.getParties(ctx, input);
  }
  listBeneficiaries(
    ctx: DataCallContext,
    input: { accountId: string },
  ): ReturnType<BankConnector['listBeneficiaries']> {
    return this.parts.data.listBeneficiaries(ctx, input);
  }
  listStandingOrders(
    ctx: DataCallContext,
    input: { accountId: string },
  ): ReturnType<BankConnector['listStandingOrders']> {
    return this.parts.data.listStandingOrders(ctx, input);
  }
  listDirectDebits(ctx: DataCallContext, input: { accountId: string }): ReturnType<BankConnector['listDirectDebits']> {
    return this.parts.data.listDirectDebits(ctx, input);
  }
  listScheduledPayments(
    ctx: DataCallContext,
    input: { accountId: string },
  ): ReturnType<BankConnector['listScheduledPayments']> {
    return this.parts.data.listScheduledPayments(ctx, input);
  }
}
