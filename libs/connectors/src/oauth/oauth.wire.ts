import { z } from 'zod';

/**
 * OAuth 2.0 / OIDC wire types every standard shares: the token response (RFC 6749 §5.1) and the
 * authorisation server metadata (OIDC Discovery, RFC 8414). openid-client checks the protocol; these
 * schemas keep what the connectors read from the responses as strict as the standards' own types.
 */

/** OAuth 2.0 token response (RFC 6749 §5.1). */
export const TokenResponse = z
  .object({
    access_token: z.string().min(1),
    token_type: z.string().min(1),
    expires_in: z.number().int().positive().optional(),
    refresh_token: z.string().min(1).optional(),
    refresh_token_expires_in: z.number().int().positive().optional(),
    scope: z.string().optional(),
    id_token: z.string().optional(),
  })
  .loose();
export type TokenResponse = z.infer<typeof TokenResponse>;

/** OIDC discovery / RFC 8414 authorisation server metadata (the fields we use). */
export const ServerMetadata = z
  .object({
    issuer: z.string().min(1),
    authorization_endpoint: z.string().min(1),
    token_endpoint: z.string().min(1),
    jwks_uri: z.string().optional(),
    registration_endpoint: z.string().optional(),
    token_endpoint_auth_methods_supported: z.array(z.string()).optional(),
    id_token_signing_alg_values_supported: z.array(z.string()).optional(),
    request_object_signing_alg_values_supported: z.array(z.string()).optional(),
    response_types_supported: z.array(z.string()).optional(),
    code_challenge_methods_supported: z.array(z.string()).optional(),
    tls_client_certificate_bound_access_tokens: z.boolean().optional(),
    mtls_endpoint_aliases: z.record(z.string(), z.string()).optional(),
  })
  .loose();
export type ServerMetadata = z.infer<typeof ServerMetadata>;
