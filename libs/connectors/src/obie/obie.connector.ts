import { randomUUID } from 'node:crypto';
import { importJWK, SignJWT } from 'jose';
import {
  AppError,
  addDays,
  fromObiePermissions,
  localDateOf,
  startOfLocalDate,
  toObiePermissions,
  type Account,
  type ProviderCapabilities,
  type Transaction,
} from '@ais/domain';
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
  Beneficiary,
  BuildAuthorisationInput,
  ConsentRef,
  CreateConsentInput,
  DataCallContext,
  DirectDebit,
  ExchangeCodeInput,
  OnboardInput,
  Party,
  ProviderRegistration,
  RefreshTokensInput,
  ScheduledPayment,
  StandingOrder,
  Statement,
  TransactionsQuery,
} from '../connector.js';
import { connectorHttpClient, type ConnectorDeps } from '../connector-deps.js';
import type { BankHttpClient, BankResponse } from '../http/bank-http-client.js';
import { advertisedOrigins, configuredOrigins, nextPageUrl } from '../http/bank-origins.js';
import { mapOrInvalid, parseJson, validateWire } from '../mapping.js';
import { AuthorisationServer } from '../oauth/authorization-server.js';
import { IdTokenError, verifyIdToken } from '../oauth/id-token.js';
import { publicJwk } from '../oauth/jwk.js';
import { randomToken } from '../oauth/pkce.js';
import type { AccessResource } from '../ports.js';
import type { ProviderEndpoints } from '../provider.js';
import { parseObieError, parseOAuthError } from './obie.errors.js';
import {
  mapObieAccount,
  mapObieBalances,
  mapObieBeneficiary,
  mapObieDirectDebit,
  mapObieParty,
  mapObieScheduledPayment,
  mapObieStandingOrder,
  mapObieStatement,
  mapObieTransactions,
  type ObieMappingRules,
} from './obie.mapper.js';
import type { ObieProfile } from './obie.profile.js';
import {
  ObReadAccount6,
  ObReadBalance1,
  ObReadBeneficiary5,
  ObReadConsentResponse1,
  ObReadDirectDebit2,
  ObReadParty2,
  ObReadScheduledPayment3,
  ObReadStandingOrder6,
  ObReadStatement2,
  ObReadTransaction6,
  type ObReadConsent1,
  type TokenResponse,
} from './obie.wire.js';

type ObReadTransaction6Page = z.infer<typeof ObReadTransaction6>;

const STATUS: Record<string, BankConsentStatus> = {
  AwaitingAuthorisation: 'awaiting_authorisation',
  Authorised: 'authorised',
  Rejected: 'rejected',
  Revoked: 'revoked',
};

/** Bounds pagination against a bank that links pages in a loop. */
const MAX_PAGES = 500;

interface Paged {
  Links?: { Next?: string };
}

/**
 * The OBIE 3.1 connector (UK OBIE and Bahrain OBF banks), driven by a bank profile: DCR or portal
 * onboarding, client-credentials tokens for consent resources, the OIDC hybrid flow with a signed
 * request object, and every AIS resource with pagination, bulk endpoints and validation.
 */
export class ObieConnector implements BankConnector {
  readonly standard = 'obie_3_1' as const;
  readonly capabilities: ProviderCapabilities;
  private readonly http: BankHttpClient;
  private readonly as: AuthorisationServer;
  private readonly now: () => Date;
  private ccToken: { token: string; expiresAt: number } | undefined;
  private readonly rules: ObieMappingRules;

  constructor(
    readonly providerId: string,
    private readonly profile: ObieProfile,
    private readonly endpoints: ProviderEndpoints,
    private readonly registration: ProviderRegistration | undefined,
    private readonly deps: ConnectorDeps,
    capabilities?: ProviderCapabilities,
  ) {
    this.capabilities = capabilities ?? profile.capabilities;
    this.now = deps.now ?? (() => new Date());
    this.http = connectorHttpClient(providerId, deps, registration?.transport, this.now);
    this.as = new AuthorisationServer(this.http, {
      discoveryUrl: endpoints.discoveryUrl,
      configured: {
        ...(endpoints.issuer ? { issuer: endpoints.issuer } : {}),
        ...(endpoints.authorizationUrl ? { authorization_endpoint: endpoints.authorizationUrl } : {}),
        ...(endpoints.tokenUrl ? { token_endpoint: endpoints.tokenUrl } : {}),
        ...(endpoints.jwksUrl ? { jwks_uri: endpoints.jwksUrl } : {}),
        ...(endpoints.registrationUrl ? { registration_endpoint: endpoints.registrationUrl } : {}),
      },
    }, this.now);
    this.rules = { timeZone: this.capabilities.timeZone, balanceTypes: profile.balanceTypes, pendingLink: profile.pendingLink };
  }

  async close(): Promise<void> {
    await this.http.close();
  }

  private get reg(): ProviderRegistration {
    if (!this.registration) throw new AppError('provider_unavailable', `Provider ${this.providerId} is not onboarded yet.`, { providerId: this.providerId });
    return this.registration;
  }

  /**
   * With a transport certificate and a bank that serves mutual TLS, every call goes over it (FAPI:
   * tokens are bound to the certificate, so resources must be called with the same one).
   */
  private get resourceMtls(): boolean {
    return this.registration?.tokenEndpointAuthMethod === 'tls_client_auth' || (Boolean(this.registration?.transport) && Boolean(this.endpoints.mtlsResourceBaseUrl));
  }

  private resourceUrl(path: string): string {
    const base = this.resourceMtls && this.endpoints.mtlsResourceBaseUrl ? this.endpoints.mtlsResourceBaseUrl : this.endpoints.resourceBaseUrl;
    return `${base}${path}`;
  }

  private consentUrl(id?: string): string {
    const base = this.endpoints.consentUrl ?? this.resourceUrl('/account-access-consents');
    return id === undefined ? base : `${base}/${encodeURIComponent(id)}`;
  }

  // ───────────────────────────── onboarding ─────────────────────────────

  async onboard(input: OnboardInput): Promise<ProviderRegistration> {
    const method = input.configured?.tokenEndpointAuthMethod ?? input.tokenEndpointAuthMethod ?? this.profile.preferredAuthMethod;
    if (!this.profile.supportedAuthMethods.includes(method)) {
      throw new AppError('validation_failed', `${this.profile.name} does not support ${method}; it supports ${this.profile.supportedAuthMethods.join(', ')}.`);
    }
    if (input.configured) {
      return {
        providerId: this.providerId,
        clientId: input.configured.clientId,
        clientSecret: input.configured.clientSecret,
        tokenEndpointAuthMethod: method,
        redirectUris: input.redirectUris,
        signingKey: input.tpp.signingKey,
        transport: input.tpp.transport,
        source: 'configured',
      };
    }
    switch (this.profile.onboarding) {
      case 'dcr':
        return this.registerDynamically(input, method);
      case 'developer_portal':
        return this.registerAtPortal(input, method);
      case 'configured':
        throw new AppError('provider_unavailable', `${this.profile.name} has no dynamic registration: configure its client credentials.`, { providerId: this.providerId });
    }
  }

  /** OBIE DCR 3.2/3.3: a request JWT signed with the TPP key, carrying the software statement. */
  private async registerDynamically(input: OnboardInput, method: ProviderRegistration['tokenEndpointAuthMethod']): Promise<ProviderRegistration> {
    const tpp = input.tpp;
    if (!tpp.softwareStatement || !tpp.softwareId) throw new AppError('validation_failed', 'Dynamic registration needs a software statement and software id.');
    if (method === 'tls_client_auth' && !tpp.transport?.subjectDn) throw new AppError('validation_failed', 'tls_client_auth needs a transport certificate with its subject DN.');
    const meta = await this.as.getMetadata();
    const advertised = meta.token_endpoint_auth_methods_supported;
    if (advertised && !advertised.includes(method)) {
      throw new AppError('validation_failed', `${this.profile.name} does not offer ${method} (it advertises ${advertised.join(', ')}).`, { providerId: this.providerId });
    }
    const registrationUrl = tpp.transport && meta.mtls_endpoint_aliases?.registration_endpoint ? meta.mtls_endpoint_aliases.registration_endpoint : meta.registration_endpoint;
    if (!registrationUrl) throw bankError('bank_invalid_response', 'The bank advertises no registration endpoint.', { providerId: this.providerId });
    const key = await importJWK(tpp.signingKey.privateJwk, tpp.signingKey.alg);
    const iat = Math.floor(this.now().getTime() / 1000);
    const claims: Record<string, unknown> = {
      redirect_uris: input.redirectUris,
      token_endpoint_auth_method: method,
      grant_types: this.profile.dcr.grantTypes,
      response_types: this.profile.dcr.responseTypes,
      software_id: tpp.softwareId,
      scope: this.profile.dcr.scope,
      software_statement: tpp.softwareStatement,
      application_type: this.profile.dcr.applicationType,
      id_token_signed_response_alg: 'PS256',
      request_object_signing_alg: 'PS256',
      ...(method === 'private_key_jwt' ? { token_endpoint_auth_signing_alg: 'PS256' } : {}),
      ...(method === 'tls_client_auth' ? { tls_client_auth_subject_dn: tpp.transport!.subjectDn } : {}),
    };
    const jwt = await new SignJWT(claims)
      .setProtectedHeader({ alg: tpp.signingKey.alg, kid: tpp.signingKey.kid, typ: 'JWT' })
      .setIssuer(tpp.softwareId)
      .setAudience(this.profile.dcr.audience || meta.issuer)
      .setIssuedAt(iat)
      .setExpirationTime(iat + 300)
      .setJti(randomUUID())
      .sign(key);
    const res = await this.http.send({
      method: 'POST',
      url: registrationUrl,
      headers: { 'content-type': 'application/jwt', accept: 'application/json' },
      body: jwt,
      idempotent: false,
      mtls: Boolean(tpp.transport) && registrationUrl === meta.mtls_endpoint_aliases?.registration_endpoint,
      transport: tpp.transport,
      operation: 'obie.register',
    });
    if (res.status !== 201 && res.status !== 200) throw parseOAuthError(this.providerId, 'obie.register', res, this.now());
    const body = mapOrInvalid(this.providerId, 'obie.register', () => {
      const b = parseJson(res.text) as Record<string, unknown>;
      if (typeof b?.client_id !== 'string') throw new Error('registration response has no client_id');
      return b;
    });
    return {
      providerId: this.providerId,
      clientId: body.client_id as string,
      clientSecret: typeof body.client_secret === 'string' ? body.client_secret : undefined,
      tokenEndpointAuthMethod: method,
      redirectUris: input.redirectUris,
      signingKey: tpp.signingKey,
      transport: tpp.transport,
      registrationAccessToken: typeof body.registration_access_token === 'string' ? body.registration_access_token : undefined,
      registrationClientUri: typeof body.registration_client_uri === 'string' ? body.registration_client_uri : undefined,
      source: 'dcr',
      raw: body,
    };
  }

  /** A bank's developer portal (the sandbox's POST /<bank>/sandbox/clients) for banks without DCR. */
  private async registerAtPortal(input: OnboardInput, method: ProviderRegistration['tokenEndpointAuthMethod']): Promise<ProviderRegistration> {
    if (!this.endpoints.onboardingUrl) throw new AppError('provider_unavailable', `${this.profile.name} has no onboarding endpoint configured.`, { providerId: this.providerId });
    const body = {
      client_name: input.tpp.clientName,
      redirect_uris: input.redirectUris,
      jwks: { keys: [publicJwk(input.tpp.signingKey.privateJwk, input.tpp.signingKey.kid, input.tpp.signingKey.alg)] },
      token_endpoint_auth_method: method,
    };
    const res = await this.http.send({
      method: 'POST',
      url: this.endpoints.onboardingUrl,
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(body),
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

  private async clientCredentialsToken(): Promise<string> {
    const now = this.now().getTime();
    if (this.ccToken && this.ccToken.expiresAt - 30_000 > now) return this.ccToken.token;
    const t = await this.as.token(this.reg, { grant_type: 'client_credentials', scope: this.profile.clientCredentialsScope }, 'obie.clientCredentials');
    this.ccToken = { token: t.access_token, expiresAt: now + (t.expires_in ?? 300) * 1000 };
    return t.access_token;
  }

  private fapiHeaders(psu: { ipAddress: string; lastLoginAt?: string; userAgent?: string } | undefined): Record<string, string> {
    return {
      accept: 'application/json',
      'x-fapi-interaction-id': randomUUID(),
      ...this.profile.staticHeaders,
      ...(psu
        ? {
            'x-fapi-customer-ip-address': psu.ipAddress,
            ...(psu.lastLoginAt ? { 'x-fapi-auth-date': new Date(psu.lastLoginAt).toUTCString() } : {}),
            ...(psu.userAgent ? { 'x-customer-user-agent': psu.userAgent } : {}),
          }
        : {}),
    };
  }

  private mapConsent(body: ObReadConsentResponse1): BankConsent {
    const d = body.Data;
    return {
      externalConsentId: d.ConsentId,
      status: STATUS[d.Status] ?? 'rejected',
      bankStatus: d.Status,
      permissions: fromObiePermissions(d.Permissions),
      expiresAt: d.ExpirationDateTime ? new Date(d.ExpirationDateTime).toISOString() : null,
      transactionsFrom: d.TransactionFromDateTime ? localDateOf(d.TransactionFromDateTime, this.capabilities.timeZone) : null,
      transactionsTo: d.TransactionToDateTime ? localDateOf(d.TransactionToDateTime, this.capabilities.timeZone) : null,
      frequencyPerDay: null,
      createdAt: new Date(d.CreationDateTime).toISOString(),
      statusUpdatedAt: new Date(d.StatusUpdateDateTime).toISOString(),
      links: { ...(body.Links?.Self ? { self: body.Links.Self } : {}) },
      raw: body,
    };
  }

  private parseConsent(res: BankResponse, operation: string): BankConsent {
    return mapOrInvalid(this.providerId, operation, () => this.mapConsent(validateWire(ObReadConsentResponse1, this.profile.normaliseWire(parseJson(res.text)), 'OBReadConsentResponse1')), res.text);
  }

  async createConsent(input: CreateConsentInput): Promise<BankConsent> {
    const unsupported = input.permissions.filter((p) => !this.capabilities.supportedPermissions.includes(p));
    if (unsupported.length > 0) throw new AppError('limit_exceeded', `${this.profile.name} does not support: ${unsupported.join(', ')}.`, { providerId: this.providerId });
    const maxExpiry = this.now().getTime() + this.capabilities.maxConsentDays * 86_400_000;
    const expiresAt = Math.min(input.expiresAt ? Date.parse(input.expiresAt) : maxExpiry, maxExpiry);
    const tz = this.capabilities.timeZone;
    const body: ObReadConsent1 = {
      Data: {
        Permissions: toObiePermissions(input.permissions),
        ExpirationDateTime: isoSeconds(expiresAt),
        ...(input.transactionsFrom ? { TransactionFromDateTime: localMidnightIso(input.transactionsFrom, tz) } : {}),
        ...(input.transactionsTo ? { TransactionToDateTime: localMidnightIso(addDays(input.transactionsTo, 1), tz, -1) } : {}),
      },
      Risk: {},
    };
    const token = await this.clientCredentialsToken();
    const res = await this.http.send({
      method: 'POST',
      url: this.consentUrl(),
      headers: { ...this.fapiHeaders(input.psu), authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
      idempotent: false,
      mtls: this.resourceMtls,
      operation: 'obie.createConsent',
    });
    if (res.status !== 201 && res.status !== 200) throw parseObieError(this.providerId, 'obie.createConsent', res, this.now());
    return this.parseConsent(res, 'obie.createConsent');
  }

  async buildAuthorisation(input: BuildAuthorisationInput): Promise<AuthorisationRequest> {
    const reg = this.reg;
    const state = input.state ?? randomToken();
    const nonce = randomToken();
    const a = this.profile.authorisation;
    const meta = await this.as.getMetadata();
    const session = {
      state,
      nonce,
      redirectUri: input.redirectUri,
      externalConsentId: input.externalConsentId,
      issuer: meta.issuer,
      createdAt: this.now().toISOString(),
    };
    if (a.style === 'consent_link') {
      let link = input.consentLinks?.self;
      if (!link) link = (await this.getConsentStatus({ externalConsentId: input.externalConsentId })).links.self;
      if (!link) throw bankError('bank_invalid_response', 'The consent carries no authorisation link (Links.Self).', { providerId: this.providerId });
      const url = new URL(link);
      url.searchParams.set('client_id', reg.clientId);
      url.searchParams.set('redirect_uri', input.redirectUri);
      url.searchParams.set('state', state);
      url.searchParams.set('nonce', nonce);
      return { url: url.toString(), session };
    }
    const key = await importJWK(reg.signingKey.privateJwk, reg.signingKey.alg);
    const iat = Math.floor(this.now().getTime() / 1000);
    const intent = { value: input.externalConsentId, essential: true };
    const requestObject = await new SignJWT({
      response_type: a.responseType,
      client_id: reg.clientId,
      redirect_uri: input.redirectUri,
      scope: a.scope,
      state,
      nonce,
      ...(a.responseMode !== 'fragment' ? { response_mode: a.responseMode } : {}),
      claims: {
        userinfo: { openbanking_intent_id: intent },
        id_token: { openbanking_intent_id: intent, ...(a.acr ? { acr: { essential: true, values: [a.acr] } } : {}) },
      },
    })
      .setProtectedHeader({ alg: 'PS256', kid: reg.signingKey.kid, typ: 'oauth-authz-req+jwt' })
      .setIssuer(reg.clientId)
      .setAudience(meta.issuer)
      .setIssuedAt(iat)
      .setNotBefore(iat)
      .setExpirationTime(iat + 300)
      .setJti(randomUUID())
      .sign(key);
    const url = new URL(meta.authorization_endpoint);
    url.searchParams.set('client_id', reg.clientId);
    url.searchParams.set('response_type', a.responseType);
    url.searchParams.set('scope', a.scope);
    url.searchParams.set('redirect_uri', input.redirectUri);
    url.searchParams.set('state', state);
    url.searchParams.set('nonce', nonce);
    if (a.responseMode !== 'fragment') url.searchParams.set('response_mode', a.responseMode);
    url.searchParams.set('request', requestObject);
    return { url: url.toString(), session };
  }

  private async verify(idToken: string, expect: { nonce?: string; code?: string; state?: string; accessToken?: string; intentId: string; requireHashes: boolean }, issuer: string) {
    const meta = await this.as.getMetadata();
    const run = async (force: boolean) =>
      verifyIdToken(idToken, {
        issuer: issuer || meta.issuer,
        clientId: this.reg.clientId,
        jwks: await this.as.getJwks(force),
        algorithms: this.profile.idTokenAlgorithms,
        currentDate: this.now(),
        ...expect,
      });
    try {
      try {
        return await run(false);
      } catch (error) {
        if (error instanceof IdTokenError && /no applicable key|JWKSNoMatchingKey|matching key/i.test(error.message)) return await run(true);
        throw error;
      }
    } catch (error) {
      if (error instanceof IdTokenError) {
        throw bankError('bank_invalid_response', 'The bank sent an id_token that failed verification.', { providerId: this.providerId, detail: { operation: 'obie.verifyIdToken', cause: error.message } });
      }
      throw error;
    }
  }

  async exchangeCode(input: ExchangeCodeInput): Promise<BankTokenSet> {
    const { session, callback } = input;
    if (callback.error) {
      throw bankError('bank_rejected_request', `The bank ended the authorisation: ${callback.error}.`, {
        providerId: this.providerId,
        detail: { bankCode: callback.error, cause: callback.error_description },
        extensions: { oauthError: callback.error },
      });
    }
    if (!callback.state || callback.state !== session.state) throw new AppError('validation_failed', 'The state on the redirect does not match the authorisation request.');
    if (!callback.code) throw new AppError('validation_failed', 'The redirect carries no authorization code.');
    const hybrid = this.profile.authorisation.style === 'oidc_request_object' && this.profile.authorisation.responseType === 'code id_token';
    if (hybrid) {
      if (!callback.id_token) throw bankError('bank_invalid_response', 'The hybrid-flow redirect carries no id_token.', { providerId: this.providerId });
      await this.verify(
        callback.id_token,
        { nonce: session.nonce, code: callback.code, state: callback.state, intentId: session.externalConsentId, requireHashes: this.profile.authorisation.requireHashes },
        session.issuer ?? '',
      );
    }
    const t = await this.as.token(this.reg, {
      grant_type: 'authorization_code',
      code: callback.code,
      redirect_uri: session.redirectUri,
      ...(session.codeVerifier ? { code_verifier: session.codeVerifier } : {}),
    }, 'obie.exchangeCode');
    let claims: Record<string, unknown> | null = null;
    if (t.id_token) {
      claims = (await this.verify(t.id_token, { nonce: session.nonce, accessToken: t.access_token, intentId: session.externalConsentId, requireHashes: false }, session.issuer ?? ''));
    }
    return this.tokenSet(t, session.externalConsentId, claims);
  }

  private tokenSet(t: TokenResponse, externalConsentId: string, claims: Record<string, unknown> | null): BankTokenSet {
    const now = this.now().getTime();
    return {
      accessToken: t.access_token,
      tokenType: t.token_type,
      refreshToken: t.refresh_token ?? null,
      accessTokenExpiresAt: t.expires_in ? new Date(now + t.expires_in * 1000).toISOString() : null,
      refreshTokenExpiresAt: t.refresh_token_expires_in ? new Date(now + t.refresh_token_expires_in * 1000).toISOString() : null,
      obtainedAt: new Date(now).toISOString(),
      scope: t.scope ?? null,
      idTokenClaims: claims,
      externalConsentId,
    };
  }

  async refreshTokens(input: RefreshTokensInput): Promise<BankTokenSet> {
    let grantRefused = false;
    try {
      const t = await this.as.token(this.reg, { grant_type: 'refresh_token', refresh_token: input.refreshToken }, 'obie.refreshTokens', {
        onError: (res) => {
          if (res.status === 400 && /invalid_grant/.test(res.text)) grantRefused = true;
          return undefined;
        },
      });
      return this.tokenSet(t, input.externalConsentId, null);
    } catch (error) {
      if (!grantRefused) throw error;
      // The grant is gone: ask the bank why, so the consent gets the right fate.
      const consent = await this.getConsentStatus({ externalConsentId: input.externalConsentId }).catch(() => undefined);
      if (consent?.status === 'revoked' || consent?.status === 'rejected') throw bankError('consent_revoked', 'The consent was revoked at the bank.', { providerId: this.providerId });
      if (!consent || (consent.expiresAt && Date.parse(consent.expiresAt) <= this.now().getTime())) throw bankError('consent_expired', 'The consent has expired at the bank.', { providerId: this.providerId });
      throw error;
    }
  }

  async getConsentStatus(input: ConsentRef): Promise<BankConsent> {
    const token = await this.clientCredentialsToken();
    const res = await this.http.send({
      method: 'GET',
      url: this.consentUrl(input.externalConsentId),
      headers: { ...this.fapiHeaders(input.psu), authorization: `Bearer ${token}` },
      idempotent: true,
      mtls: this.resourceMtls,
      operation: 'obie.getConsent',
    });
    if (res.status !== 200) throw parseObieError(this.providerId, 'obie.getConsent', res, this.now());
    return this.parseConsent(res, 'obie.getConsent');
  }

  async revokeConsent(input: ConsentRef): Promise<void> {
    const token = await this.clientCredentialsToken();
    const res = await this.http.send({
      method: 'DELETE',
      url: this.consentUrl(input.externalConsentId),
      headers: { ...this.fapiHeaders(input.psu), authorization: `Bearer ${token}` },
      idempotent: true,
      mtls: this.resourceMtls,
      operation: 'obie.revokeConsent',
    });
    if (res.status === 204 || res.status === 200 || res.status === 404) return;
    if (res.status === 400 && /Resource\.NotFound/.test(res.text)) return;
    throw parseObieError(this.providerId, 'obie.revokeConsent', res, this.now());
  }

  // ───────────────────────────── data ─────────────────────────────

  /**
   * GETs a resource and every following page. Each page is one bank call: the guard reserves it
   * first (per attempt), so an unattended sync never goes past the consent's budget.
   */
  private async fetchAll<T extends Paged>(ctx: DataCallContext, path: string, schema: ZodType<T>, what: string, access: { resource: AccessResource; scope: string }): Promise<T[]> {
    const operation = `obie.${access.resource}`;
    const pages: T[] = [];
    let url: string | undefined = this.resourceUrl(path);
    const seen = new Set<string>();
    while (url) {
      if (seen.has(url) || pages.length >= MAX_PAGES) throw bankError('bank_invalid_response', 'The bank links its pages in a loop.', { providerId: this.providerId, detail: { operation } });
      seen.add(url);
      const token = await this.deps.tokenSource.getAccessToken(ctx.consentId);
      const res = await this.http.send({
        method: 'GET',
        url,
        headers: { ...this.fapiHeaders(ctx.psu), authorization: `Bearer ${token.accessToken}` },
        idempotent: true,
        mtls: this.resourceMtls,
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
      const page = mapOrInvalid(this.providerId, operation, () => validateWire(schema, this.profile.normaliseWire(parseJson(res.text)), what), res.text);
      pages.push(page);
      url = page.Links?.Next ? await this.nextPage(page.Links.Next, url) : undefined;
    }
    return pages;
  }

  /**
   * A refused data call. OBIE gives a 401 no body and leaves "revoked" and "expired" to prose, and
   * a bank that invalidates tokens with the consent answers 401 for both: the consent resource is the
   * authority, so on 401 / 403 the connector asks for it (client-credentials, not an AIS access) and
   * reports consent_revoked / consent_expired when that is what happened.
   */
  private async dataCallError(res: BankResponse, operation: string, externalConsentId: string): Promise<AppError> {
    const error = parseObieError(this.providerId, operation, res, this.now());
    if (res.status !== 401 && res.status !== 403) return error;
    const consent = await this.getConsentStatus({ externalConsentId }).catch(() => undefined);
    if (!consent) return error;
    const bank = { ...(error.extensions.bank as BankErrorDetail), consentStatus: consent.bankStatus, consentExpiresAt: consent.expiresAt };
    if (consent.status === 'revoked' || consent.status === 'rejected') {
      return bankError('consent_revoked', 'The consent is no longer authorised at the bank.', { providerId: this.providerId, detail: bank });
    }
    if (consent.status === 'expired' || (consent.expiresAt !== null && Date.parse(consent.expiresAt) <= this.now().getTime())) {
      return bankError('consent_expired', 'The consent has expired at the bank.', { providerId: this.providerId, detail: bank });
    }
    if (res.status === 403) return bankError('bank_forbidden_permission', 'The consent does not grant the permission this call needs.', { providerId: this.providerId, detail: bank });
    return bankError('bank_unauthorised', 'The bank did not accept the access token.', { providerId: this.providerId, detail: bank });
  }

  /**
   * Where to fetch a Links.Next: on the bank's own origins (configured, or advertised in its
   * discovery: issuer, endpoints, mTLS aliases) it is followed on the API base we use, so a
   * certificate-bound token stays on mutual TLS whatever host name the bank wrote into the link.
   * Any other host is refused: our token does not go there.
   */
  private async nextPage(next: string, current: string): Promise<string> {
    const ctx = { current, bases: [this.endpoints.resourceBaseUrl, this.endpoints.mtlsResourceBaseUrl], use: this.resourceUrl('') };
    const configured = configuredOrigins(this.endpoints);
    const url =
      nextPageUrl(next, { ...ctx, origins: configured }) ??
      nextPageUrl(next, { ...ctx, origins: new Set([...configured, ...advertisedOrigins(await this.as.getMetadata())]) });
    if (!url) throw bankError('bank_invalid_response', 'The bank links a next page on another host.', { providerId: this.providerId, detail: { cause: next } });
    return url;
  }

  private bulk(kind: 'balances' | 'transactions'): boolean {
    return this.capabilities.bulkEndpoints.includes(kind);
  }

  async listAccounts(ctx: DataCallContext): Promise<Account[]> {
    const pages = await this.fetchAll(ctx, '/accounts', ObReadAccount6, 'OBReadAccount6', { resource: 'accounts', scope: '*' });
    return mapOrInvalid(this.providerId, 'obie.accounts', () => pages.flatMap((p) => (p.Data.Account ?? []).map((a) => mapObieAccount(a, this.rules, this.capabilities.currencies[0]))));
  }

  async getBalances(ctx: DataCallContext, input: { accountIds: string[] }): Promise<AccountBalances[]> {
    const wanted = new Set(input.accountIds);
    const calls = this.bulk('balances')
      ? [{ path: '/balances', scope: '*' }]
      : input.accountIds.map((id) => ({ path: `/accounts/${encodeURIComponent(id)}/balances`, scope: id }));
    const pages = (await Promise.all(calls.map((c) => this.fetchAll(ctx, c.path, ObReadBalance1, 'OBReadBalance1', { resource: 'balances', scope: c.scope })))).flat();
    const byAccount = mapOrInvalid(this.providerId, 'obie.balances', () => mapObieBalances(pages.flatMap((p) => p.Data.Balance), this.rules));
    return input.accountIds.filter((id) => wanted.has(id)).map((accountId) => ({ accountId, balances: byAccount.get(accountId) ?? [] }));
  }

  async getTransactions(ctx: DataCallContext, input: TransactionsQuery): Promise<AccountTransactions[]> {
    const pad = this.profile.transactionWindowPaddingDays;
    // OBIE: "the UTC ISO 8601 Date Time … if it contains a timezone, the ASPSP must ignore [it]".
    // Booking dates are local: the window is widened by a day each side, then cut to local dates.
    const query = new URLSearchParams({ fromBookingDateTime: `${addDays(input.from, -pad)}T00:00:00Z`, toBookingDateTime: `${addDays(input.to, pad)}T23:59:59Z` }).toString();
    const calls = this.bulk('transactions')
      ? [{ path: `/transactions?${query}`, scope: '*' }]
      : input.accountIds.map((id) => ({ path: `/accounts/${encodeURIComponent(id)}/transactions?${query}`, scope: id }));
    // Sequential: pages of one account must stay in the bank's order for occurrence numbering.
    const pages: ObReadTransaction6Page[] = [];
    for (const c of calls) pages.push(...(await this.fetchAll(ctx, c.path, ObReadTransaction6, 'OBReadTransaction6', { resource: 'transactions', scope: c.scope })));
    const byAccount = mapOrInvalid(this.providerId, 'obie.transactions', () => mapObieTransactions(pages.flatMap((p) => p.Data.Transaction ?? []), this.rules));
    const status = input.status ?? 'both';
    const keep = (t: Transaction) => t.bookingDate >= input.from && t.bookingDate <= input.to && (status === 'both' || t.status === status);
    return input.accountIds.map((accountId) => ({ accountId, transactions: (byAccount.get(accountId) ?? []).filter(keep) }));
  }

  async listStatements(ctx: DataCallContext, input: { accountId: string; from?: string; to?: string }): Promise<Statement[]> {
    const q = new URLSearchParams({ ...(input.from ? { fromStatementDateTime: `${addDays(input.from, -1)}T00:00:00Z` } : {}), ...(input.to ? { toStatementDateTime: `${addDays(input.to, 1)}T23:59:59Z` } : {}) }).toString();
    const pages = await this.fetchAll(ctx, `/accounts/${encodeURIComponent(input.accountId)}/statements${q ? `?${q}` : ''}`, ObReadStatement2, 'OBReadStatement2', { resource: 'statements', scope: input.accountId });
    return mapOrInvalid(this.providerId, 'obie.statements', () => pages.flatMap((p) => (p.Data.Statement ?? []).map(mapObieStatement)));
  }

  async getStatementTransactions(ctx: DataCallContext, input: { accountId: string; statementId: string }): Promise<Transaction[]> {
    const path = `/accounts/${encodeURIComponent(input.accountId)}/statements/${encodeURIComponent(input.statementId)}/transactions`;
    const pages = await this.fetchAll(ctx, path, ObReadTransaction6, 'OBReadTransaction6', { resource: 'statementTransactions', scope: input.accountId });
    return mapOrInvalid(this.providerId, 'obie.statementTransactions', () => mapObieTransactions(pages.flatMap((p) => p.Data.Transaction ?? []), this.rules).get(input.accountId) ?? []);
  }

  async getParties(ctx: DataCallContext, input: { accountId?: string }): Promise<Party[]> {
    const path = input.accountId ? `/accounts/${encodeURIComponent(input.accountId)}/party` : '/party';
    const pages = await this.fetchAll(ctx, path, ObReadParty2, 'OBReadParty2', { resource: 'party', scope: input.accountId ?? '*' });
    return mapOrInvalid(this.providerId, 'obie.party', () => pages.flatMap((p) => (p.Data.Party ? [mapObieParty(p.Data.Party)] : [])));
  }

  async listBeneficiaries(ctx: DataCallContext, input: { accountId: string }): Promise<Beneficiary[]> {
    const pages = await this.fetchAll(ctx, `/accounts/${encodeURIComponent(input.accountId)}/beneficiaries`, ObReadBeneficiary5, 'OBReadBeneficiary5', { resource: 'beneficiaries', scope: input.accountId });
    return mapOrInvalid(this.providerId, 'obie.beneficiaries', () => pages.flatMap((p) => (p.Data.Beneficiary ?? []).map(mapObieBeneficiary)));
  }

  async listStandingOrders(ctx: DataCallContext, input: { accountId: string }): Promise<StandingOrder[]> {
    const pages = await this.fetchAll(ctx, `/accounts/${encodeURIComponent(input.accountId)}/standing-orders`, ObReadStandingOrder6, 'OBReadStandingOrder6', { resource: 'standingOrders', scope: input.accountId });
    return mapOrInvalid(this.providerId, 'obie.standingOrders', () => pages.flatMap((p) => (p.Data.StandingOrder ?? []).map(mapObieStandingOrder)));
  }

  async listDirectDebits(ctx: DataCallContext, input: { accountId: string }): Promise<DirectDebit[]> {
    const pages = await this.fetchAll(ctx, `/accounts/${encodeURIComponent(input.accountId)}/direct-debits`, ObReadDirectDebit2, 'OBReadDirectDebit2', { resource: 'directDebits', scope: input.accountId });
    return mapOrInvalid(this.providerId, 'obie.directDebits', () => pages.flatMap((p) => (p.Data.DirectDebit ?? []).map(mapObieDirectDebit)));
  }

  async listScheduledPayments(ctx: DataCallContext, input: { accountId: string }): Promise<ScheduledPayment[]> {
    const pages = await this.fetchAll(ctx, `/accounts/${encodeURIComponent(input.accountId)}/scheduled-payments`, ObReadScheduledPayment3, 'OBReadScheduledPayment3', {
      resource: 'scheduledPayments',
      scope: input.accountId,
    });
    return mapOrInvalid(this.providerId, 'obie.scheduledPayments', () => pages.flatMap((p) => (p.Data.ScheduledPayment ?? []).map(mapObieScheduledPayment)));
  }
}

function isoSeconds(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', '+00:00');
}

/** Local midnight of `date` in the bank's zone as an ISO instant (plus `offsetSeconds`). */
function localMidnightIso(date: string, timeZone: string, offsetSeconds = 0): string {
  return isoSeconds(startOfLocalDate(date, timeZone).getTime() + offsetSeconds * 1000);
}
