import type { JWK } from 'jose';
import { AppError } from '@ais/domain';
import type { ClientAuthMethod, OnboardInput, ProviderRegistration } from '../connector.js';
import type { BankHttpClient, BankResponse } from '../http/bank-http-client.js';
import { mapOrInvalid, parseJson } from '../mapping.js';
import { publicJwk } from './jwk.js';
import { parseOAuthError } from './oauth.errors.js';

/** The token endpoint auth method to register: configured, asked for, or the bank's preferred; one it supports. */
export function registrationMethod(
  input: OnboardInput,
  bank: { name: string; supportedAuthMethods: ClientAuthMethod[]; preferredAuthMethod: ClientAuthMethod },
  listSupported = false,
): ClientAuthMethod {
  const method = input.configured?.tokenEndpointAuthMethod ?? input.tokenEndpointAuthMethod ?? bank.preferredAuthMethod;
  if (!bank.supportedAuthMethods.includes(method)) {
    throw new AppError(
      'validation_failed',
      `${bank.name} does not support ${method}${listSupported ? `; it supports ${bank.supportedAuthMethods.join(', ')}` : ''}.`,
    );
  }
  return method;
}

/** Credentials issued out of band, used as they are. */
export function configuredRegistration(
  providerId: string,
  input: OnboardInput & { configured: NonNullable<OnboardInput['configured']> },
  method: ClientAuthMethod,
): ProviderRegistration {
  return {
    providerId,
    clientId: input.configured.clientId,
    clientSecret: input.configured.clientSecret,
    tokenEndpointAuthMethod: method,
    redirectUris: input.redirectUris,
    signingKey: input.tpp.signingKey,
    transport: input.tpp.transport,
    source: 'configured',
  };
}

/** A registration response (RFC 7591 §3.2.1): the client the bank made, or the bank's OAuth error. */
export function registeredClient(
  providerId: string,
  operation: string,
  res: BankResponse,
  now: Date,
): Record<string, unknown> & { client_id: string } {
  if (res.status !== 201 && res.status !== 200) throw parseOAuthError(providerId, operation, res, now);
  return mapOrInvalid(providerId, operation, () => {
    const b = parseJson(res.text) as Record<string, unknown>;
    if (typeof b?.client_id !== 'string') throw new Error('registration response has no client_id');
    return b as Record<string, unknown> & { client_id: string };
  });
}

/** The gateway's client at the bank, from the bank's registration response. */
export function registrationOf(
  providerId: string,
  client: Record<string, unknown> & { client_id: string },
  input: OnboardInput,
  method: ClientAuthMethod,
  source: 'dcr' | 'developer_portal',
): ProviderRegistration {
  const text = (v: unknown) => (typeof v === 'string' ? v : undefined);
  return {
    providerId,
    clientId: client.client_id,
    clientSecret: text(client.client_secret),
    tokenEndpointAuthMethod: method,
    redirectUris: input.redirectUris,
    signingKey: input.tpp.signingKey,
    transport: input.tpp.transport,
    ...(source === 'dcr'
      ? {
          registrationAccessToken: text(client.registration_access_token),
          registrationClientUri: text(client.registration_client_uri),
        }
      : {}),
    source,
    raw: client,
  };
}

/**
 * Registration at a bank's developer portal (the sandbox's POST /<bank>/sandbox/clients) for banks
 * without dynamic registration: client name, redirect URIs, the auth method and, where the bank
 * verifies client assertions, the TPP's public signing key.
 */
export async function registerAtPortal(
  http: BankHttpClient,
  request: { url: string; input: OnboardInput; method: ClientAuthMethod; withJwks: boolean; now: () => Date },
): Promise<ProviderRegistration> {
  const { input, method } = request;
  const key = input.tpp.signingKey;
  const jwks: { keys: JWK[] } | undefined = request.withJwks
    ? { keys: [publicJwk(key.privateJwk, key.kid, key.alg)] }
    : undefined;
  const res = await http.send({
    method: 'POST',
    url: request.url,
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({
      client_name: input.tpp.clientName,
      redirect_uris: input.redirectUris,
      ...(jwks ? { jwks } : {}),
      token_endpoint_auth_method: method,
    }),
    idempotent: false,
    operation: 'portal.register',
  });
  const out = registeredClient(http.providerId, 'portal.register', res, request.now());
  return registrationOf(http.providerId, out, input, method, 'developer_portal');
}
