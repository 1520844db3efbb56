import type { AppError } from '@ais/domain';
import type { JSONWebKeySet } from 'jose';
import { bankError } from '../bank-error.js';
import type { ClientAuthMethod, ProviderRegistration } from '../connector.js';
import type { BankHttpClient } from '../http/bank-http-client.js';
import { mapOrInvalid, parseJson, validateWire } from '../mapping.js';
import { parseOAuthError } from '../obie/obie.errors.js';
import { ServerMetadata, TokenResponse } from '../obie/obie.wire.js';
import { clientAuthentication } from './client-auth.js';

/**
 * Talks to one bank's OAuth 2.0 / OIDC authorisation server: metadata (discovery or configured),
 * JWKS, and token requests with any of the four client authentication methods.
 */
export class AuthorisationServer {
  private metadata: Promise<ServerMetadata> | undefined;
  private jwks: { keys: JSONWebKeySet; fetchedAt: number } | undefined;

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
    if (!this.source.discoveryUrl) return validateWire(ServerMetadata, this.source.configured ?? {}, 'configured authorisation server metadata');
    const res = await this.http.send({ method: 'GET', url: this.source.discoveryUrl, idempotent: true, operation: 'oidc.discovery', headers: { accept: 'application/json' } });
    if (res.status !== 200) throw parseOAuthError(this.providerId, 'oidc.discovery', res, this.now());
    return mapOrInvalid(this.providerId, 'oidc.discovery', () => ({ ...validateWire(ServerMetadata, parseJson(res.text), 'discovery document'), ...(this.source.configured ?? {}) }), res.text);
  }

  /** The bank's signing keys; refetched when a kid is unknown (key rotation), at most once a minute. */
  async getJwks(forceRefresh = false): Promise<JSONWebKeySet> {
    const fresh = this.jwks && this.now().getTime() - this.jwks.fetchedAt < 60_000;
    if (this.jwks && (!forceRefresh || fresh)) return this.jwks.keys;
    const meta = await this.getMetadata();
    if (!meta.jwks_uri) throw bankError('bank_invalid_response', 'The bank publishes no jwks_uri.', { providerId: this.providerId });
    const res = await this.http.send({ method: 'GET', url: meta.jwks_uri, idempotent: true, operation: 'oidc.jwks', headers: { accept: 'application/json' } });
    if (res.status !== 200) throw parseOAuthError(this.providerId, 'oidc.jwks', res, this.now());
    const keys = mapOrInvalid(this.providerId, 'oidc.jwks', () => {
      const body = parseJson(res.text) as JSONWebKeySet;
      if (!body || !Array.isArray(body.keys)) throw new Error('not a JWK set');
      return body;
    });
    this.jwks = { keys, fetchedAt: this.now().getTime() };
    return keys;
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

  /**
   * A token request. Token requests are not retried blindly: an authorization code is single use,
   * so only a connection that was refused outright is tried again.
   */
  async token(
    registration: ProviderRegistration,
    form: Record<string, string>,
    operation: string,
    options: { tokenEndpoint?: string; onError?: (res: { status: number; text: string }) => AppError | undefined } = {},
  ): Promise<TokenResponse> {
    const method = registration.tokenEndpointAuthMethod;
    const endpoint = options.tokenEndpoint ? { url: options.tokenEndpoint, mtls: method === 'tls_client_auth' } : await this.tokenEndpoint(method, Boolean(registration.transport));
    const meta = await this.getMetadata();
    // private_key_jwt audience: the token endpoint (RFC 7523); banks also accept the issuer.
    const auth = await clientAuthentication(registration, method === 'private_key_jwt' ? meta.token_endpoint : endpoint.url, method, this.now());
    const body = new URLSearchParams({ ...form, ...auth.form }).toString();
    const res = await this.http.send({
      method: 'POST',
      url: endpoint.url,
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', ...auth.headers },
      body,
      idempotent: false,
      mtls: endpoint.mtls || auth.mtls,
      operation,
    });
    if (res.status !== 200) throw options.onError?.(res) ?? parseOAuthError(this.providerId, operation, res, this.now());
    return mapOrInvalid(this.providerId, operation, () => validateWire(TokenResponse, parseJson(res.text), 'token response'));
  }
}
