import { randomUUID } from 'node:crypto';
import { All, Controller, Delete, Get, Param, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { escapeHtml, formOf, MalformedBody, OAuthError, query, sendHtml, str, UnsupportedBody } from '../core/http.js';
import type { ClientAuthMethod, ClientRecord } from '../core/store.js';
import { ConsentPageController } from '../consent-page/consent-page.controller.js';
import { page } from '../consent-page/html.js';
import { ObieError } from '../obie/obie-error.js';
import { ObieResources } from '../obie/obie-resources.js';
import type { ObieFlavour } from '../obie/obie.service.js';
import { decodeJwtPayload, OAuthService } from '../oauth/oauth.service.js';
import { SandboxContext, type BankRuntime } from '../sandbox-context.js';

/** Allstar's organisation id at the (sandbox) OBIE Directory: the `aud` of DCR registration requests. */
export const ALLSTAR_ORG_ID = '0015800000jf9HeAAI';
const AIS = 'open-banking/v3.1/aisp';
const AUTH_METHODS: ClientAuthMethod[] = ['client_secret_basic', 'private_key_jwt', 'tls_client_auth'];
const UUID_V4 = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-4[0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$/;

/**
 * Allstar (seed 000): UK OBIE Read/Write 3.1 AIS, DCR 3.2/3.3 only (no manual onboarding), OIDC
 * hybrid flow with a PS256 request object, mutual TLS on the second port.
 */
@Controller('allstar')
export class AllstarController {
  private readonly flavour: ObieFlavour = {
    quirks: false,
    resourceBase: `/allstar/${AIS}`,
    consentBase: `/allstar/${AIS}/account-access-consents`,
    maxConsentDays: 90,
  };

  constructor(
    private readonly ctx: SandboxContext,
    private readonly oauth: OAuthService,
    private readonly resources: ObieResources,
  ) {}

  private get bank(): BankRuntime {
    return this.ctx.bank('allstar');
  }

  private base(req: FastifyRequest): string {
    return this.bank.baseUrlOf(req);
  }

  @Get('.well-known/openid-configuration')
  discovery(@Res() reply: FastifyReply) {
    const b = this.bank.baseUrl;
    const m = this.bank.mtlsBaseUrl;
    void reply.header('content-type', 'application/json').send({
      issuer: this.bank.issuer,
      authorization_endpoint: `${b}/authorize`,
      token_endpoint: `${b}/token`,
      jwks_uri: `${b}/jwks`,
      registration_endpoint: `${b}/register`,
      scopes_supported: ['openid', 'accounts'],
      response_types_supported: ['code id_token', 'code'],
      response_modes_supported: ['fragment', 'query'],
      grant_types_supported: ['authorization_code', 'client_credentials', 'refresh_token'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['PS256'],
      request_object_signing_alg_values_supported: ['PS256'],
      request_parameter_supported: true,
      request_uri_parameter_supported: false,
      require_request_uri_registration: false,
      token_endpoint_auth_methods_supported: AUTH_METHODS,
      token_endpoint_auth_signing_alg_values_supported: ['PS256'],
      tls_client_certificate_bound_access_tokens: true,
      claims_parameter_supported: true,
      claims_supported: ['sub', 'openbanking_intent_id', 'acr', 'auth_time', 'c_hash', 's_hash', 'at_hash', 'nonce'],
      acr_values_supported: ['urn:openbanking:psd2:sca'],
      mtls_endpoint_aliases: { token_endpoint: `${m}/token`, registration_endpoint: `${m}/register` },
      resource_base_url: `${b}/${AIS}`,
      mtls_resource_base_url: `${m}/${AIS}`,
    });
  }

  @Get('jwks')
  jwks(@Res() reply: FastifyReply) {
    void reply.header('content-type', 'application/json').send({ keys: [this.bank.signing.publicJwk] });
  }

  @Post('register')
  register(@Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    return this.resources.run(
      this.bank,
      req,
      reply,
      async () => ({ status: 201, body: await this.doRegister(req) }),
      false,
    );
  }

  private async doRegister(req: FastifyRequest): Promise<Record<string, unknown>> {
    const fail = (code: string, d: string) => new OAuthError(code, d, 400);
    const raw = req.body;
    if (raw instanceof UnsupportedBody || raw instanceof MalformedBody)
      throw fail('invalid_client_metadata', 'Send the signed registration request as application/jwt');
    if (typeof raw !== 'string')
      throw fail('invalid_client_metadata', 'The body must be a signed JWT (application/jwt)');
    const jwt = raw.trim();
    const claims = decodeJwtPayload(jwt);
    if (!claims) throw fail('invalid_client_metadata', 'The body is not a JWT');
    const ssa = typeof claims.software_statement === 'string' ? claims.software_statement : undefined;
    if (!ssa) throw fail('invalid_software_statement', 'software_statement is required');
    let ssaClaims: Record<string, unknown>;
    try {
      ssaClaims = (
        await jwtVerify(ssa, createLocalJWKSet({ keys: [this.ctx.directoryKey.publicJwk] }), {
          issuer: 'OpenBanking Ltd',
          algorithms: ['PS256'],
        })
      ).payload;
    } catch (e) {
      throw fail(
        'invalid_software_statement',
        `The software statement is not signed by the sandbox directory: ${(e as Error).message}`,
      );
    }
    const software = this.ctx.store.software.get(String(ssaClaims.software_id));
    if (!software) throw fail('invalid_software_statement', 'Unknown software_id');
    try {
      await jwtVerify(jwt, createLocalJWKSet(software.jwks), { algorithms: ['PS256', 'ES256', 'RS256'] });
    } catch (e) {
      throw fail(
        'invalid_client_metadata',
        `The registration request is not signed with the software's keys: ${(e as Error).message}`,
      );
    }
    const now = Math.floor(Date.now() / 1000);
    const must = (ok: boolean, d: string) => {
      if (!ok) throw fail('invalid_client_metadata', d);
    };
    must(
      typeof claims.iss === 'string' && /^[0-9a-zA-Z]{1,22}$/.test(claims.iss) && claims.iss === software.softwareId,
      'iss must be the software_id',
    );
    const aud = claims.aud;
    must(aud === ALLSTAR_ORG_ID || aud === this.bank.issuer, `aud must be Allstar's organisation id ${ALLSTAR_ORG_ID}`);
    must(
      typeof claims.iat === 'number' && typeof claims.exp === 'number' && claims.exp > now && claims.iat <= now + 60,
      'iat/exp are missing or the request has expired',
    );
    must(typeof claims.jti === 'string' && UUID_V4.test(claims.jti), 'jti must be a UUID v4');
    const redirectUris = claims.redirect_uris;
    must(
      Array.isArray(redirectUris) &&
        redirectUris.length > 0 &&
        redirectUris.every((u) => typeof u === 'string' && URL.canParse(u)),
      'redirect_uris must list absolute URIs',
    );
    for (const u of redirectUris as string[])
      if (!software.redirectUris.includes(u))
        throw fail('invalid_redirect_uri', `${u} is not in the software statement's redirect URIs`);
    const method = claims.token_endpoint_auth_method as ClientAuthMethod;
    must(AUTH_METHODS.includes(method), `token_endpoint_auth_method must be one of ${AUTH_METHODS.join(', ')}`);
    const grants = claims.grant_types;
    must(
      Array.isArray(grants) &&
        grants.length > 0 &&
        grants.every((g) => ['client_credentials', 'authorization_code', 'refresh_token'].includes(g as string)),
      'grant_types must be client_credentials, authorization_code, refresh_token',
    );
    const responseTypes = claims.response_types ?? ['code id_token'];
    must(
      Array.isArray(responseTypes) && responseTypes.every((r) => r === 'code' || r === 'code id_token'),
      'response_types must be code and/or "code id_token"',
    );
    must(
      typeof claims.scope === 'string' && claims.scope.split(' ').includes('accounts'),
      'scope must include accounts',
    );
    must(
      claims.application_type === 'web' || claims.application_type === 'mobile',
      'application_type must be web or mobile',
    );
    must(claims.id_token_signed_response_alg === 'PS256', 'id_token_signed_response_alg must be PS256');
    must(claims.request_object_signing_alg === 'PS256', 'request_object_signing_alg must be PS256');
    if (method === 'private_key_jwt')
      must(claims.token_endpoint_auth_signing_alg === 'PS256', 'token_endpoint_auth_signing_alg must be PS256');
    if (method === 'tls_client_auth')
      must(
        typeof claims.tls_client_auth_subject_dn === 'string' && claims.tls_client_auth_subject_dn.length > 0,
        'tls_client_auth needs tls_client_auth_subject_dn',
      );
    const clientId = randomUUID();
    const client: ClientRecord = {
      clientId,
      bank: 'allstar',
      name: software.clientName,
      clientSecret: this.oauth.newSecret().slice(0, 36),
      redirectUris: redirectUris as string[],
      authMethod: method,
      jwksUri: String(ssaClaims.software_jwks_endpoint),
      tlsSubjectDn:
        typeof claims.tls_client_auth_subject_dn === 'string' ? claims.tls_client_auth_subject_dn : undefined,
      softwareId: software.softwareId,
      orgId: software.orgId,
      createdAt: Date.now(),
    };
    const { software_statement: _s, ...echo } = claims;
    client.registration = {
      ...echo,
      software_statement: ssa,
      client_id: clientId,
      client_id_issued_at: now,
      client_secret_expires_at: 0,
    };
    this.oauth.saveClient(client);
    return { ...client.registration, client_secret: client.clientSecret };
  }

  @Get('register/:clientId')
  getRegistration(@Param('clientId') clientId: string, @Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    return this.resources.run(
      this.bank,
      req,
      reply,
      () => {
        const client = this.registrationClient(req, clientId);
        return { status: 200, body: client.registration };
      },
      false,
    );
  }

  @Delete('register/:clientId')
  deleteRegistration(@Param('clientId') clientId: string, @Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    return this.resources.run(
      this.bank,
      req,
      reply,
      () => {
        const client = this.registrationClient(req, clientId);
        this.ctx.store.clients.delete(client.clientId);
        this.ctx.store.changed();
        return { status: 204 };
      },
      false,
    );
  }

  private registrationClient(req: FastifyRequest, clientId: string): ClientRecord {
    const token = this.oauth.accessToken(this.bank, /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1]);
    if (!token || token.clientId !== clientId)
      throw new OAuthError('invalid_token', 'A client-credentials token of this client is required', 401, {
        'www-authenticate': 'Bearer',
      });
    const client = this.oauth.client('allstar', clientId);
    if (!client) throw new OAuthError('invalid_client', 'Unknown client', 401);
    return client;
  }

  @Post('token')
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
        ) {
          throw new OAuthError('invalid_request', 'Send application/x-www-form-urlencoded');
        }
        const form = formOf(req);
        const bank = this.bank;
        const endpoints = [`${bank.baseUrl}/token`, `${bank.mtlsBaseUrl}/token`, bank.issuer];
        const auth = await this.oauth.authenticate(bank, req, endpoints, AUTH_METHODS);
        const grant = str(form.grant_type);
        const ttl = this.oauth.accessTtlSeconds(bank);
        if (grant === 'client_credentials') {
          const scope = str(form.scope) ?? 'accounts';
          if (!scope.split(' ').every((s) => s === 'accounts' || s === 'openid'))
            throw new OAuthError('invalid_scope', 'Allowed scopes: accounts');
          const t = this.oauth.issueToken(bank, {
            clientId: auth.client.clientId,
            kind: 'access',
            grant: 'client_credentials',
            scope,
            certThumbprint: auth.certThumbprint,
            ttlSeconds: ttl,
          });
          return { status: 200, body: { access_token: t.token, token_type: 'Bearer', expires_in: ttl, scope } };
        }
        if (grant === 'authorization_code') {
          const code = this.oauth.takeCode(bank, str(form.code), auth.client.clientId);
          if (str(form.redirect_uri) !== code.redirectUri)
            throw new OAuthError('invalid_grant', 'redirect_uri does not match the authorization request');
          return {
            status: 200,
            body: await this.consentTokens(auth.client.clientId, code.consentId, auth.certThumbprint, code.nonce),
          };
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
            scope: 'openid accounts',
            certThumbprint: auth.certThumbprint,
            ttlSeconds: ttl,
          });
          return {
            status: 200,
            body: {
              access_token: t.token,
              token_type: 'Bearer',
              expires_in: ttl,
              refresh_token: rt.token,
              scope: 'openid accounts',
            },
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

  private async consentTokens(
    clientId: string,
    consentId: string,
    certThumbprint: string | undefined,
    nonce: string | undefined,
  ) {
    const bank = this.bank;
    const ttl = this.oauth.accessTtlSeconds(bank);
    const consent = this.ctx.store.consents.get(consentId)!;
    const access = this.oauth.issueToken(bank, {
      clientId,
      kind: 'access',
      grant: 'authorization_code',
      consentId,
      scope: 'openid accounts',
      certThumbprint,
      ttlSeconds: ttl,
    });
    const refreshTtl = Math.max(
      60,
      Math.floor(((consent.expiresAt ?? bank.now() + 90 * 86_400_000) - bank.now()) / 1000),
    );
    const refresh = this.oauth.issueToken(bank, {
      clientId,
      kind: 'refresh',
      grant: 'authorization_code',
      consentId,
      scope: 'openid accounts',
      certThumbprint,
      ttlSeconds: refreshTtl,
    });
    const idToken = await this.oauth.idToken(bank, { clientId, consentId, nonce, accessToken: access.token });
    return {
      access_token: access.token,
      token_type: 'Bearer',
      expires_in: ttl,
      refresh_token: refresh.token,
      id_token: idToken,
      scope: 'openid accounts',
    };
  }

  /** OIDC authorization endpoint: a PS256 request object carrying openbanking_intent_id is required. */
  @Get('authorize')
  async authorize(@Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    const q = query(req);
    const bank = this.bank;
    const errorPage = (msg: string) =>
      sendHtml(
        reply,
        400,
        page(bank.profile, 'Invalid request', `<h1>Invalid authorisation request</h1><p>${escapeHtml(msg)}</p>`),
      );
    const client = this.oauth.client('allstar', q.client_id);
    if (!client) return errorPage('Unknown client_id');
    if (!q.request) return errorPage('A signed request object (request=) is required');
    let claims: Record<string, unknown>;
    try {
      if (decodeProtectedHeader(q.request).alg !== 'PS256')
        return errorPage('The request object must be signed with PS256');
      claims = (
        await jwtVerify(q.request, createLocalJWKSet(await this.oauth.clientJwks(client)), {
          algorithms: ['PS256'],
          issuer: client.clientId,
          audience: [bank.issuer, `${bank.baseUrl}`],
          requiredClaims: ['exp'],
        })
      ).payload;
    } catch (e) {
      return errorPage(`The request object is invalid: ${(e as Error).message}`);
    }
    const redirectUri = text(claims.redirect_uri) ?? q.redirect_uri ?? '';
    if (!client.redirectUris.includes(redirectUri)) return errorPage('redirect_uri is not registered for this client');
    if (q.redirect_uri && q.redirect_uri !== redirectUri)
      return errorPage('redirect_uri differs between the query and the request object');
    const responseType = text(claims.response_type) ?? q.response_type ?? '';
    const state = text(claims.state) ?? q.state;
    const nonce = text(claims.nonce) ?? q.nonce;
    const requestedMode = text(claims.response_mode) ?? q.response_mode;
    const mode: 'query' | 'fragment' =
      requestedMode === 'query' || (requestedMode === undefined && responseType === 'code') ? 'query' : 'fragment';
    const fail = (error: string, description: string) => {
      const params = new URLSearchParams({ error, error_description: description, ...(state ? { state } : {}) });
      const url = new URL(redirectUri);
      if (mode === 'fragment') url.hash = params.toString();
      else for (const [k, v] of params) url.searchParams.set(k, v);
      void reply.status(302).header('location', url.toString()).send();
    };
    if (q.response_type && q.response_type !== responseType)
      return fail('invalid_request', 'response_type differs between the query and the request object');
    if (claims.client_id !== undefined && claims.client_id !== client.clientId)
      return fail('invalid_request', 'client_id differs in the request object');
    if (responseType !== 'code id_token' && responseType !== 'code')
      return fail('unsupported_response_type', 'response_type must be "code id_token" or "code"');
    if (responseType === 'code id_token' && !nonce)
      return fail('invalid_request', 'nonce is required for the hybrid flow');
    const scope = text(claims.scope) ?? q.scope ?? '';
    if (!scope.split(' ').includes('openid') || !scope.split(' ').includes('accounts'))
      return fail('invalid_scope', 'scope must include openid and accounts');
    const intent = intentId(claims);
    const consent = intent ? this.ctx.store.consents.get(intent) : undefined;
    if (!consent || consent.bank !== 'allstar' || consent.clientId !== client.clientId)
      return fail('invalid_request', 'openbanking_intent_id does not name a consent of this client');
    if (consent.status !== 'AwaitingAuthorisation') return fail('invalid_request', `The consent is ${consent.status}`);
    const location = ConsentPageController.start(this.ctx, {
      bank: 'allstar',
      clientId: client.clientId,
      consentId: consent.id,
      redirectUri,
      state,
      nonce,
      responseType,
      responseMode: mode,
    });
    void reply.status(302).header('location', location).send();
  }

  @Post(`${AIS}/account-access-consents`)
  createConsent(@Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    return this.resources.createConsent(
      this.bank,
      this.flavour,
      req,
      reply,
      (id) => `${this.base(req)}/${AIS}/account-access-consents/${id}`,
    );
  }

  @Get(`${AIS}/account-access-consents/:consentId`)
  getConsent(@Param('consentId') id: string, @Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    return this.resources.getConsent(
      this.bank,
      this.flavour,
      req,
      reply,
      id,
      (cid) => `${this.base(req)}/${AIS}/account-access-consents/${cid}`,
    );
  }

  @Delete(`${AIS}/account-access-consents/:consentId`)
  deleteConsent(@Param('consentId') id: string, @Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    return this.resources.deleteConsent(this.bank, req, reply, id);
  }

  @Get(`${AIS}/accounts`)
  accounts(@Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    return this.resources.accounts(this.bank, this.flavour, req, reply);
  }

  @Get(`${AIS}/accounts/:accountId`)
  account(@Param('accountId') id: string, @Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    return this.resources.accounts(this.bank, this.flavour, req, reply, id);
  }

  @Get(`${AIS}/accounts/:accountId/balances`)
  balances(@Param('accountId') id: string, @Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    return this.resources.balances(this.bank, this.flavour, req, reply, id);
  }

  @Get(`${AIS}/accounts/:accountId/transactions`)
  transactions(@Param('accountId') id: string, @Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    return this.resources.transactions(this.bank, this.flavour, req, reply, id);
  }

  @Get(`${AIS}/accounts/:accountId/statements`)
  statements(@Param('accountId') id: string, @Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    return this.resources.statements(this.bank, this.flavour, req, reply, id);
  }

  @Get(`${AIS}/accounts/:accountId/statements/:statementId`)
  statement(
    @Param('accountId') id: string,
    @Param('statementId') sid: string,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
  ) {
    return this.resources.statements(this.bank, this.flavour, req, reply, id, sid);
  }

  @Get(`${AIS}/accounts/:accountId/statements/:statementId/transactions`)
  statementTransactions(
    @Param('accountId') id: string,
    @Param('statementId') sid: string,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
  ) {
    return this.resources.statementTransactions(this.bank, this.flavour, req, reply, id, sid);
  }

  @Get(`${AIS}/accounts/:accountId/party`)
  accountParty(@Param('accountId') id: string, @Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    return this.resources.generic(this.bank, this.flavour, req, reply, 'party', id);
  }

  @Get(`${AIS}/party`)
  psuParty(@Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    return this.resources.generic(this.bank, this.flavour, req, reply, 'partyPsu', null);
  }

  @Get(`${AIS}/accounts/:accountId/beneficiaries`)
  beneficiaries(@Param('accountId') id: string, @Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    return this.resources.generic(this.bank, this.flavour, req, reply, 'beneficiaries', id);
  }

  @Get(`${AIS}/accounts/:accountId/standing-orders`)
  standingOrders(@Param('accountId') id: string, @Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    return this.resources.generic(this.bank, this.flavour, req, reply, 'standingOrders', id);
  }

  @Get(`${AIS}/accounts/:accountId/direct-debits`)
  directDebits(@Param('accountId') id: string, @Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    return this.resources.generic(this.bank, this.flavour, req, reply, 'directDebits', id);
  }

  @Get(`${AIS}/accounts/:accountId/scheduled-payments`)
  scheduledPayments(@Param('accountId') id: string, @Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    return this.resources.generic(this.bank, this.flavour, req, reply, 'scheduledPayments', id);
  }

  @All(`${AIS}/*`)
  unknown(@Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    return this.resources.notFound(this.bank, req, reply);
  }
}

function text(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** OBIE puts the intent id in claims.id_token.openbanking_intent_id.value; a top-level claim is accepted too. */
function intentId(claims: Record<string, unknown>): string | undefined {
  const nested =
    (claims.claims as
      | {
          id_token?: { openbanking_intent_id?: { value?: unknown } };
          userinfo?: { openbanking_intent_id?: { value?: unknown } };
        }
      | undefined) ?? {};
  const v =
    nested.id_token?.openbanking_intent_id?.value ??
    nested.userinfo?.openbanking_intent_id?.value ??
    claims.openbanking_intent_id;
  return typeof v === 'string' ? v : undefined;
}

export { ObieError };
