import type { AppError } from '@ais/domain';
import * as oidc from 'openid-client';
import { bankError } from '../bank-error.js';
import type { ClientAuthMethod, ProviderRegistration } from '../connector.js';
import type { BankHttpClient, BankResponse } from '../http/bank-http-client.js';
import { mapOrInvalid, parseJson, validateWire } from '../mapping.js';
import { bankFetch, type Exchange } from './bank-fetch.js';
import { clientAuthentication } from './client-auth.js';
import { checkAccessTokenHash, IdTokenError, idTokenRejected, unverifiedClaims } from './id-token.js';
import { parseOAuthError } from './oauth.errors.js';
import { ServerMetadata, TokenResponse } from './oauth.wire.js';

export interface TokenRequestOptions {
  /** Name for logs, metrics and errors: `obie.exchangeCode`. */
  operation: string;
  /** The token endpoint the authorisation session was started with (else the metadata's). */
  tokenEndpoint?: string;
  /** A refused token request the caller reads itself (undefined: the OAuth error parser decides). */
  onError?: (res: BankResponse) => AppError | undefined;
}

export interface CodeGrantInput extends TokenRequestOptions {
  /** What came back on the redirect (state already checked against the session). */
  callback: { code: string; state: string; id_token?: string };
  redirectUri: string;
  codeVerifier?: string;
  /** The nonce sent: an id_token carrying it is then expected from the token endpoint. */
  nonce?: string;
  /** The issuer the session was started with (the id_token's `iss`); default: the metadata's. */
  issuer?: string;
  /** Signing algorithms accepted for id_tokens (the bank profile's). */
  idTokenAlgorithms?: string[];
  /**
   * OIDC hybrid flow (`code id_token`): the front-channel id_token is verified before the code is
   * exchanged (signature, nonce, c_hash); `detachedSignature` (FAPI 1.0 Advanced) also requires s_hash.
   */
  hybrid?: { detachedSignature: boolean };
  /** What the standard asks of the id_token's claims besides OIDC (throws IdTokenError). */
  checkClaims?: (claims: Record<string, unknown>) => void;
  /** Names the id_token check in errors: `obie.verifyIdToken`. */
  idTokenOperation: string;
}

export interface CodeGrant {
  token: TokenResponse;
  /** The token endpoint id_token's claims, verified (signature included), or null without one. */
  claims: Record<string, unknown> | null;
}

/** id_tokens are accepted up to a minute off (bank clocks drift). */
const CLOCK_TOLERANCE_SECONDS = 60;
/** Discovery runs before the gateway has a client at the bank. */
const UNREGISTERED = 'unregistered';

function insecure(url: string | undefined): boolean {
  return typeof url === 'string' && url.startsWith('http:');
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? error.cause.message : undefined;
  return cause && cause !== error.message ? `${error.message}: ${cause}` : error.message;
}

/**
 * One bank's OAuth 2.0 / OIDC authorisation server, on openid-client: metadata (discovery, or the
 * configured endpoints), the client_credentials, authorization_code (PKCE, OIDC hybrid with detached
 * signature) and refresh_token grants with any client authentication method, and id_token validation
 * (signature against the bank's JWKS, issuer, audience, expiry, nonce, c_hash, s_hash, at_hash).
 * Every request goes through the provider's BankHttpClient (openid-client's customFetch): timeouts,
 * retries, the circuit breaker, rate limits, mTLS agents and the conformance observer all apply.
 */
export class AuthorisationServer {
  private metadata: Promise<ServerMetadata> | undefined;
  private jwksCache: oidc.ExportedJWKSCache | undefined;

  constructor(
    private readonly http: BankHttpClient,
    private readonly source: { discoveryUrl?: string; configured?: Partial<ServerMetadata> },
    private readonly now: () => Date,
  ) {}

  private get providerId(): string {
    return this.http.providerId;
  }

  async getMetadata(): Promise<ServerMetadata> {
    this.metadata ??= this.loadMetadata().catch((e: unknown) => {
      this.metadata = undefined;
      throw e;
    });
    return this.metadata;
  }

  private async loadMetadata(): Promise<ServerMetadata> {
    const { discoveryUrl, configured = {} } = this.source;
    if (!discoveryUrl) return validateWire(ServerMetadata, configured, 'configured authorisation server metadata');
    const exchange: Exchange = {};
    try {
      await oidc.discovery(new URL(discoveryUrl), UNREGISTERED, undefined, undefined, {
        [oidc.customFetch]: bankFetch(this.http, exchange, () => ({
          operation: 'oidc.discovery',
          idempotent: true,
          mtls: false,
          record: 'metadata',
        })),
        execute: insecure(discoveryUrl) ? [oidc.allowInsecureRequests] : [],
      });
    } catch (error) {
      throw this.failure(error, exchange, 'oidc.discovery');
    }
    const text = exchange.metadata?.text ?? '';
    return mapOrInvalid(
      this.providerId,
      'oidc.discovery',
      () => ({ ...validateWire(ServerMetadata, parseJson(text), 'discovery document'), ...configured }),
      text,
    );
  }

  /**
   * The token endpoint to use: the mTLS alias (RFC 8705 §5) when the client authenticates with its
   * certificate, or when it holds a transport certificate and the bank binds tokens to it.
   */
  async tokenEndpoint(method: ClientAuthMethod, hasCertificate = false): Promise<{ url: string; mtls: boolean }> {
    const meta = await this.getMetadata();
    const alias = meta.mtls_endpoint_aliases?.token_endpoint;
    if (method === 'tls_client_auth') return { url: alias ?? meta.token_endpoint, mtls: true };
    if (hasCertificate && alias && meta.tls_client_certificate_bound_access_tokens) return { url: alias, mtls: true };
    return { url: meta.token_endpoint, mtls: false };
  }

  /** The authorisation request URL on the bank's authorization endpoint (RFC 6749 §4.1.1). */
  async authorizationUrl(clientId: string, parameters: Record<string, string>): Promise<string> {
    const meta = await this.getMetadata();
    const config = new oidc.Configuration(meta as oidc.ServerMetadata, clientId);
    if (insecure(meta.authorization_endpoint)) oidc.allowInsecureRequests(config);
    return oidc.buildAuthorizationUrl(config, parameters).toString();
  }

  async clientCredentials(
    registration: ProviderRegistration,
    scope: string,
    operation: string,
  ): Promise<TokenResponse> {
    return (await this.grant(registration, { operation }, (config) => oidc.clientCredentialsGrant(config, { scope })))
      .token;
  }

  async refresh(
    registration: ProviderRegistration,
    refreshToken: string,
    options: TokenRequestOptions,
  ): Promise<TokenResponse> {
    return (await this.grant(registration, options, (config) => oidc.refreshTokenGrant(config, refreshToken))).token;
  }

  /**
   * The authorization_code grant for a redirect whose state the caller has matched to its session.
   * An id_token that fails validation is bank_invalid_response (`idTokenOperation` in its detail).
   */
  async authorizationCode(registration: ProviderRegistration, input: CodeGrantInput): Promise<CodeGrant> {
    try {
      return await this.codeGrant(registration, input);
    } catch (error) {
      if (error instanceof IdTokenError) throw idTokenRejected(this.providerId, input.idTokenOperation, error);
      throw error;
    }
  }

  private async codeGrant(registration: ProviderRegistration, input: CodeGrantInput): Promise<CodeGrant> {
    const { callback } = input;
    const current = new URL(input.redirectUri);
    if (input.hybrid) {
      if (!callback.id_token) throw new IdTokenError('the hybrid-flow redirect carries no id_token');
      // Refused before the code is spent; openid-client verifies this same token's signature next.
      input.checkClaims?.(unverifiedClaims(callback.id_token) ?? {});
      current.hash = new URLSearchParams({
        code: callback.code,
        state: callback.state,
        id_token: callback.id_token,
      }).toString();
    } else {
      current.searchParams.set('code', callback.code);
      current.searchParams.set('state', callback.state);
    }
    const checks: oidc.AuthorizationCodeGrantChecks = {
      expectedState: callback.state,
      ...(input.codeVerifier ? { pkceCodeVerifier: input.codeVerifier } : {}),
      ...(input.nonce !== undefined ? { expectedNonce: input.nonce } : {}),
    };
    const grant = await this.grant(
      registration,
      input,
      (config) => oidc.authorizationCodeGrant(config, current, checks),
      {
        issuer: input.issuer,
        algorithms: input.idTokenAlgorithms,
        hybrid: input.hybrid,
      },
    );
    if (grant.token.id_token) checkAccessTokenHash(grant.token.id_token, grant.token.access_token);
    if (grant.claims) input.checkClaims?.(grant.claims);
    return grant;
  }

  /**
   * One token request on a Configuration made for it: the endpoint (mTLS alias or not), the client
   * authentication and the id_token expectations differ per call; the JWKS cache carries over.
   */
  private async grant(
    registration: ProviderRegistration,
    options: TokenRequestOptions,
    run: (config: oidc.Configuration) => Promise<oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers>,
    idToken?: { issuer?: string; algorithms?: string[]; hybrid?: { detachedSignature: boolean } },
  ): Promise<CodeGrant> {
    const meta = await this.getMetadata();
    const method = registration.tokenEndpointAuthMethod;
    const endpoint = options.tokenEndpoint
      ? { url: options.tokenEndpoint, mtls: method === 'tls_client_auth' }
      : await this.tokenEndpoint(method, Boolean(registration.transport));
    // private_key_jwt audience: the token endpoint as the bank names it (RFC 7523), never the alias.
    const auth = await clientAuthentication(registration, meta.token_endpoint, method);
    const server = {
      ...(meta as oidc.ServerMetadata),
      issuer: idToken?.issuer || meta.issuer,
      token_endpoint: endpoint.url,
      // The redirect's parameters reach the connector one by one (code, state, id_token), never `iss`.
      authorization_response_iss_parameter_supported: false,
      ...(idToken?.algorithms ? { id_token_signing_alg_values_supported: idToken.algorithms } : {}),
    } satisfies oidc.ServerMetadata;
    const skew = Math.round((this.now().getTime() - Date.now()) / 1000);
    const config = new oidc.Configuration(
      server,
      registration.clientId,
      { [oidc.clockSkew]: skew, [oidc.clockTolerance]: CLOCK_TOLERANCE_SECONDS },
      auth,
    );
    if ([endpoint.url, server.jwks_uri].some(insecure)) oidc.allowInsecureRequests(config);
    if (this.jwksCache) oidc.setJwksCache(config, this.jwksCache);
    if (idToken) oidc.enableNonRepudiationChecks(config);
    if (idToken?.hybrid) {
      oidc.useCodeIdTokenResponseType(config);
      if (idToken.hybrid.detachedSignature) oidc.enableDetachedSignatureResponseChecks(config);
    }
    const exchange: Exchange = {};
    config[oidc.customFetch] = bankFetch(this.http, exchange, (httpMethod) =>
      httpMethod === 'GET'
        ? { operation: 'oidc.jwks', idempotent: true, mtls: false, record: 'jwks' }
        : // Not retried blindly: an authorization code is single use (a refused connection is retried).
          {
            operation: options.operation,
            idempotent: false,
            mtls: endpoint.mtls || method === 'tls_client_auth',
            record: 'token',
          },
    );
    let result: oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers;
    try {
      result = await run(config);
    } catch (error) {
      throw this.failure(error, exchange, options.operation, options.onError, Boolean(idToken?.hybrid));
    } finally {
      this.jwksCache = oidc.getJwksCache(config) ?? this.jwksCache;
    }
    const token = this.tokenResponse(exchange.token, options.operation);
    return { token, claims: (result.claims() as Record<string, unknown> | undefined) ?? null };
  }

  private tokenResponse(res: BankResponse | undefined, operation: string): TokenResponse {
    return mapOrInvalid(this.providerId, operation, () =>
      validateWire(TokenResponse, parseJson(res?.text ?? ''), 'token response'),
    );
  }

  /**
   * What a failed openid-client operation means, from what the bank actually answered: the HTTP
   * client's error, an OAuth error response, a token response that breaks the standard, or an
   * id_token that fails validation (IdTokenError: the caller says which operation it belongs to).
   */
  private failure(
    error: unknown,
    exchange: Exchange,
    operation: string,
    onError?: TokenRequestOptions['onError'],
    hybrid = false,
  ): unknown {
    if (exchange.failure !== undefined) return exchange.failure;
    const now = this.now();
    if (exchange.metadata && exchange.metadata.status !== 200)
      return parseOAuthError(this.providerId, 'oidc.discovery', exchange.metadata, now);
    if (exchange.jwks && exchange.jwks.status !== 200)
      return parseOAuthError(this.providerId, 'oidc.jwks', exchange.jwks, now);
    if (exchange.token && exchange.token.status !== 200)
      return onError?.(exchange.token) ?? parseOAuthError(this.providerId, operation, exchange.token, now);
    const invalid = (body?: unknown) =>
      bankError('bank_invalid_response', 'The bank sent a response that does not follow its API standard.', {
        providerId: this.providerId,
        detail: { operation, cause: describe(error), body },
      });
    if (exchange.metadata) return invalid(exchange.metadata.text);
    if (exchange.token) {
      let token: TokenResponse;
      try {
        token = this.tokenResponse(exchange.token, operation);
      } catch (e) {
        return e;
      }
      return token.id_token ? new IdTokenError(`id_token rejected: ${describe(error)}`) : invalid();
    }
    // Nothing reached the token endpoint: the front-channel id_token of the hybrid flow was refused.
    if (hybrid) return new IdTokenError(`id_token rejected: ${describe(error)}`);
    return error instanceof IdTokenError || error instanceof TypeError ? error : invalid();
  }
}
