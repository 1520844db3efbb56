import { randomUUID } from 'node:crypto';
import { importJWK, SignJWT } from 'jose';
import type { ClientAuthMethod, ProviderRegistration } from '../connector.js';

export const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** How a token request authenticates the client: headers, form fields, and whether to use mTLS. */
export interface ClientAuthentication {
  headers: Record<string, string>;
  form: Record<string, string>;
  mtls: boolean;
}

/** RFC 6749 §2.3.1: id and secret are form-urlencoded before Basic encoding. */
function basic(clientId: string, secret: string): string {
  const enc = (s: string) => encodeURIComponent(s).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${enc(clientId)}:${enc(secret)}`).toString('base64')}`;
}

/**
 * Client authentication at a token endpoint (RFC 6749, RFC 7523, RFC 8705):
 * client_secret_basic, client_secret_post, private_key_jwt (a signed, single-use assertion whose
 * audience is the token endpoint) and tls_client_auth (the mTLS certificate is the credential).
 */
export async function clientAuthentication(
  registration: Pick<ProviderRegistration, 'clientId' | 'clientSecret' | 'signingKey' | 'tokenEndpointAuthMethod'>,
  tokenEndpoint: string,
  method: ClientAuthMethod = registration.tokenEndpointAuthMethod,
  now: Date = new Date(),
): Promise<ClientAuthentication> {
  switch (method) {
    case 'client_secret_basic':
      if (!registration.clientSecret) throw new Error('client_secret_basic needs a client secret');
      return { headers: { authorization: basic(registration.clientId, registration.clientSecret) }, form: {}, mtls: false };
    case 'client_secret_post':
      if (!registration.clientSecret) throw new Error('client_secret_post needs a client secret');
      return { headers: {}, form: { client_id: registration.clientId, client_secret: registration.clientSecret }, mtls: false };
    case 'private_key_jwt': {
      const key = await importJWK(registration.signingKey.privateJwk, registration.signingKey.alg);
      const iat = Math.floor(now.getTime() / 1000);
      const assertion = await new SignJWT({})
        .setProtectedHeader({ alg: registration.signingKey.alg, kid: registration.signingKey.kid, typ: 'JWT' })
        .setIssuer(registration.clientId)
        .setSubject(registration.clientId)
        .setAudience(tokenEndpoint)
        .setIssuedAt(iat)
        .setExpirationTime(iat + 300)
        .setJti(randomUUID())
        .sign(key);
      return { headers: {}, form: { client_id: registration.clientId, client_assertion_type: CLIENT_ASSERTION_TYPE, client_assertion: assertion }, mtls: false };
    }
    case 'tls_client_auth':
      return { headers: {}, form: { client_id: registration.clientId }, mtls: true };
    case 'none':
      return { headers: {}, form: { client_id: registration.clientId }, mtls: false };
  }
}
