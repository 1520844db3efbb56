import { randomBytes, randomUUID } from 'node:crypto';
import { All, Controller, Delete, Get, Param, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  escapeHtml,
  formOf,
  header,
  MalformedBody,
  OAuthError,
  query,
  sendHtml,
  sendJson,
  str,
  UnsupportedBody,
} from '../core/http.js';
import { runBankCall, type Ok } from '../core/pipeline.js';
import { dateToDayNumber, dayNumberToDate, localDayNumber } from '../core/time.js';
import { BgError } from '../berlin-group/bg-error.js';
import { BgService, FULL_HISTORY_WINDOW_MS, HISTORY_LIMIT_DAYS, type BgContext } from '../berlin-group/bg.service.js';
import { ConsentPageController } from '../consent-page/consent-page.controller.js';
import { page } from '../consent-page/html.js';
import { snapshotOf } from '../obie/obie-resources.js';
import { OAuthService, s256 } from '../oauth/oauth.service.js';
import { SandboxContext, type BankRuntime } from '../sandbox-context.js';
import { onboardingSchema } from './onboarding.js';
import type { Account, TxnView } from '../data/model.js';

const BOOKING_STATUSES = ['booked', 'pending', 'both', 'information', 'all'];
const CARD_BOOKING_STATUSES = ['booked', 'pending', 'both'];

/**
 * Salt Bank (seed 002): Berlin Group NextGenPSD2 1.3.12 AIS with the OAuth2 SCA approach (PKCE S256,
 * scope AIS:<consentId>), frequencyPerDay limits per account and resource, and the 90-day rule.
 */
@Controller('saltbank')
export class SaltBankController {
  constructor(
    private readonly ctx: SandboxContext,
    private readonly oauth: OAuthService,
    private readonly bg: BgService,
  ) {}

  private get bank(): BankRuntime {
    return this.ctx.bank('saltbank');
  }

  /**
   * Every XS2A call: the TPP's QWAC (mutual TLS) first, X-Request-ID required and echoed, a fresh
   * x-fapi-interaction-id, faults on the data plane.
   */
  private run(req: FastifyRequest, reply: FastifyReply, handler: () => Ok | Promise<Ok>, faults = true) {
    const echo = header(req, 'x-request-id');
    return runBankCall(
      this.bank,
      req,
      reply,
      {
        headers: { 'x-fapi-interaction-id': randomUUID(), ...(echo ? { 'x-request-id': echo } : {}) },
        precheck: () => this.bg.requireQwac(req),
        faults,
        failure: (status, retryAfter) => {
          switch (status) {
            case 429:
              return new BgError(429, 'ACCESS_EXCEEDED', 'Too many requests', undefined, {
                'retry-after': String(retryAfter ?? 30),
              });
            case 503:
              return new BgError(503, 'SERVICE_UNAVAILABLE', 'Service unavailable', undefined, {
                'retry-after': String(retryAfter ?? 30),
              });
            case 403:
              return new BgError(403, 'CONSENT_INVALID', 'The consent does not cover this resource');
            case 404:
              return new BgError(404, 'RESOURCE_UNKNOWN', 'The addressed resource is unknown');
            case 500:
              return new BgError(500, 'INTERNAL_SERVER_ERROR', 'Unexpected error');
          }
        },
      },
      () => {
        this.bg.requestId(req);
        return handler();
      },
    );
  }

  private oauthRun(req: FastifyRequest, reply: FastifyReply, handler: () => Ok | Promise<Ok>) {
    return runBankCall(
      this.bank,
      req,
      reply,
      {
        headers: { 'x-fapi-interaction-id': randomUUID(), 'cache-control': 'no-store' },
        faults: false,
        failure: () => new OAuthError('server_error', 'Unexpected error', 500),
      },
      handler,
    );
  }

  @Get('.well-known/oauth-authorization-server')
  metadata(@Res() reply: FastifyReply) {
    const b = this.bank.baseUrl;
    sendJson(reply, 200, {
      issuer: this.bank.issuer,
      authorization_endpoint: `${b}/oauth/authorize`,
      token_endpoint: `${b}/oauth/token`,
      response_types_supported: ['code'],
      grant_types_supported: ['authorization_code', 'refresh_token'],
      code_challenge_methods_supported: ['S256'],
      token_endpoint_auth_methods_supported: ['none', 'client_secret_basic', 'client_secret_post'],
      scopes_supported: ['AIS:<consentId>'],
    });
  }

  @Post('sandbox/clients')
  onboard(@Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    const parsed = onboardingSchema.safeParse(req.body);
    if (!parsed.success)
      return sendJson(reply, 400, {
        error: 'invalid_client_metadata',
        error_description: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
      });
    const method = parsed.data.token_endpoint_auth_method ?? 'none';
    if (method === 'private_key_jwt')
      return sendJson(reply, 400, {
        error: 'invalid_client_metadata',
        error_description: 'Salt Bank supports none (PKCE), client_secret_basic and client_secret_post',
      });
    const clientId =
      parsed.data.organization_identifier ?? `PSDDE-BAFIN-${randomBytes(3).toString('hex').toUpperCase()}`;
    if (this.ctx.store.clients.has(clientId))
      return sendJson(reply, 409, {
        error: 'invalid_client_metadata',
        error_description: 'This organization_identifier is already onboarded',
      });
    const secret = method === 'none' ? undefined : this.oauth.newSecret();
    this.oauth.saveClient({
      clientId,
      bank: 'saltbank',
      name: parsed.data.client_name,
      redirectUris: parsed.data.redirect_uris,
      authMethod: method,
      clientSecret: secret,
      createdAt: Date.now(),
    });
    sendJson(reply, 201, {
      client_id: clientId,
      ...(secret ? { client_secret: secret } : {}),
      token_endpoint_auth_method: method,
      redirect_uris: parsed.data.redirect_uris,
    });
  }

  @Get('oauth/authorize')
  authorize(@Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    const q = query(req);
    const errorPage = (msg: string) =>
      sendHtml(
        reply,
        400,
        page(this.bank.profile, 'Invalid request', `<h1>Invalid authorisation request</h1><p>${escapeHtml(msg)}</p>`),
      );
    const client = this.oauth.client('saltbank', q.client_id);
    if (!client) return errorPage('Unknown client_id');
    if (!q.redirect_uri || !client.redirectUris.includes(q.redirect_uri))
      return errorPage('redirect_uri is not registered for this client');
    const redirectUri = q.redirect_uri;
    const fail = (error: string, description: string) => {
      const url = new URL(redirectUri);
      url.searchParams.set('error', error);
      url.searchParams.set('error_description', description);
      if (q.state) url.searchParams.set('state', q.state);
      void reply.status(302).header('location', url.toString()).send();
    };
    if (q.response_type !== 'code') return fail('unsupported_response_type', 'response_type must be code');
    if (!q.code_challenge || !/^[A-Za-z0-9_-]{43}$/.test(q.code_challenge))
      return fail('invalid_request', 'code_challenge (S256, 43 characters) is required');
    if (q.code_challenge_method !== 'S256') return fail('invalid_request', 'code_challenge_method must be S256');
    const m = /^AIS:(\S+)$/.exec(q.scope ?? '');
    if (!m) return fail('invalid_scope', 'scope must be AIS:<consentId>');
    const consent = this.ctx.store.consents.get(m[1]);
    if (!consent || consent.bank !== 'saltbank') return fail('invalid_scope', 'Unknown consent in scope');
    if (consent.status !== 'received') return fail('invalid_request', `The consent is ${consent.status}`);
    if (consent.clientId && consent.clientId !== client.clientId)
      return fail('invalid_request', 'The consent belongs to another client');
    consent.clientId = client.clientId;
    const location = ConsentPageController.start(this.ctx, {
      bank: 'saltbank',
      clientId: client.clientId,
      consentId: consent.id,
      redirectUri,
      state: q.state,
      responseType: 'code',
      responseMode: 'query',
      codeChallenge: q.code_challenge,
    });
    void reply.status(302).header('location', location).send();
  }

  @Post('oauth/token')
  token(@Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    return this.oauthRun(req, reply, async () => {
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
        [`${bank.baseUrl}/oauth/token`],
        ['none', 'client_secret_basic', 'client_secret_post'],
      );
      const ttl = this.oauth.accessTtlSeconds(bank);
      const grant = str(form.grant_type);
      if (grant === 'authorization_code') {
        const code = this.oauth.takeCode(bank, str(form.code), auth.client.clientId);
        if (str(form.redirect_uri) !== code.redirectUri)
          throw new OAuthError('invalid_grant', 'redirect_uri does not match the authorization request');
        const verifier = str(form.code_verifier);
        if (!verifier || !/^[A-Za-z0-9._~-]{43,128}$/.test(verifier) || s256(verifier) !== code.codeChallenge)
          throw new OAuthError('invalid_grant', 'code_verifier does not match the code_challenge');
        const consent = this.ctx.store.consents.get(code.consentId)!;
        const scope = `AIS:${consent.id}`;
        const access = this.oauth.issueToken(bank, {
          clientId: auth.client.clientId,
          kind: 'access',
          grant: 'authorization_code',
          consentId: consent.id,
          scope,
          ttlSeconds: ttl,
        });
        const validEnd = Date.parse(`${consent.validUntil}T23:59:59Z`);
        const refresh = this.oauth.issueToken(bank, {
          clientId: auth.client.clientId,
          kind: 'refresh',
          grant: 'authorization_code',
          consentId: consent.id,
          scope,
          ttlSeconds: Math.max(60, Math.floor((validEnd - bank.now()) / 1000) + 86_400),
        });
        return {
          status: 200,
          body: {
            access_token: access.token,
            token_type: 'Bearer',
            expires_in: ttl,
            refresh_token: refresh.token,
            scope,
          },
        };
      }
      if (grant === 'refresh_token') {
        const rt = this.oauth.refreshToken(bank, str(form.refresh_token), auth.client.clientId);
        const consent = this.bg.status(bank, this.ctx.store.consents.get(rt.consentId ?? '')!);
        if (consent.status !== 'valid') throw new OAuthError('invalid_grant', `The consent is ${consent.status}`);
        const access = this.oauth.issueToken(bank, {
          clientId: auth.client.clientId,
          kind: 'access',
          grant: 'authorization_code',
          consentId: consent.id,
          scope: rt.scope,
          ttlSeconds: ttl,
        });
        return {
          status: 200,
          body: {
            access_token: access.token,
            token_type: 'Bearer',
            expires_in: ttl,
            refresh_token: rt.token,
            scope: rt.scope,
          },
        };
      }
      throw new OAuthError('unsupported_grant_type', 'grant_type must be authorization_code or refresh_token');
    });
  }

  @Post('v1/consents')
  createConsent(@Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    return this.run(req, reply, () => {
      const c = this.bg.createConsent(this.bank, req);
      const self = `/${this.bank.id}/v1/consents/${c.id}`;
      return {
        status: 201,
        headers: { location: `${this.bank.baseUrlOf(req)}/v1/consents/${c.id}`, 'aspsp-sca-approach': 'REDIRECT' },
        body: {
          consentStatus: c.status,
          consentId: c.id,
          _links: {
            scaOAuth: { href: `${this.bank.baseUrl}/.well-known/oauth-authorization-server` },
            self: { href: self },
            status: { href: `${self}/status` },
          },
        },
      };
    });
  }

  @Get('v1/consents/:consentId')
  getConsent(@Param('consentId') id: string, @Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    return this.run(req, reply, () => ({
      status: 200,
      body: this.bg.consentInformation(this.bank, this.bg.consent(this.bank, id)),
    }));
  }

  @Get('v1/consents/:consentId/status')
  consentStatus(@Param('consentId') id: string, @Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    return this.run(req, reply, () => ({
      status: 200,
      body: { consentStatus: this.bg.consent(this.bank, id).status },
    }));
  }

  @Delete('v1/consents/:consentId')
  deleteConsent(@Param('consentId') id: string, @Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    return this.run(req, reply, () => {
      this.bg.deleteConsent(this.bank, id);
      return { status: 204 };
    });
  }

  @Get('v1/accounts')
  accounts(@Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    return this.run(req, reply, () => {
      const c = this.bg.authorise(this.bank, req, 'accounts', null);
      const owner = this.bg.withOwnerName(c.consent);
      return {
        status: 200,
        body: {
          accounts: this.bg.grantedOfKind(c.consent, this.bank, false).map((a) => this.bg.accountBody(c, a, owner)),
        },
      };
    });
  }

  @Get('v1/accounts/:accountId')
  account(@Param('accountId') id: string, @Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    return this.run(req, reply, () => {
      const c = this.bg.authorise(this.bank, req, 'accounts', id);
      return {
        status: 200,
        body: { account: this.bg.accountBody(c, this.bank.data.account(id)!, this.bg.withOwnerName(c.consent)) },
      };
    });
  }

  @Get('v1/accounts/:accountId/balances')
  balances(@Param('accountId') id: string, @Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    return this.run(req, reply, () => {
      const c = this.bg.authorise(this.bank, req, 'balances', id);
      return { status: 200, body: this.bg.balances(c, this.bank.data.account(id)!) };
    });
  }

  @Get('v1/accounts/:accountId/transactions')
  transactions(@Param('accountId') id: string, @Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    return this.run(req, reply, () => {
      const q = query(req);
      const bookingStatus = q.bookingStatus;
      if (!bookingStatus || !BOOKING_STATUSES.includes(bookingStatus))
        throw new BgError(
          400,
          'PARAMETER_NOT_SUPPORTED',
          'bookingStatus must be booked, pending, both, information or all',
          'bookingStatus',
        );
      this.checkWindowQuery(q, bookingStatus);
      // Standing orders (information) are an access of their own; "all" reads them with the rest.
      const c = this.bg.authorise(
        this.bank,
        req,
        bookingStatus === 'information' ? 'standingOrders' : 'transactions',
        id,
      );
      const bank = this.bank;
      const a = bank.data.account(id)!;
      const base = { account: { iban: a.iban, currency: a.currency } };
      if (bookingStatus === 'information') {
        // Seed 002: dateFrom and dateTo are ignored for information.
        return {
          status: 200,
          body: {
            ...base,
            transactions: {
              information: this.bg.standingOrders(bank, a),
              _links: { account: { href: `/${bank.id}/v1/accounts/${a.id}` } },
            },
          },
        };
      }
      const report = this.report(req, c, a, q, bookingStatus, 'accounts', (t) => this.bg.transactionBody(bank, a, t));
      if (bookingStatus === 'all' && report.first) report.body.information = this.bg.standingOrders(bank, a);
      return { status: 200, body: { ...base, transactions: report.body } };
    });
  }

  /**
   * One page of an account's (or card account's) booked and pending transactions in the window the
   * query asks for, within the 90-day rule, newest first, with first/last/next/previous links.
   */
  private report(
    req: FastifyRequest,
    c: BgContext,
    a: Account,
    q: Record<string, string | undefined>,
    bookingStatus: string,
    kind: 'accounts' | 'card-accounts',
    render: (t: TxnView) => Record<string, unknown>,
  ): { body: Record<string, unknown>; first: boolean } {
    const bank = this.bank;
    const tz = bank.profile.timeZone;
    const itemsPerPage = q.itemsPerPage === undefined ? undefined : Number(q.itemsPerPage);
    const today = localDayNumber(c.now, tz);
    const fromDay = q.dateFrom ? dateToDayNumber(q.dateFrom) : today - HISTORY_LIMIT_DAYS;
    const toDay = q.dateTo ? dateToDayNumber(q.dateTo) : today;
    if (fromDay > toDay) throw new BgError(400, 'PERIOD_INVALID', 'dateFrom is after dateTo', 'dateFrom');
    const firstTenMinutes =
      c.consent.authorisedAt !== undefined && c.now - c.consent.authorisedAt <= FULL_HISTORY_WINDOW_MS;
    if (fromDay < today - HISTORY_LIMIT_DAYS && !firstTenMinutes) {
      throw new BgError(
        400,
        'PERIOD_INVALID',
        `Transactions older than ${HISTORY_LIMIT_DAYS} days (before ${dayNumberToDate(today - HISTORY_LIMIT_DAYS)}) are available only in the first 10 minutes after authorisation`,
        'dateFrom',
      );
    }
    const snapshot = snapshotOf(req, c.now);
    const ledger = bank.data.ledger(a.id);
    const wantBooked = bookingStatus !== 'pending';
    const wantPending = bookingStatus !== 'booked';
    const newestFirst = (x: TxnView, y: TxnView) => y.bookingMs - x.bookingMs || (x.key < y.key ? 1 : -1);
    const booked = wantBooked
      ? ledger
          .booked(snapshot)
          .filter((t) => t.bookingDay >= fromDay && t.bookingDay <= toDay)
          .sort(newestFirst)
      : [];
    const pending = wantPending
      ? ledger
          .pending(snapshot)
          .filter((t) => t.originDay >= fromDay && t.originDay <= toDay)
          .reverse()
      : [];
    const all = [...pending, ...booked];
    const size = itemsPerPage ?? bank.pageSize();
    const pageIndex = Math.max(0, Number.parseInt(q.pageIndex ?? '0', 10) || 0);
    const slice = all.slice(pageIndex * size, (pageIndex + 1) * size);
    const link = (p: number) => {
      const url = new URL(`${bank.baseUrl}/v1/${kind}/${a.id}/transactions`);
      for (const [k, v] of Object.entries(q))
        if (v !== undefined && k !== 'pageIndex' && k !== 'snapshot') url.searchParams.set(k, v);
      url.searchParams.set('pageIndex', String(p));
      url.searchParams.set('snapshot', String(snapshot));
      return `${url.pathname}${url.search}`;
    };
    const lastPage = Math.max(0, Math.ceil(all.length / size) - 1);
    const links: Record<string, { href: string }> = {
      [kind === 'accounts' ? 'account' : 'cardAccount']: { href: `/${bank.id}/v1/${kind}/${a.id}` },
      first: { href: link(0) },
      last: { href: link(lastPage) },
    };
    if (pageIndex < lastPage) links.next = { href: link(pageIndex + 1) };
    if (pageIndex > 0) links.previous = { href: link(pageIndex - 1) };
    const report: Record<string, unknown> = {};
    if (wantBooked) report.booked = slice.filter((t) => t.status === 'booked').map(render);
    if (wantPending) report.pending = slice.filter((t) => t.status === 'pending').map(render);
    report._links = links;
    return { body: report, first: pageIndex === 0 };
  }

  @Get('v1/card-accounts')
  cardAccounts(@Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    return this.run(req, reply, () => {
      const c = this.bg.authorise(this.bank, req, 'cardAccounts', null);
      const owner = this.bg.withOwnerName(c.consent);
      return {
        status: 200,
        body: {
          cardAccounts: this.bg
            .grantedOfKind(c.consent, this.bank, true)
            .map((a) => this.bg.cardAccountBody(c, a, owner)),
        },
      };
    });
  }

  @Get('v1/card-accounts/:accountId')
  cardAccount(@Param('accountId') id: string, @Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    return this.run(req, reply, () => {
      const c = this.bg.authorise(this.bank, req, 'accounts', id, true);
      return {
        status: 200,
        body: {
          cardAccount: this.bg.cardAccountBody(c, this.bank.data.account(id)!, this.bg.withOwnerName(c.consent)),
        },
      };
    });
  }

  @Get('v1/card-accounts/:accountId/balances')
  cardBalances(@Param('accountId') id: string, @Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    return this.run(req, reply, () => {
      const c = this.bg.authorise(this.bank, req, 'balances', id, true);
      return { status: 200, body: this.bg.cardBalances(c, this.bank.data.account(id)!) };
    });
  }

  /** Card transactions: bookingStatus booked, pending or both (bookingStatusCard); no standing orders. */
  @Get('v1/card-accounts/:accountId/transactions')
  cardTransactions(@Param('accountId') id: string, @Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    return this.run(req, reply, () => {
      const q = query(req);
      const bookingStatus = q.bookingStatus;
      if (!bookingStatus || !CARD_BOOKING_STATUSES.includes(bookingStatus))
        throw new BgError(
          400,
          'PARAMETER_NOT_SUPPORTED',
          'bookingStatus must be booked, pending or both for a card account',
          'bookingStatus',
        );
      this.checkWindowQuery(q, bookingStatus);
      const c = this.bg.authorise(this.bank, req, 'transactions', id, true);
      const bank = this.bank;
      const a = bank.data.account(id)!;
      const report = this.report(req, c, a, q, bookingStatus, 'card-accounts', (t) =>
        this.bg.cardTransactionBody(bank, a, t),
      );
      return {
        status: 200,
        body: {
          cardAccount: { maskedPan: a.maskedPan, currency: a.currency },
          debitAccounting: false,
          cardTransactions: report.body,
        },
      };
    });
  }

  /** The query of a transaction list: dates, a dateFrom unless a delta or information is asked for, page size. */
  private checkWindowQuery(q: Record<string, string | undefined>, bookingStatus: string): void {
    const isDate = (v: string | undefined) =>
      v === undefined || (/^\d{4}-\d{2}-\d{2}$/.test(v) && !Number.isNaN(Date.parse(v)));
    if (!isDate(q.dateFrom)) throw BgError.format('dateFrom must be YYYY-MM-DD', 'dateFrom');
    if (!isDate(q.dateTo)) throw BgError.format('dateTo must be YYYY-MM-DD', 'dateTo');
    const delta = q.deltaList === 'true' || q.entryReferenceFrom !== undefined;
    if (bookingStatus !== 'information' && !q.dateFrom && !delta)
      throw BgError.format('dateFrom is required unless bookingStatus=information or a delta is asked for', 'dateFrom');
    const itemsPerPage = q.itemsPerPage === undefined ? undefined : Number(q.itemsPerPage);
    if (itemsPerPage !== undefined && (!Number.isInteger(itemsPerPage) || itemsPerPage < 1 || itemsPerPage > 1000))
      throw BgError.format('itemsPerPage must be an integer 1..1000', 'itemsPerPage');
  }

  @Get('v1/accounts/:accountId/transactions/:transactionId')
  transaction(
    @Param('accountId') id: string,
    @Param('transactionId') tid: string,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
  ) {
    return this.run(req, reply, () => {
      const c = this.bg.authorise(this.bank, req, 'transactionDetails', id);
      const a = this.bank.data.account(id)!;
      const ledger = this.bank.data.ledger(a.id);
      const t = [...ledger.pending(c.now), ...ledger.booked(c.now)].find(
        (x) => (x.status === 'booked' ? x.bookedId : x.pendingId) === tid,
      );
      if (!t) throw new BgError(404, 'RESOURCE_UNKNOWN', 'No transaction with this transactionId', 'transactionId');
      return { status: 200, body: { transactionsDetails: this.bg.transactionBody(this.bank, a, t) } };
    });
  }

  @All('v1/*')
  unknown(@Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    return this.run(
      req,
      reply,
      () => {
        throw new BgError(404, 'RESOURCE_UNKNOWN', 'No such endpoint');
      },
      false,
    );
  }
}
