import { importJWK } from 'jose';
import * as oidc from 'openid-client';
import type { ClientAuthMethod, ProviderRegistration } from '../connector.js';

export const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** Lifetime of a private_key_jwt assertion (RFC 7523: short, single use through its jti). */
const ASSERTION_SECONDS = 300;

/**
 * Client authentication at a token endpoint (RFC 6749, RFC 7523, RFC 8705) as an openid-client
 * `ClientAuth`: client_secret_basic, client_secret_post, private_key_jwt (a signed, single-use
 * assertion whose audience is `audience`: the token endpoint, RFC 7523 §3) and tls_client_auth (the
 * mTLS certificate is the credential; the request goes over mutual TLS).
 */
export async function clientAuthentication(
  registration: Pick<ProviderRegistration, 'clientId' | 'clientSecret' | 'signingKey' | 'tokenEndpointAuthMethod'>,
  audience: string,
  method: ClientAuthMethod = registration.tokenEndpointAuthMethod,
): Promise<oidc.ClientAuth> {
  switch (method) {
    case 'client_secret_basic':
      if (!registration.clientSecret) throw new Error('client_secret_basic needs a client secret');
      return oidc.ClientSecretBasic(registration.clientSecret);
    case 'client_secret_post':
      if (!registration.clientSecret) throw new Error('client_secret_post needs a client secret');
      return oidc.ClientSecretPost(registration.clientSecret);
    case 'private_key_jwt': {
      const key = (await importJWK(registration.signingKey.privateJwk, registration.signingKey.alg)) as oidc.CryptoKey;
      return oidc.PrivateKeyJwt(
        { key, kid: registration.signingKey.kid },
        {
          [oidc.modifyAssertion]: (header, payload) => {
            header.typ = 'JWT';
            payload.aud = audience;
            if (typeof payload.iat === 'number') payload.exp = payload.iat + ASSERTION_SECONDS;
          },
        },
      );
    }
    case 'tls_client_auth':
      return oidc.TlsClientAuth();
    case 'none':
      return oidc.None();
  }
}
