import type {
  Account,
  Balance,
  ConsentAccountReference,
  Money,
  Permission,
  Transaction,
  TransactionPage,
} from '@ais/domain';

/**
 * Messages served by the connector-service (everything said to a bank). Payloads are JSON: instants
 * are ISO strings, dates YYYY-MM-DD, money decimal strings. Every request names the provider; data
 * calls name the gateway's consent (the connector-service fetches the bank token from the
 * consent-service and reserves the unattended budget itself).
 *
 * Failures arrive as AppErrors with the normalised codes (consent_revoked, bank_rate_limited with
 * retryAt, budget_exhausted with nextAllowedAt, …). Their `extensions.bank` carries the bank's raw,
 * scrubbed detail for operators: callers may log it, the gateway never shows it to a tenant.
 */
export interface ConnectorPsu {
  ipAddress: string;
  userAgent?: string;
  lastLoginAt?: string;
}

export interface ConnectorDataContext {
  consentId: string;
  frequencyPerDay: number;
  /** Present = PSU-present call (not counted against the unattended budget). */
  psu?: ConnectorPsu;
  authorisedAt?: string;
}

export type ConnectorClientAuthMethod =
  'client_secret_basic' | 'client_secret_post' | 'private_key_jwt' | 'tls_client_auth' | 'none';

export interface ConnectorConsent {
  externalConsentId: string;
  status: 'awaiting_authorisation' | 'authorised' | 'rejected' | 'revoked' | 'expired';
  bankStatus: string;
  permissions: Permission[];
  expiresAt: string | null;
  transactionsFrom: string | null;
  transactionsTo: string | null;
  frequencyPerDay: number | null;
  createdAt: string | null;
  statusUpdatedAt: string | null;
  links: { scaOAuth?: string; scaRedirect?: string; self?: string };
  raw: unknown;
}

/** Secret: the consent-service stores it encrypted and hands it back to exchangeCode unchanged. */
export interface ConnectorAuthorisationSession {
  state: string;
  nonce?: string;
  codeVerifier?: string;
  redirectUri: string;
  externalConsentId: string;
  tokenEndpoint?: string;
  issuer?: string;
  createdAt: string;
}

export interface ConnectorTokenSet {
  accessToken: string;
  tokenType: string;
  refreshToken: string | null;
  accessTokenExpiresAt: string | null;
  refreshTokenExpiresAt: string | null;
  /** When the bank issued them (absent in sets stored before this field existed). */
  obtainedAt?: string | null;
  scope: string | null;
  idTokenClaims: Record<string, unknown> | null;
  externalConsentId: string;
}

type WithProvider<T> = { providerId: string } & T;
type Data<T = object> = WithProvider<{ context: ConnectorDataContext } & T>;

export interface ConnectorRpcContract {
  /**
   * Registers the gateway at the bank (DCR / developer portal / configured) and stores it encrypted.
   * `credentials`: a client the bank issued out of band (its developer portal): stored as it is, with
   * `tokenEndpointAuthMethod` (default: the bank profile's), replacing any registration.
   */
  'connector.onboard': {
    request: WithProvider<{
      tokenEndpointAuthMethod?: ConnectorClientAuthMethod;
      force?: boolean;
      credentials?: { clientId: string; clientSecret?: string };
    }>;
    response: {
      providerId: string;
      clientId: string;
      tokenEndpointAuthMethod: ConnectorClientAuthMethod;
      source: 'dcr' | 'developer_portal' | 'configured';
    };
  };
  'connector.createConsent': {
    request: WithProvider<{
      consentId: string;
      permissions: Permission[];
      expiresAt?: string;
      transactionsFrom?: string;
      transactionsTo?: string;
      frequencyPerDay: number;
      redirectUri: string;
      /** Dedicated-account consent: the accounts named (absent: the PSU picks them at the bank). */
      accounts?: ConsentAccountReference[];
      psu?: ConnectorPsu;
    }>;
    response: ConnectorConsent;
  };
  'connector.buildAuthorisation': {
    request: WithProvider<{
      externalConsentId: string;
      redirectUri: string;
      consentLinks?: ConnectorConsent['links'];
      state?: string;
      psu?: ConnectorPsu;
    }>;
    response: { url: string; session: ConnectorAuthorisationSession };
  };
  'connector.exchangeCode': {
    request: WithProvider<{
      session: ConnectorAuthorisationSession;
      callback: { code?: string; state?: string; id_token?: string; error?: string; error_description?: string };
    }>;
    response: ConnectorTokenSet;
  };
  'connector.refreshTokens': {
    request: WithProvider<{ refreshToken: string; externalConsentId: string }>;
    response: ConnectorTokenSet;
  };
  'connector.getConsentStatus': { request: WithProvider<{ externalConsentId: string }>; response: ConnectorConsent };
  /** The periodic status check: the bank's lightest status read, never an account access. */
  'connector.checkConsentStatus': {
    request: WithProvider<{ externalConsentId: string }>;
    response: { status: ConnectorConsent['status']; bankStatus: string | null; expiresAt: string | null };
  };
  'connector.revokeConsent': { request: WithProvider<{ externalConsentId: string }>; response: { revoked: true } };
  'connector.listAccounts': { request: Data; response: { accounts: Account[] } };
  'connector.getBalances': {
    request: Data<{ accountIds: string[] }>;
    response: { accounts: { accountId: string; balances: Balance[] }[] };
  };
  /**
   * One bank page of the accounts' transactions in a window: pass `nextCursor` back as `cursor` until
   * it is null; `readTransactionWindow` (domain) reads a window so and numbers its transactions.
   * Bank data moves a page at a time so that no message grows with an account's history.
   */
  'connector.getTransactionsPage': {
    request: Data<{
      accountIds: string[];
      from: string;
      to: string;
      status?: 'booked' | 'pending' | 'both';
      cursor?: string;
    }>;
    response: TransactionPage & { nextCursor: string | null };
  };
  'connector.listStatements': {
    request: Data<{ accountId: string; from?: string; to?: string }>;
    response: { statements: ConnectorStatement[] };
  };
  'connector.getStatementTransactions': {
    request: Data<{ accountId: string; statementId: string }>;
    response: { transactions: Transaction[] };
  };
  'connector.getParties': { request: Data<{ accountId?: string }>; response: { parties: Record<string, unknown>[] } };
  'connector.listBeneficiaries': {
    request: Data<{ accountId: string }>;
    response: { beneficiaries: Record<string, unknown>[] };
  };
  'connector.listStandingOrders': {
    request: Data<{ accountId: string }>;
    response: { standingOrders: Record<string, unknown>[] };
  };
  'connector.listDirectDebits': {
    request: Data<{ accountId: string }>;
    response: { directDebits: Record<string, unknown>[] };
  };
  'connector.listScheduledPayments': {
    request: Data<{ accountId: string }>;
    response: { scheduledPayments: Record<string, unknown>[] };
  };
}

export interface ConnectorStatement {
  externalId: string | null;
  accountId: string;
  type: string;
  reference: string | null;
  startAt: string;
  endAt: string;
  createdAt: string;
  description: string[];
  amounts: { type: string; amount: Money }[];
  raw: unknown;
}
