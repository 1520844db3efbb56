import { randomUUID } from 'node:crypto';
import { AppError, addDays, BERLIN_GROUP_ACCESS, localDateOf, unsupportedInBerlinGroup, type Account, type ProviderCapabilities, type Transaction } from '@ais/domain';
import type { z, ZodType } from 'zod';
import { bankError, type BankErrorDetail } from '../bank-error.js';
import type {
  AccountBalances,
  AccountTransactions,
  AuthorisationRequest,
  BankConnector,
  BankConsent,
  BankConsentStatus,
  BankTokenSet,
  BuildAuthorisationInput,
  ConsentRef,
  CreateConsentInput,
  DataCallContext,
  ExchangeCodeInput,
  OnboardInput,
  ProviderRegistration,
  PsuContext,
  RefreshTokensInput,
  TransactionsQuery,
} from '../connector.js';
import { connectorHttpClient, type ConnectorDeps } from '../connector-deps.js';
import type { BankHttpClient, BankResponse } from '../http/bank-http-client.js';
import { advertisedOrigins, configuredOrigins, nextPageUrl } from '../http/bank-origins.js';
import { mapOrInvalid, parseJson, validateWire } from '../mapping.js';
import { AuthorisationServer } from '../oauth/authorization-server.js';
import { createPkce, randomToken } from '../oauth/pkce.js';
import { parseOAuthError } from '../obie/obie.errors.js';
import type { TokenResponse } from '../obie/obie.wire.js';
import type { AccessResource } from '../ports.js';
import type { ProviderEndpoints } from '../provider.js';
import { parseBgError } from './bg.errors.js';
import { mapBgAccount, mapBgBalance, mapBgTransactions, type BgMappingRules } from './bg.mapper.js';
import type { BgProfile } from './bg.profile.js';
import { BgAccountList, BgConsentInformation, BgConsentsResponse201, BgConsentStatusResponse, BgReadAccountBalance, BgTransactionsResponse, type BgTransaction } from './bg.wire.js';

type BgTransactionsPage = z.infer<typeof BgTransactionsResponse>;

const STATUS: Record<string, BankConsentStatus> = {
  received: 'awaiting_authorisation',
  partiallyAuthorised: 'awaiting_authorisation',
  valid: 'authorised',
  rejected: 'rejected',
  revokedByPsu: 'revoked',
  terminatedByTpp: 'revoked',
  expired: 'expired',
};

const MAX_PAGES = 500;

/**
 * The Berlin Group NextGenPSD2 1.3 connector: consents with the access object, the OAuth2 SCA
 * approach (PKCE S256, scope AIS:<consentId>) or the scaRedirect link, and accounts, balances and
 * transactions with every page followed. PSU-IP-Address only on PSU-present calls.
 */
export class BerlinGroupConnector implements BankConnector {
  readonly standard = 'berlin_group_1_3' as const;
  readonly capabilities: ProviderCapabilities;
  private readonly http: BankHttpClient;
  private readonly now: () => Date;
  private readonly rules: BgMappingRules;
  private readonly servers = new Map<string, AuthorisationServer>();

  constructor(
    readonly providerId: string,
    private readonly profile: BgProfile,
    private readonly endpoints: ProviderEndpoints,
    private readonly registration: ProviderRegistration | undefined,
    private readonly deps: ConnectorDeps,
    capabilities?: ProviderCapabilities,
  ) {
    this.capabilities = capabilities ?? profile.capabilities;
    this.now = deps.now ?? (() => new Date());
    this.http = connectorHttpClient(providerId, deps, registration?.transport, this.now);
    this.rules = { timeZone: this.capabilities.timeZone, merchantCategoryCode: profile.merchantCategoryCode, pendingLink: profile.pendingLink };
  }

  async close(): Promise<void> {
    await this.http.close();
  }

  private get reg(): ProviderRegistration {
    if (!this.registration) throw new AppError('provider_unavailable', `Provider ${this.providerId} is not onboarded yet.`, { providerId: this.providerId });
    return this.registration;
  }

  private get mtls(): boolean {
    return this.profile.qwacOnXs2a && Boolean(this.registration?.transport);
  }

  /** The XS2A base: the mutual-TLS host when the TPP's QWAC goes with every call. */
  private get base(): string {
    return this.mtls && this.endpoints.mtlsResourceBaseUrl ? this.endpoints.mtlsResourceBaseUrl : this.endpoints.resourceBaseUrl;
  }

  private url(path: string): string {
    return `${this.base}${path}`;
  }

  private server(metadataUrl: string): AuthorisationServer {
    let s = this.servers.get(metadataUrl);
    if (!s) {
      s = new AuthorisationServer(this.http, { discoveryUrl: metadataUrl }, this.now);
      this.servers.set(metadataUrl, s);
    }
    return s;
  }

  private headers(psu: PsuContext | undefined, extra: Record<string, string> = {}): Record<string, string> {
    return {
      accept: 'application/json',
      'x-request-id': randomUUID(),
      ...(psu ? { 'psu-ip-address': psu.ipAddress, ...(psu.userAgent ? { 'psu-user-agent': psu.userAgent } : {}) } : {}),
      ...extra,
    };
  }

  // ───────────────────────────── onboarding ─────────────────────────────

  async onboard(input: OnboardInput): Promise<ProviderRegistration> {
    const method = input.configured?.tokenEndpointAuthMethod ?? input.tokenEndpointAuthMethod ?? this.profile.preferredAuthMethod;
    if (!this.profile.supportedAuthMethods.includes(method)) throw new AppError('validation_failed', `${this.profile.name} does not support ${method}.`);
    if (input.configured) {
      return { providerId: this.providerId, clientId: input.configured.clientId, clientSecret: input.configured.clientSecret, tokenEndpointAuthMethod: method, redirectUris: input.redirectUris, signingKey: input.tpp.signingKey, transport: input.tpp.transport, source: 'configured' };
    }
    if (this.profile.onboarding !== 'developer_portal' || !this.endpoints.onboardingUrl) {
      throw new AppError('provider_unavailable', `${this.profile.name} has no self-service onboarding: configure its client credentials.`, { providerId: this.providerId });
    }
    const res = await this.http.send({
      method: 'POST',
      url: this.endpoints.onboardingUrl,
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ client_name: input.tpp.clientName, redirect_uris: input.redirectUris, token_endpoint_auth_method: method }),
      idempotent: false,
      operation: 'portal.register',
    });
    if (res.status !== 201 && res.status !== 200) throw parseOAuthError(this.providerId, 'portal.register', res, this.now());
    const out = mapOrInvalid(this.providerId, 'portal.register', () => {
      const b = parseJson(res.text) as Record<string, unknown>;
      if (typeof b?.client_id !== 'string') throw new Error('registration response has no client_id');
      return b;
    });
    return {
      providerId: this.providerId,
      clientId: out.client_id as string,
      clientSecret: typeof out.client_secret === 'string' ? out.client_secret : undefined,
      tokenEndpointAuthMethod: method,
      redirectUris: input.redirectUris,
      signingKey: input.tpp.signingKey,
      transport: input.tpp.transport,
      source: 'developer_portal',
      raw: out,
    };
  }

  // ───────────────────────────── consent and authorisation ─────────────────────────────

  async createConsent(input: CreateConsentInput): Promise<BankConsent> {
    const unsupported = unsupportedInBerlinGroup(input.permissions).concat(input.permissions.filter((p) => !this.capabilities.supportedPermissions.includes(p)));
    if (unsupported.length > 0) throw new AppError('limit_exceeded', `${this.profile.name} (Berlin Group) does not support: ${[...new Set(unsupported)].join(', ')}.`, { providerId: this.providerId });
    // PSU-IP-Address is mandatory here; "if not available, the TPP shall use the IP Address used by the
    // TPP when submitting this request" (Berlin Group 1.3.12, POST /v1/consents).
    const psu = input.psu ?? (this.deps.tppIpAddress ? { ipAddress: this.deps.tppIpAddress } : undefined);
    if (!psu) throw new AppError('validation_failed', 'A Berlin Group consent needs the PSU’s IP address (psuIpAddress) or a configured TPP_IP_ADDRESS.');
    const tz = this.capabilities.timeZone;
    const today = localDateOf(this.now(), tz);
    const maxUntil = addDays(today, this.capabilities.maxConsentDays);
    const requested = input.expiresAt ? localDateOf(input.expiresAt, tz) : maxUntil;
    const validUntil = requested > maxUntil ? maxUntil : requested;
    const access: Record<string, unknown> = {};
    if (this.profile.consentModel === 'allPsd2' && input.permissions.includes('transactions')) access.allPsd2 = 'allAccounts';
    else for (const p of input.permissions) {
      const key = BERLIN_GROUP_ACCESS[p];
      if (key === 'trustedBeneficiaries') access.additionalInformation = { trustedBeneficiaries: [] };
      else if (key) access[key] = [];
    }
    const body = {
      access,
      recurringIndicator: true,
      validUntil,
      frequencyPerDay: Math.min(input.frequencyPerDay, this.capabilities.maxFrequencyPerDay),
      combinedServiceIndicator: false,
    };
    const res = await this.http.send({
      method: 'POST',
      url: this.url('/consents'),
      headers: this.headers(psu, { 'content-type': 'application/json', 'tpp-redirect-uri': input.redirectUri, 'tpp-nok-redirect-uri': input.redirectUri, 'tpp-redirect-preferred': 'true' }),
      body: JSON.stringify(body),
      idempotent: false,
      mtls: this.mtls,
      operation: 'bg.createConsent',
    });
    if (res.status !== 201 && res.status !== 200) throw parseBgError(this.providerId, 'bg.createConsent', res, this.now());
    return mapOrInvalid(this.providerId, 'bg.createConsent', () => {
      const c = validateWire(BgConsentsResponse201, parseJson(res.text), 'consentsResponse-201');
      const abs = (href: string | undefined) => (href ? new URL(href, this.endpoints.baseUrl).toString() : undefined);
      return {
        externalConsentId: c.consentId,
        status: STATUS[c.consentStatus] ?? 'rejected',
        bankStatus: c.consentStatus,
        permissions: input.permissions,
        expiresAt: new Date(`${validUntil}T23:59:59Z`).toISOString(),
        transactionsFrom: null,
        transactionsTo: null,
        frequencyPerDay: body.frequencyPerDay,
        createdAt: this.now().toISOString(),
        statusUpdatedAt: this.now().toISOString(),
        links: {
          ...(abs(c._links.scaOAuth?.href) ? { scaOAuth: abs(c._links.scaOAuth?.href) } : {}),
          ...(abs(c._links.scaRedirect?.href) ? { scaRedirect: abs(c._links.scaRedirect?.href) } : {}),
          ...(abs(c._links.self?.href) ? { self: abs(c._links.self?.href) } : {}),
        },
        raw: c,
      };
    }, res.text);
  }

  async buildAuthorisation(input: BuildAuthorisationInput): Promise<AuthorisationRequest> {
    const state = input.state ?? randomToken();
    const base = { state, redirectUri: input.redirectUri, externalConsentId: input.externalConsentId, createdAt: this.now().toISOString() };
    if (input.consentLinks?.scaRedirect && !input.consentLinks.scaOAuth) return { url: input.consentLinks.scaRedirect, session: base };
    const metadataUrl = input.consentLinks?.scaOAuth ?? this.endpoints.discoveryUrl;
    if (!metadataUrl) throw bankError('bank_invalid_response', 'The consent names no SCA link (scaOAuth / scaRedirect).', { providerId: this.providerId });
    const meta = await this.server(metadataUrl).getMetadata();
    const pkce = createPkce();
    const url = new URL(meta.authorization_endpoint);
    url.searchParams.set('response_type', 'code');
    url.searchParams.set('client_id', this.reg.clientId);
    url.searchParams.set('scope', `AIS:${input.externalConsentId}`);
    url.searchParams.set('state', state);
    url.searchParams.set('redirect_uri', input.redirectUri);
    url.searchParams.set('code_challenge', pkce.codeChallenge);
    url.searchParams.set('code_challenge_method', pkce.method);
    return { url: url.toString(), session: { ...base, codeVerifier: pkce.codeVerifier, tokenEndpoint: meta.token_endpoint, issuer: metadataUrl } };
  }

  private tokenSet(t: TokenResponse, externalConsentId: string): BankTokenSet {
    const now = this.now().getTime();
    return {
      accessToken: t.access_token,
      tokenType: t.token_type,
      refreshToken: t.refresh_token ?? null,
      accessTokenExpiresAt: t.expires_in ? new Date(now + t.expires_in * 1000).toISOString() : null,
      refreshTokenExpiresAt: t.refresh_token_expires_in ? new Date(now + t.refresh_token_expires_in * 1000).toISOString() : null,
      obtainedAt: new Date(now).toISOString(),
      scope: t.scope ?? null,
      idTokenClaims: null,
      externalConsentId,
    };
  }

  async exchangeCode(input: ExchangeCodeInput): Promise<BankTokenSet> {
    const { session, callback } = input;
    if (callback.error) {
      throw bankError('bank_rejected_request', `The bank ended the authorisation: ${callback.error}.`, { providerId: this.providerId, detail: { bankCode: callback.error, cause: callback.error_description }, extensions: { oauthError: callback.error } });
    }
    if (!callback.state || callback.state !== session.state) throw new AppError('validation_failed', 'The state on the redirect does not match the authorisation request.');
    if (!callback.code) throw new AppError('validation_failed', 'The redirect carries no authorization code.');
    const metadataUrl = session.issuer ?? this.endpoints.discoveryUrl;
    if (!metadataUrl) throw new AppError('validation_failed', 'The authorisation session does not say which authorisation server issued the code.');
    const t = await this.server(metadataUrl).token(
      this.reg,
      { grant_type: 'authorization_code', code: callback.code, redirect_uri: session.redirectUri, ...(session.codeVerifier ? { code_verifier: session.codeVerifier } : {}) },
      'bg.exchangeCode',
      { tokenEndpoint: session.tokenEndpoint },
    );
    return this.tokenSet(t, session.externalConsentId);
  }

  async refreshTokens(input: RefreshTokensInput): Promise<BankTokenSet> {
    const metadataUrl = this.endpoints.discoveryUrl;
    if (!metadataUrl) throw new AppError('provider_unavailable', 'No authorisation server metadata is configured for refreshes.', { providerId: this.providerId });
    let refused = false;
    try {
      const t = await this.server(metadataUrl).token(this.reg, { grant_type: 'refresh_token', refresh_token: input.refreshToken }, 'bg.refreshTokens', {
        onError: (res) => {
          refused = res.status === 400 && /invalid_grant/.test(res.text);
          return undefined;
        },
      });
      return this.tokenSet(t, input.externalConsentId);
    } catch (error) {
      if (!refused) throw error;
      const consent = await this.getConsentStatus({ externalConsentId: input.externalConsentId }).catch(() => undefined);
      if (consent?.status === 'revoked' || consent?.status === 'rejected') throw bankError('consent_revoked', 'The consent was revoked at the bank.', { providerId: this.providerId });
      throw bankError('consent_expired', 'The consent has expired at the bank.', { providerId: this.providerId });
    }
  }

  async getConsentStatus(input: ConsentRef): Promise<BankConsent> {
    const res = await this.http.send({ method: 'GET', url: this.url(`/consents/${encodeURIComponent(input.externalConsentId)}`), headers: this.headers(input.psu), idempotent: true, mtls: this.mtls, operation: 'bg.getConsent' });
    if (res.status !== 200) throw parseBgError(this.providerId, 'bg.getConsent', res, this.now());
    return mapOrInvalid(this.providerId, 'bg.getConsent', () => {
      const c = validateWire(BgConsentInformation, parseJson(res.text), 'consentInformationResponse-200');
      const access = c.access as Record<string, unknown>;
      const permissions = (['accounts', 'balances', 'transactions'] as const).filter((k) => access[k] !== undefined || access.allPsd2 !== undefined);
      return {
        externalConsentId: input.externalConsentId,
        status: STATUS[c.consentStatus] ?? 'rejected',
        bankStatus: c.consentStatus,
        permissions: permissions.length > 0 ? [...permissions] : ['accounts'],
        expiresAt: new Date(`${c.validUntil}T23:59:59Z`).toISOString(),
        transactionsFrom: null,
        transactionsTo: null,
        frequencyPerDay: c.frequencyPerDay,
        createdAt: null,
        statusUpdatedAt: null,
        links: {},
        raw: c,
      };
    }, res.text);
  }

  /** The light status endpoint (GET /v1/consents/{id}/status). */
  async getConsentStatusOnly(input: ConsentRef): Promise<BankConsentStatus> {
    const res = await this.http.send({ method: 'GET', url: this.url(`/consents/${encodeURIComponent(input.externalConsentId)}/status`), headers: this.headers(input.psu), idempotent: true, mtls: this.mtls, operation: 'bg.getConsentStatus' });
    if (res.status !== 200) throw parseBgError(this.providerId, 'bg.getConsentStatus', res, this.now());
    return mapOrInvalid(this.providerId, 'bg.getConsentStatus', () => STATUS[validateWire(BgConsentStatusResponse, parseJson(res.text), 'consentStatusResponse-200').consentStatus] ?? 'rejected');
  }

  async revokeConsent(input: ConsentRef): Promise<void> {
    const res = await this.http.send({ method: 'DELETE', url: this.url(`/consents/${encodeURIComponent(input.externalConsentId)}`), headers: this.headers(input.psu), idempotent: true, mtls: this.mtls, operation: 'bg.revokeConsent' });
    if (res.status === 204 || res.status === 200 || res.status === 404) return;
    const err = parseBgError(this.providerId, 'bg.revokeConsent', res, this.now());
    if (err.code === 'consent_revoked' || err.code === 'consent_expired') return;
    throw err;
  }

  // ───────────────────────────── data ─────────────────────────────

  private async get<T>(ctx: DataCallContext, url: string, schema: ZodType<T>, what: string, access: { resource: AccessResource; scope: string }): Promise<T> {
    const operation = `bg.${access.resource}`;
    const token = await this.deps.tokenSource.getAccessToken(ctx.consentId);
    const res = await this.http.send({
      method: 'GET',
      url,
      headers: this.headers(ctx.psu, { authorization: `Bearer ${token.accessToken}`, 'consent-id': token.externalConsentId }),
      idempotent: true,
      mtls: this.mtls,
      operation,
      throttleKey: `consent:${ctx.consentId}`,
      beforeAttempt: async () => {
        await this.deps.accessGuard.reserve({
          providerId: this.providerId,
          consentId: ctx.consentId,
          scope: access.scope,
          resource: access.resource,
          psuPresent: ctx.psu !== undefined,
          limit: ctx.frequencyPerDay,
          window: this.capabilities.accessWindow,
        });
      },
    });
    if (res.status !== 200) throw await this.dataCallError(res, operation, token.externalConsentId);
    return mapOrInvalid(this.providerId, operation, () => validateWire(schema, parseJson(res.text), what), res.text);
  }

  /**
   * A refused data call. A bank that invalidates the consent's tokens with it answers 401
   * TOKEN_INVALID to a revoked, terminated or expired consent: the consent status (which needs no
   * token) is the authority, so on 401 / 403 the connector asks for it.
   */
  private async dataCallError(res: BankResponse, operation: string, externalConsentId: string): Promise<AppError> {
    const error = parseBgError(this.providerId, operation, res, this.now());
    if (res.status !== 401 && res.status !== 403) return error;
    const status = await this.getConsentStatusOnly({ externalConsentId }).catch(() => undefined);
    if (status === undefined) return error;
    const detail = { ...(error.extensions.bank as BankErrorDetail), consentStatus: status };
    if (status === 'revoked' || status === 'rejected') return bankError('consent_revoked', 'The consent is no longer valid at the bank.', { providerId: this.providerId, detail });
    if (status === 'expired') return bankError('consent_expired', 'The consent has expired at the bank.', { providerId: this.providerId, detail });
    if (error.code === 'consent_revoked' || error.code === 'consent_expired') {
      // The bank says the consent is valid: what it refused is this account or resource.
      return bankError('bank_forbidden_permission', 'The consent does not cover this account or resource.', { providerId: this.providerId, detail });
    }
    return error;
  }

  async listAccounts(ctx: DataCallContext): Promise<Account[]> {
    const body = await this.get(ctx, this.url('/accounts'), BgAccountList, 'accountList', { resource: 'accounts', scope: '*' });
    return mapOrInvalid(this.providerId, 'bg.accounts', () => body.accounts.map(mapBgAccount));
  }

  async getBalances(ctx: DataCallContext, input: { accountIds: string[] }): Promise<AccountBalances[]> {
    const out: AccountBalances[] = [];
    for (const accountId of input.accountIds) {
      const body = await this.get(ctx, this.url(`/accounts/${encodeURIComponent(accountId)}/balances`), BgReadAccountBalance, 'readAccountBalance', { resource: 'balances', scope: accountId });
      out.push({ accountId, balances: mapOrInvalid(this.providerId, 'bg.balances', () => body.balances.map(mapBgBalance)) });
    }
    return out;
  }

  /**
   * Outside the first-access window the bank serves at most `transactionHistoryLimitDays`: the
   * window is clipped to it rather than failing the whole read.
   */
  private effectiveFrom(ctx: DataCallContext, from: string): string {
    const limit = this.capabilities.transactionHistoryLimitDays;
    if (limit === null) return from;
    const windowMin = this.capabilities.firstAccessWindowMinutes ?? 0;
    const inFirstWindow = ctx.authorisedAt !== undefined && this.now().getTime() - Date.parse(ctx.authorisedAt) < windowMin * 60_000;
    if (inFirstWindow) return from;
    const earliest = addDays(localDateOf(this.now(), this.capabilities.timeZone), -limit);
    return from < earliest ? earliest : from;
  }

  async getTransactions(ctx: DataCallContext, input: TransactionsQuery): Promise<AccountTransactions[]> {
    const out: AccountTransactions[] = [];
    const status = input.status ?? 'both';
    const from = this.effectiveFrom(ctx, input.from);
    const asOf = localDateOf(this.now(), this.capabilities.timeZone);
    for (const accountId of input.accountIds) {
      let url: string | undefined = `${this.url(`/accounts/${encodeURIComponent(accountId)}/transactions`)}?${new URLSearchParams({ dateFrom: from, dateTo: input.to, bookingStatus: status }).toString()}`;
      const pages: { booked: BgTransaction[]; pending: BgTransaction[] }[] = [];
      const seen = new Set<string>();
      while (url) {
        if (seen.has(url) || pages.length >= MAX_PAGES) throw bankError('bank_invalid_response', 'The bank links its pages in a loop.', { providerId: this.providerId });
        seen.add(url);
        const body: BgTransactionsPage = await this.get(ctx, url, BgTransactionsResponse, 'transactionsResponse-200', { resource: 'transactions', scope: accountId });
        pages.push({ booked: body.transactions?.booked ?? [], pending: body.transactions?.pending ?? [] });
        const next = body.transactions?._links?.next?.href ?? body._links?.next?.href;
        url = next ? await this.nextPage(next, url) : undefined;
      }
      const txns: Transaction[] = mapOrInvalid(this.providerId, 'bg.transactions', () => mapBgTransactions(pages, this.rules, asOf));
      out.push({ accountId, transactions: txns.filter((t) => t.status === 'pending' || (t.bookingDate >= from && t.bookingDate <= input.to)) });
    }
    return out;
  }

  /**
   * Where to fetch a `_links.next`: on the bank's own origins (configured, or advertised by its
   * authorisation servers: the configured metadata and every scaOAuth one used) it is followed on
   * the XS2A base we use (the mTLS host with the QWAC), whatever host name the bank wrote into it.
   * Any other host is refused: our token does not go there.
   */
  private async nextPage(href: string, current: string): Promise<string> {
    const ctx = { current, bases: [this.endpoints.resourceBaseUrl, this.endpoints.mtlsResourceBaseUrl], use: this.base };
    const configured = configuredOrigins(this.endpoints);
    let url = nextPageUrl(href, { ...ctx, origins: configured });
    if (!url) {
      const servers = [...(this.endpoints.discoveryUrl ? [this.server(this.endpoints.discoveryUrl)] : []), ...this.servers.values()];
      const advertised = await Promise.all([...new Set(servers)].map(async (s) => advertisedOrigins(await s.getMetadata())));
      url = nextPageUrl(href, { ...ctx, origins: new Set([...configured, ...advertised.flatMap((o) => [...o])]) });
    }
    if (!url) throw bankError('bank_invalid_response', 'The bank links a next page on another host.', { providerId: this.providerId, detail: { cause: href } });
    return url;
  }

  private unsupported(what: string): never {
    throw new AppError('permission_not_granted', `${this.profile.name} (Berlin Group) offers no ${what} service.`, { providerId: this.providerId });
  }

  async listStatements(): Promise<never> {
    return this.unsupported('statements');
  }
  async getStatementTransactions(): Promise<never> {
    return this.unsupported('statements');
  }
  async getParties(): Promise<never> {
    return this.unsupported('party');
  }
  async listBeneficiaries(): Promise<never> {
    return this.unsupported('trusted beneficiaries');
  }
  async listStandingOrders(): Promise<never> {
    return this.unsupported('standing orders');
  }
  async listDirectDebits(): Promise<never> {
    return this.unsupported('direct debits');
  }
  async listScheduledPayments(): Promise<never> {
    return this.unsupported('scheduled payments');
  }
}
