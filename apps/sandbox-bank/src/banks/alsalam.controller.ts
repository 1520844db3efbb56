import { randomBytes } from 'node:crypto';
import { All, Controller, Delete, Get, Param, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  escapeHtml,
  formOf,
  MalformedBody,
  OAuthError,
  query,
  sendHtml,
  sendJson,
  str,
  UnsupportedBody,
} from '../core/http.js';
import { ConsentPageController } from '../consent-page/consent-page.controller.js';
import { page } from '../consent-page/html.js';
import { ObieResources } from '../obie/obie-resources.js';
import type { ObieFlavour } from '../obie/obie.service.js';
import { OAuthService } from '../oauth/oauth.service.js';
import { SandboxContext, type BankRuntime } from '../sandbox-context.js';
import { onboardingSchema } from './onboarding.js';

/**
 * Al Salam Bank (seed 003): Bahrain Open Banking, OBIE 3.1-shaped. PingFederate-style token endpoint
 * `as/token.oauth2` with private_key_jwt; consent authorised on the bank's auth page (the consent's
 * Links.Self); bulk /balances and /transactions; the seed's wire quirks (README: Al Salam quirks).
 */
@Controller('alsalam')
export class AlSalamController {
  private readonly flavour: ObieFlavour = {
    quirks: true,
    resourceBase: '/alsalam',
    consentBase: '/alsalam/api/account-access-consents',
    maxConsentDays: null,
  };

  constructor(
    private readonly ctx: SandboxContext,
    private readonly oauth: OAuthService,
    private readonly resources: ObieResources,
  ) {}

  private get bank(): BankRuntime {
    return this.ctx.bank('alsalam');
  }

  private authpageUrl(id: string): string {
    return `${this.bank.baseUrl}/authpage/consentId/${id}`;
  }

  @Post('sandbox/clients')
  onboard(@Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    const parsed = onboardingSchema.safeParse(req.body);
    if (!parsed.success)
      return sendJson(reply, 400, {
        error: 'invalid_client_metadata',
        error_description: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
      });
    if (!parsed.data.jwks && !parsed.data.jwks_uri)
      return sendJson(reply, 400, {
        error: 'invalid_client_metadata',
        error_description: 'Al Salam authenticates clients with private_key_jwt: give jwks or jwks_uri',
      });
    if (parsed.data.token_endpoint_auth_method && parsed.data.token_endpoint_auth_method !== 'private_key_jwt') {
      return sendJson(reply, 400, {
        error: 'invalid_client_metadata',
        error_description: 'Al Salam supports private_key_jwt only',
      });
    }
    const clientId = `TPP${randomBytes(6).toString('hex').toUpperCase()}`;
    this.oauth.saveClient({
      clientId,
      bank: 'alsalam',
      name: parsed.data.client_name,
      redirectUris: parsed.data.redirect_uris,
      authMethod: 'private_key_jwt',
      jwks: parsed.data.jwks,
      jwksUri: parsed.data.jwks_uri,
      createdAt: Date.now(),
    });
    sendJson(reply, 201, {
      client_id: clientId,
      client_name: parsed.data.client_name,
      redirect_uris: parsed.data.redirect_uris,
      token_endpoint_auth_method: 'private_key_jwt',
      token_endpoint: `${this.bank.baseUrl}/as/token.oauth2`,
    });
  }

  /**
   * OIDC discovery, as an OBIE-shaped bank publishes it (the OBIE / FAPI security profile the Bahrain
   * framework follows). It is how a TPP learns the bank's issuer and token endpoint as the bank names
   * them: the `aud` of a client assertion and the `iss` of an id_token are these values, whatever
   * host name the TPP happens to reach the bank by. Authorisation itself starts at the consent's
   * Links.Self (an auth page under `authorization_endpoint`).
   */
  @Get('.well-known/openid-configuration')
  discovery(@Res() reply: FastifyReply) {
    const b = this.bank.baseUrl;
    sendJson(reply, 200, {
      issuer: this.bank.issuer,
      authorization_endpoint: `${b}/authpage`,
      token_endpoint: `${b}/as/token.oauth2`,
      jwks_uri: `${b}/jwks`,
      scopes_supported: ['openid', 'accounts'],
      response_types_supported: ['code'],
      grant_types_supported: ['client_credentials', 'authorization_code', 'refresh_token'],
      subject_types_supported: ['public'],
      token_endpoint_auth_methods_supported: ['private_key_jwt'],
      token_endpoint_auth_signing_alg_values_supported: ['PS256', 'RS256', 'ES256', 'RS512'],
      id_token_signing_alg_values_supported: [this.bank.signing.alg],
    });
  }

  @Get('jwks')
  jwks(@Res() reply: FastifyReply) {
    sendJson(reply, 200, { keys: [this.bank.signing.publicJwk] });
  }

  @Post('as/token.oauth2')
  token(@Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    return this.resources.run(
      this.bank,
      req,
      reply,
      async () => {
        void reply.header('cache-control', 'no-store');
        if (
          typeof req.body !== 'object' ||
          req.body === null ||
          req.body instanceof MalformedBody ||
          req.body instanceof UnsupportedBody
        )
          throw new OAuthError('invalid_request', 'Send application/x-www-form-urlencoded');
        const bank = this.bank;
        const form = formOf(req);
        const auth = await this.oauth.authenticate(
          bank,
          req,
          [`${bank.baseUrl}/as/token.oauth2`, bank.issuer],
          ['private_key_jwt'],
        );
        const ttl = this.oauth.accessTtlSeconds(bank);
        const grant = str(form.grant_type);
        if (grant === 'client_credentials') {
          const scope = str(form.scope) ?? 'accounts';
          if (!scope.split(' ').every((s) => s === 'accounts' || s === 'payments' || s === 'openid'))
            throw new OAuthError('invalid_scope', 'Allowed scopes: accounts');
          const t = this.oauth.issueToken(bank, {
            clientId: auth.client.clientId,
            kind: 'access',
            grant: 'client_credentials',
            scope,
            ttlSeconds: ttl,
            token: await this.jwtToken(auth.client.clientId, scope, ttl),
          });
          return { status: 200, body: { access_token: t.token, expires_in: ttl, token_type: 'bearer', scope } };
        }
        if (grant === 'authorization_code') {
          const code = this.oauth.takeCode(bank, str(form.code), auth.client.clientId);
          if (str(form.redirect_uri) !== undefined && str(form.redirect_uri) !== code.redirectUri)
            throw new OAuthError('invalid_grant', 'redirect_uri does not match');
          return { status: 200, body: await this.consentTokens(auth.client.clientId, code.consentId, code.nonce) };
        }
        if (grant === 'refresh_token') {
          const rt = this.oauth.refreshToken(bank, str(form.refresh_token), auth.client.clientId);
          const consent = this.ctx.store.consents.get(rt.consentId ?? '');
          if (!consent || consent.status !== 'Authorised' || (consent.expiresAt && consent.expiresAt <= bank.now()))
            throw new OAuthError('invalid_grant', 'The consent is no longer authorised');
          const t = this.oauth.issueToken(bank, {
            clientId: auth.client.clientId,
            kind: 'access',
            grant: 'authorization_code',
            consentId: consent.id,
            scope: 'accounts',
            ttlSeconds: ttl,
            token: await this.jwtToken(auth.client.clientId, 'accounts', ttl, consent.id),
          });
          return {
            status: 200,
            body: { access_token: t.token, expires_in: ttl, token_type: 'bearer', refresh_token: rt.token },
          };
        }
        throw new OAuthError(
          'unsupported_grant_type',
          'grant_type must be client_credentials, authorization_code or refresh_token',
        );
      },
      false,
    );
  }

  /** Seed 003 shows RS512-signed JWT access tokens (iss API_GW, consentId claim); the bank still checks its own records. */
  private async jwtToken(clientId: string, scope: string, ttl: number, consentId?: string): Promise<string> {
    const { SignJWT } = await import('jose');
    const claims: Record<string, unknown> = { scope, jti: randomBytes(12).toString('hex') };
    if (consentId) claims.consentId = consentId;
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS512', typ: 'JWT', kid: this.bank.signing.kid })
      .setSubject(clientId)
      .setIssuer('API_GW')
      .setIssuedAt()
      .setExpirationTime(Math.floor(Date.now() / 1000) + ttl)
      .sign(this.bank.signing.privateKey);
  }

  private async consentTokens(clientId: string, consentId: string, nonce?: string) {
    const bank = this.bank;
    const ttl = this.oauth.accessTtlSeconds(bank);
    const access = this.oauth.issueToken(bank, {
      clientId,
      kind: 'access',
      grant: 'authorization_code',
      consentId,
      scope: 'accounts',
      ttlSeconds: ttl,
      token: await this.jwtToken(clientId, 'accounts', ttl, consentId),
    });
    const consent = this.ctx.store.consents.get(consentId)!;
    const refreshTtl = Math.max(
      60,
      Math.floor(((consent.expiresAt ?? bank.now() + 365 * 86_400_000) - bank.now()) / 1000),
    );
    const refresh = this.oauth.issueToken(bank, {
      clientId,
      kind: 'refresh',
      grant: 'authorization_code',
      consentId,
      scope: 'accounts',
      ttlSeconds: refreshTtl,
    });
    const idToken = await this.oauth.idToken(bank, { clientId, consentId, nonce, accessToken: access.token });
    return {
      access_token: access.token,
      expires_in: ttl,
      token_type: 'bearer',
      refresh_token: refresh.token,
      id_token: idToken,
    };
  }

  /** The bank's auth page (the consent's Links.Self): ?client_id&redirect_uri&state[&nonce]. */
  @Get('authpage/consentId/:consentId')
  authpage(@Param('consentId') consentId: string, @Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    const q = query(req);
    const bank = this.bank;
    const errorPage = (msg: string) =>
      sendHtml(
        reply,
        400,
        page(bank.profile, 'Invalid request', `<h1>Invalid authorisation request</h1><p>${escapeHtml(msg)}</p>`),
      );
    const client = this.oauth.client('alsalam', q.client_id);
    if (!client) return errorPage('Unknown client_id');
    const redirectUri = q.redirect_uri ?? client.redirectUris[0];
    if (!client.redirectUris.includes(redirectUri)) return errorPage('redirect_uri is not registered for this client');
    const consent = this.ctx.store.consents.get(consentId);
    if (!consent || consent.bank !== 'alsalam' || consent.clientId !== client.clientId)
      return errorPage('Unknown consent');
    if (consent.status !== 'AwaitingAuthorisation') return errorPage(`The consent is ${consent.status}`);
    const location = ConsentPageController.start(this.ctx, {
      bank: 'alsalam',
      clientId: client.clientId,
      consentId,
      redirectUri,
      state: q.state,
      nonce: q.nonce,
      responseType: 'code',
      responseMode: 'query',
    });
    void reply.status(302).header('location', location).send();
  }

  @Post('api/account-access-consents')
  createConsent(@Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    return this.resources.createConsent(this.bank, this.flavour, req, reply, (id) => this.authpageUrl(id));
  }

  @Get('api/account-access-consents/:consentId')
  getConsent(@Param('consentId') id: string, @Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    return this.resources.getConsent(this.bank, this.flavour, req, reply, id, (cid) => this.authpageUrl(cid));
  }

  @Delete('api/account-access-consents/:consentId')
  deleteConsent(@Param('consentId') id: string, @Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    return this.resources.deleteConsent(this.bank, req, reply, id);
  }

  @Get('accounts')
  accounts(@Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    return this.resources.accounts(this.bank, this.flavour, req, reply);
  }

  @Get('accounts/:accountId')
  account(@Param('accountId') id: string, @Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    return this.resources.accounts(this.bank, this.flavour, req, reply, id);
  }

  @Get('accounts/:accountId/balances')
  accountBalances(@Param('accountId') id: string, @Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    return this.resources.balances(this.bank, this.flavour, req, reply, id);
  }

  @Get('accounts/:accountId/transactions')
  accountTransactions(@Param('accountId') id: string, @Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    return this.resources.transactions(this.bank, this.flavour, req, reply, id);
  }

  @Get('balances')
  balances(@Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    return this.resources.balances(this.bank, this.flavour, req, reply);
  }

  @Get('transactions')
  transactions(@Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    return this.resources.transactions(this.bank, this.flavour, req, reply);
  }

  @All(['api/*', 'accounts/:accountId/*'])
  unknown(@Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    return this.resources.notFound(this.bank, req, reply);
  }
}
