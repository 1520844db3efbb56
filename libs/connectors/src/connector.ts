import type { JWK } from 'jose';
import type {
  Account,
  Balance,
  ConsentAccountReference,
  Money,
  Permission,
  ProviderCapabilities,
  Standard,
  Transaction,
  TransactionPage,
  TransactionStatus,
} from '@ais/domain';

/**
 * One contract for every banking standard. A connector instance serves one provider (bank); the
 * connector-service builds it from the provider row, the bank profile and the stored registration.
 * Data calls take the gateway's consent id: the bank token comes from the injected TokenSource and
 * every unattended call is first reserved with the injected AccessGuard.
 */
export interface BankConnector {
  readonly providerId: string;
  readonly standard: Standard;
  readonly capabilities: ProviderCapabilities;

  /** Registers the gateway as a client at the bank (DCR, developer portal or configured). */
  onboard(input: OnboardInput): Promise<ProviderRegistration>;

  /** Creates the consent (OBIE account-access-consent, Berlin Group consent) at the bank. */
  createConsent(input: CreateConsentInput): Promise<BankConsent>;
  /**
   * The URL the PSU opens, plus the secrets (state, nonce, PKCE verifier…) the caller must keep
   * server-side, encrypted, and hand back to `exchangeCode` unchanged.
   */
  buildAuthorisation(input: BuildAuthorisationInput): Promise<AuthorisationRequest>;
  /** Exchanges the authorisation code; verifies the id_token (signature, nonce, c_hash, s_hash). */
  exchangeCode(input: ExchangeCodeInput): Promise<BankTokenSet>;
  refreshTokens(input: RefreshTokensInput): Promise<BankTokenSet>;
  getConsentStatus(input: ConsentRef): Promise<BankConsent>;
  /**
   * The consent's status as cheaply as the bank allows it, for the periodic check that notices a
   * revocation or expiry made at the bank (Berlin Group: GET /v1/consents/{id}/status; OBIE: GET
   * account-access-consents/{id} with the client-credentials token). Never an account access.
   */
  checkConsentStatus(input: ConsentRef): Promise<ConsentStatusCheck>;
  /** Revokes the consent at the bank. Already gone at the bank counts as done. */
  revokeConsent(input: ConsentRef): Promise<void>;

  listAccounts(ctx: DataCallContext): Promise<Account[]>;
  /** Balances of the given accounts (bulk endpoint where the bank has one). */
  getBalances(ctx: DataCallContext, input: { accountIds: string[] }): Promise<AccountBalances[]>;
  /** Transactions of the given accounts in a date window, every page followed (bulk where present). */
  getTransactions(ctx: DataCallContext, input: TransactionsQuery): Promise<AccountTransactions[]>;
  /**
   * One bank page of the same: drafts without identities and a cursor for the next page (null on the
   * last). What crosses the RPC is one page at a time; `assembleTransactionPages` (domain) gives the
   * pages of a window their identities, exactly as `getTransactions` does.
   */
  getTransactionsPage(ctx: DataCallContext, input: TransactionsPageQuery): Promise<TransactionsPage>;

  listStatements(ctx: DataCallContext, input: { accountId: string; from?: string; to?: string }): Promise<Statement[]>;
  getStatementTransactions(
    ctx: DataCallContext,
    input: { accountId: string; statementId: string },
  ): Promise<Transaction[]>;
  /** The PSU (no accountId) or the account's owners. */
  getParties(ctx: DataCallContext, input: { accountId?: string }): Promise<Party[]>;
  listBeneficiaries(ctx: DataCallContext, input: { accountId: string }): Promise<Beneficiary[]>;
  listStandingOrders(ctx: DataCallContext, input: { accountId: string }): Promise<StandingOrder[]>;
  listDirectDebits(ctx: DataCallContext, input: { accountId: string }): Promise<DirectDebit[]>;
  listScheduledPayments(ctx: DataCallContext, input: { accountId: string }): Promise<ScheduledPayment[]>;
}

// ───────────────────────────── registration / onboarding ─────────────────────────────

/** Token endpoint client authentication; `none` = a public client protected by PKCE (Berlin Group). */
export type ClientAuthMethod =
  'client_secret_basic' | 'client_secret_post' | 'private_key_jwt' | 'tls_client_auth' | 'none';
export const CLIENT_AUTH_METHODS: readonly ClientAuthMethod[] = [
  'client_secret_basic',
  'client_secret_post',
  'private_key_jwt',
  'tls_client_auth',
  'none',
];

/** A signing key of the TPP (request objects, client assertions, DCR requests). */
export interface TppSigningKey {
  kid: string;
  alg: 'PS256' | 'ES256' | 'RS256';
  privateJwk: JWK;
}

/** An mTLS client certificate (OBWAC / QWAC; the sandbox CA issues one). */
export interface TransportCertificate {
  certPem: string;
  keyPem: string;
  /** CA bundle to trust for the bank's server certificate (sandbox CA); default: system CAs. */
  caPem?: string;
  /** RFC 4514 subject DN (tls_client_auth_subject_dn). */
  subjectDn?: string;
}

/** Who the gateway is towards banks: its keys, certificate and software statement. */
export interface TppIdentity {
  organisationId?: string;
  softwareId?: string;
  clientName: string;
  /** Signed software statement assertion (OBIE Directory, or the sandbox directory). */
  softwareStatement?: string;
  signingKey: TppSigningKey;
  transport?: TransportCertificate;
  /** Where the bank can fetch the TPP's public keys. */
  jwksUri?: string;
}

export interface OnboardInput {
  redirectUris: string[];
  tpp: TppIdentity;
  /** Credentials issued out of band (real banks without DCR): used as they are. */
  configured?: { clientId: string; clientSecret?: string; tokenEndpointAuthMethod: ClientAuthMethod };
  /** Overrides the profile's preferred method (tests exercise every method). */
  tokenEndpointAuthMethod?: ClientAuthMethod;
}

/**
 * The gateway's client at one bank. The connector-service stores it encrypted (AAD = provider id):
 * everything here may be secret.
 */
export interface ProviderRegistration {
  providerId: string;
  clientId: string;
  tokenEndpointAuthMethod: ClientAuthMethod;
  clientSecret?: string;
  redirectUris: string[];
  signingKey: TppSigningKey;
  transport?: TransportCertificate;
  registrationAccessToken?: string;
  registrationClientUri?: string;
  /** How it was obtained. */
  source: 'dcr' | 'developer_portal' | 'configured';
  /** The bank's registration response (secrets included: stored encrypted only). */
  raw?: unknown;
}

// ───────────────────────────── consent and authorisation ─────────────────────────────

/** PSU context of a PSU-present call: carried to the bank, and such calls do not use the budget. */
export interface PsuContext {
  ipAddress: string;
  userAgent?: string;
  /** When the PSU last logged in with the TPP (x-fapi-auth-date). */
  lastLoginAt?: string;
}

export interface CreateConsentInput {
  permissions: Permission[];
  /** ISO instant; defaults to (and is capped at) the bank's maximum. */
  expiresAt?: string;
  /** YYYY-MM-DD: first date of transactions the consent covers. */
  transactionsFrom?: string;
  transactionsTo?: string;
  frequencyPerDay: number;
  /** Where the bank sends the PSU back (Berlin Group puts it on the consent). */
  redirectUri: string;
  /**
   * A dedicated-account consent: the accounts the tenant names (capabilities.dedicatedAccountConsents).
   * Absent: the PSU picks the accounts at the bank.
   */
  accounts?: ConsentAccountReference[];
  /** The PSU is present when the consent is created (it is, in the redirect flow). */
  psu?: PsuContext;
  /** Gateway consent id, for correlation in logs only. */
  consentId?: string;
}

export type BankConsentStatus = 'awaiting_authorisation' | 'authorised' | 'rejected' | 'revoked' | 'expired';

/** What a status check learns: the bank's status and, when the answer carries it, the consent's expiry. */
export interface ConsentStatusCheck {
  status: BankConsentStatus;
  bankStatus: string | null;
  expiresAt: string | null;
}

export interface BankConsent {
  externalConsentId: string;
  status: BankConsentStatus;
  /** The bank's own status text (AwaitingAuthorisation, valid, revokedByPsu…). */
  bankStatus: string;
  permissions: Permission[];
  expiresAt: string | null;
  transactionsFrom: string | null;
  transactionsTo: string | null;
  frequencyPerDay: number | null;
  createdAt: string | null;
  statusUpdatedAt: string | null;
  /** Standard-specific links the authorisation step needs (BG scaOAuth / scaRedirect). */
  links: { scaOAuth?: string; scaRedirect?: string; self?: string };
  raw: unknown;
}

export interface BuildAuthorisationInput {
  externalConsentId: string;
  redirectUri: string;
  /** From createConsent: Berlin Group needs its scaOAuth / scaRedirect links. */
  consentLinks?: BankConsent['links'];
  /** Caller's state (random, single use); generated when omitted. */
  state?: string;
  psu?: PsuContext;
}

/**
 * Everything `exchangeCode` needs again. JSON-safe; secret (nonce, code_verifier): the consent-service
 * stores it encrypted in authorisation_sessions and never sends it to the browser.
 */
export interface AuthorisationSession {
  state: string;
  nonce?: string;
  codeVerifier?: string;
  redirectUri: string;
  externalConsentId: string;
  /** Where to exchange the code (BG: from the scaOAuth metadata). */
  tokenEndpoint?: string;
  /** Expected id_token issuer (OIDC banks). */
  issuer?: string;
  createdAt: string;
}

export interface AuthorisationRequest {
  url: string;
  session: AuthorisationSession;
}

/** What came back on the redirect: query (code flow) or fragment / form_post (hybrid flow). */
export interface AuthorisationCallback {
  code?: string;
  state?: string;
  id_token?: string;
  error?: string;
  error_description?: string;
}

export interface ExchangeCodeInput {
  session: AuthorisationSession;
  callback: AuthorisationCallback;
}

export interface BankTokenSet {
  accessToken: string;
  tokenType: string;
  refreshToken: string | null;
  /** ISO instant. */
  accessTokenExpiresAt: string | null;
  refreshTokenExpiresAt: string | null;
  /** ISO instant the bank issued these tokens (its answer arrived): with the expiry, their lifetime. */
  obtainedAt: string;
  scope: string | null;
  /** Verified claims of the id_token, when one was issued. */
  idTokenClaims: Record<string, unknown> | null;
  externalConsentId: string;
}

export interface RefreshTokensInput {
  refreshToken: string;
  externalConsentId: string;
}

export interface ConsentRef {
  externalConsentId: string;
  /** Berlin Group: the consent's access token when the bank wants it for consent reads. */
  consentId?: string;
  psu?: PsuContext;
}

// ───────────────────────────── data calls ─────────────────────────────

/** Every data call: which consent, its unattended frequency, and the PSU when present. */
export interface DataCallContext {
  /** The gateway's consent id (the TokenSource and AccessGuard key). */
  consentId: string;
  /** The consent's unattended accesses per day. */
  frequencyPerDay: number;
  /** Present = PSU-present call: the PSU's IP goes to the bank and the budget is not used. */
  psu?: PsuContext;
  /** When the consent was authorised: inside the first-access window the full history is readable. */
  authorisedAt?: string;
}

export interface TransactionsQuery {
  accountIds: string[];
  /** YYYY-MM-DD, inclusive, bank-local. */
  from: string;
  /** YYYY-MM-DD, inclusive, bank-local. */
  to: string;
  /** Default: both. */
  status?: TransactionStatus | 'both';
}

export interface TransactionsPageQuery extends TransactionsQuery {
  /** From the previous page's nextCursor; absent for the first page. */
  cursor?: string;
}

export interface TransactionsPage extends TransactionPage {
  /** Opaque, for the next page of the same query; null when this was the last. */
  nextCursor: string | null;
}

export interface AccountBalances {
  accountId: string;
  balances: Balance[];
}

export interface AccountTransactions {
  accountId: string;
  transactions: Transaction[];
}

export interface Statement {
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

export interface PostalAddress {
  type: string | null;
  lines: string[];
  street: string | null;
  buildingNumber: string | null;
  postCode: string | null;
  town: string | null;
  countrySubDivision: string | null;
  country: string | null;
}

export interface Party {
  externalId: string;
  number: string | null;
  type: string | null;
  name: string | null;
  fullLegalName: string | null;
  email: string | null;
  phone: string | null;
  mobile: string | null;
  addresses: PostalAddress[];
  raw: unknown;
}

export interface CounterpartyAccount {
  scheme: string;
  identification: string;
  name: string | null;
}

export interface Beneficiary {
  externalId: string | null;
  accountId: string | null;
  type: string | null;
  reference: string | null;
  creditorAccount: CounterpartyAccount | null;
  creditorAgent: string | null;
  raw: unknown;
}

export interface StandingOrder {
  externalId: string | null;
  accountId: string;
  frequency: string;
  reference: string | null;
  status: string | null;
  firstPaymentAt: string | null;
  nextPaymentAt: string | null;
  lastPaymentAt: string | null;
  finalPaymentAt: string | null;
  numberOfPayments: string | null;
  firstPaymentAmount: Money | null;
  nextPaymentAmount: Money | null;
  lastPaymentAmount: Money | null;
  finalPaymentAmount: Money | null;
  creditorAccount: CounterpartyAccount | null;
  raw: unknown;
}

export interface DirectDebit {
  externalId: string | null;
  accountId: string;
  mandateIdentification: string;
  name: string;
  status: string | null;
  frequency: string | null;
  previousPaymentAt: string | null;
  previousPaymentAmount: Money | null;
  raw: unknown;
}

export interface ScheduledPayment {
  externalId: string | null;
  accountId: string;
  scheduledAt: string;
  scheduledType: string;
  reference: string | null;
  debtorReference: string | null;
  amount: Money;
  creditorAccount: CounterpartyAccount | null;
  raw: unknown;
}
