import { Body, Controller, Get, Header, HttpCode, Post, Req } from '@nestjs/common';
import {
  ApiBody,
  ApiOkResponse,
  ApiOperation,
  ApiProperty,
  ApiPropertyOptional,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { AppError } from '@ais/domain';
import {
  AccessTokensService,
  CLIENT_FAILURE_LIMIT,
  CredentialThrottle,
  SOURCE_FAILURE_LIMIT,
  SigningKeysService,
  TenantAuthService,
  type ThrottleDecision,
} from '@ais/auth';

/** A public key of the gateway's access tokens (RFC 7517): EC keys have crv/x/y, RSA keys n/e. */
class JwkView {
  @ApiProperty({ example: 'EC' }) kty!: string;
  @ApiProperty() kid!: string;
  @ApiProperty({ example: 'ES256' }) alg!: string;
  @ApiProperty({ enum: ['sig'] }) use!: 'sig';
  @ApiPropertyOptional() crv?: string;
  @ApiPropertyOptional() x?: string;
  @ApiPropertyOptional() y?: string;
  @ApiPropertyOptional() n?: string;
  @ApiPropertyOptional() e?: string;
}

class JwksView {
  @ApiProperty({ type: [JwkView] }) keys!: JwkView[];
}

class TokenResponse {
  @ApiProperty() access_token!: string;
  @ApiProperty({ enum: ['Bearer'] }) token_type!: 'Bearer';
  @ApiProperty() expires_in!: number;
}

/** RFC 6749 error fields alongside problem+json, so OAuth libraries and humans both understand. */
function oauthError(
  code: 'invalid_request' | 'invalid_client' | 'unsupported_grant_type',
  description: string,
): AppError {
  const appCode = code === 'invalid_client' ? 'unauthorized' : 'validation_failed';
  return new AppError(appCode, description, { error: code, error_description: description });
}

/** Too many failed attempts for this client id or from this address: 429 rate_limited with Retry-After. */
function throttled(decision: Extract<ThrottleDecision, { allowed: false }>): AppError {
  const seconds = Math.max(1, Math.ceil(decision.retryAfterMs / 1000));
  const description =
    decision.scope === 'client'
      ? `Too many failed attempts for this client_id; try again in ${seconds} s.`
      : `Too many failed client authentications from this address; try again in ${seconds} s.`;
  return new AppError('rate_limited', description, {
    retryAfterSeconds: seconds,
    error: 'temporarily_unavailable',
    error_description: description,
  });
}

const perWindow = (limit: { attempts: number; windowMs: number }) =>
  `${limit.attempts} per ${limit.windowMs / 60_000} minutes`;

function basicCredentials(header: unknown): { id: string; secret: string } | null {
  if (typeof header !== 'string' || !/^Basic\s+/i.test(header)) return null;
  const decoded = Buffer.from(header.replace(/^Basic\s+/i, ''), 'base64').toString('utf8');
  const idx = decoded.indexOf(':');
  if (idx <= 0) return null;
  return { id: decodeURIComponent(decoded.slice(0, idx)), secret: decodeURIComponent(decoded.slice(idx + 1)) };
}

@ApiTags('Auth')
@Controller()
export class OAuthController {
  constructor(
    private readonly auth: TenantAuthService,
    private readonly tokens: AccessTokensService,
    private readonly keys: SigningKeysService,
    private readonly throttle: CredentialThrottle,
  ) {}

  @Post('v1/oauth/token')
  @HttpCode(200)
  @Header('cache-control', 'no-store')
  @ApiOperation({
    summary: 'client_credentials grant: client_id/client_secret in the body (form or JSON) or HTTP Basic.',
  })
  @ApiBody({
    schema: {
      type: 'object',
      properties: {
        grant_type: { enum: ['client_credentials'] },
        client_id: { type: 'string' },
        client_secret: { type: 'string' },
      },
    },
  })
  @ApiOkResponse({ type: TokenResponse })
  @ApiUnauthorizedResponse({
    description: 'invalid_client: unknown client_id or wrong client_secret (a failed attempt).',
  })
  @ApiTooManyRequestsResponse({
    description:
      `rate_limited (RFC 6749 error temporarily_unavailable): too many failed attempts for this client_id ` +
      `(${perWindow(CLIENT_FAILURE_LIMIT)}; then every attempt for it, right secret or not, until Retry-After) ` +
      `or from this address (${perWindow(SOURCE_FAILURE_LIMIT)}, IPv6 by /64). Other client ids are not affected ` +
      `by one client id's failures until the address's limit.`,
    headers: {
      'Retry-After': { description: 'Seconds until the next attempt may be made.', schema: { type: 'integer' } },
    },
  })
  async token(@Body() body: unknown, @Req() req: FastifyRequest): Promise<TokenResponse> {
    const form = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
    const allowed = new Set(['grant_type', 'client_id', 'client_secret', 'scope']);
    const unknown = Object.keys(form).filter((k) => !allowed.has(k));
    if (unknown.length > 0) throw oauthError('invalid_request', `Unknown parameter(s): ${unknown.join(', ')}.`);
    if (form['grant_type'] !== 'client_credentials') {
      throw form['grant_type'] === undefined
        ? oauthError('invalid_request', 'grant_type is required.')
        : oauthError('unsupported_grant_type', 'Only grant_type=client_credentials is supported.');
    }
    const basic = basicCredentials(req.headers.authorization);
    const bodyId = typeof form['client_id'] === 'string' ? form['client_id'] : undefined;
    const bodySecret = typeof form['client_secret'] === 'string' ? form['client_secret'] : undefined;
    if (basic && (bodyId || bodySecret))
      throw oauthError('invalid_request', 'Send client credentials either with HTTP Basic or in the body, not both.');
    const id = basic?.id ?? bodyId;
    const secret = basic?.secret ?? bodySecret;
    if (!id || !secret) throw oauthError('invalid_request', 'client_id and client_secret are required.');
    // Before the secret is looked at: a throttled attempt costs one Redis call and is not counted again.
    // req.ip is the client's address (X-Forwarded-For only with TRUST_PROXY).
    const decision = await this.throttle.check(id, req.ip);
    if (!decision.allowed) throw throttled(decision);
    let principal;
    try {
      principal = await this.auth.authenticateClient(id, secret);
    } catch (error) {
      if (error instanceof AppError && error.code === 'unauthorized') {
        await this.throttle.recordFailure(id, req.ip);
        throw oauthError('invalid_client', 'Unknown client or wrong client secret.');
      }
      throw error;
    }
    const { accessToken, expiresIn } = await this.tokens.issue({
      tenantId: principal.tenantId,
      credentialId: principal.credentialId,
      clientId: principal.clientId,
    });
    return { access_token: accessToken, token_type: 'Bearer', expires_in: expiresIn };
  }

  @Get('.well-known/jwks.json')
  @Header('cache-control', 'public, max-age=300')
  @ApiOperation({ summary: 'Public keys that verify the gateway’s access tokens.' })
  @ApiOkResponse({ type: JwksView })
  jwks() {
    return this.keys.jwks();
  }
}
