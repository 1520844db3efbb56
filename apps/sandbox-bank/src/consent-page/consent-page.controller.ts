import { randomBytes } from 'node:crypto';
import { Controller, Get, Param, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { escapeHtml, formOf, sendHtml, str } from '../core/http.js';
import type { AuthSession, ConsentRecord } from '../core/store.js';
import { isBankId, type BankId } from '../data/banks.js';
import type { Account } from '../data/model.js';
import { OAuthService } from '../oauth/oauth.service.js';
import { SandboxContext, type BankRuntime } from '../sandbox-context.js';
import { errorBox, page } from './html.js';

const MAX_FAILURES = 5;
const SESSION_TTL_MS = 30 * 60_000;

/**
 * The PSU's side of every bank: login (username + password), one-time password, account selection,
 * approve or deny; then a redirect to the client with code + state, or error=access_denied.
 * Plain HTML forms with stable field names, so a browser or a script can drive them.
 */
@Controller()
export class ConsentPageController {
  constructor(
    private readonly ctx: SandboxContext,
    private readonly oauth: OAuthService,
  ) {}

  /** Starts a PSU session for an authorisation request; answers the URL of its first page. */
  static start(ctx: SandboxContext, session: Omit<AuthSession, 'id' | 'stage' | 'failures' | 'createdAt'>): string {
    const id = randomBytes(18).toString('base64url');
    ctx.store.sessions.set(id, { ...session, id, stage: 'login', failures: 0, createdAt: Date.now() });
    ctx.store.changed();
    return `/${session.bank}/consent/${id}`;
  }

  private session(
    bank: string,
    id: string,
  ): { bank: BankRuntime; session: AuthSession; consent: ConsentRecord } | undefined {
    if (!isBankId(bank)) return undefined;
    const session = this.ctx.store.sessions.get(id);
    if (
      !session ||
      session.bank !== bank ||
      Date.now() - session.createdAt > SESSION_TTL_MS ||
      session.stage === 'done'
    )
      return undefined;
    const consent = this.ctx.store.consents.get(session.consentId);
    if (!consent) return undefined;
    return { bank: this.ctx.bank(bank), session, consent };
  }

  private gone(reply: FastifyReply, bank: string) {
    sendHtml(
      reply,
      404,
      page(
        isBankId(bank) ? this.ctx.bank(bank).profile : null,
        'Session not found',
        '<h1>This sign-in session has ended</h1><p>Start again from the app that sent you here.</p>',
      ),
    );
  }

  @Get(':bank/consent/:sessionId')
  show(@Param('bank') bank: string, @Param('sessionId') id: string, @Res() reply: FastifyReply) {
    const s = this.session(bank, id);
    if (!s) return this.gone(reply, bank);
    this.render(reply, 200, s.bank, s.session, s.consent);
  }

  @Post(':bank/consent/:sessionId/login')
  login(
    @Param('bank') bank: string,
    @Param('sessionId') id: string,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
  ) {
    const s = this.session(bank, id);
    if (!s) return this.gone(reply, bank);
    const form = formOf(req);
    if (str(form.decision) === 'deny') return this.finish(reply, s.bank, s.session, s.consent, 'deny', []);
    if (s.session.stage !== 'login')
      return this.render(reply, 409, s.bank, s.session, s.consent, 'You are already signed in.');
    const psu = s.bank.data.psu(str(form.username)?.trim() ?? '');
    if (!psu || psu.password !== str(form.password)) return this.failed(reply, s, 'Wrong username or password.');
    s.session.psu = psu.username;
    s.session.stage = 'otp';
    this.ctx.store.changed();
    this.render(reply, 200, s.bank, s.session, s.consent);
  }

  @Post(':bank/consent/:sessionId/otp')
  otp(
    @Param('bank') bank: string,
    @Param('sessionId') id: string,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
  ) {
    const s = this.session(bank, id);
    if (!s) return this.gone(reply, bank);
    const form = formOf(req);
    if (str(form.decision) === 'deny') return this.finish(reply, s.bank, s.session, s.consent, 'deny', []);
    if (s.session.stage !== 'otp') return this.render(reply, 409, s.bank, s.session, s.consent, 'Sign in first.');
    const psu = s.bank.data.psu(s.session.psu ?? '');
    if (!psu || psu.otp !== str(form.otp)?.trim()) return this.failed(reply, s, 'Wrong one-time password.');
    s.session.stage = 'accounts';
    this.ctx.store.changed();
    this.render(reply, 200, s.bank, s.session, s.consent);
  }

  @Post(':bank/consent/:sessionId/accounts')
  accounts(
    @Param('bank') bank: string,
    @Param('sessionId') id: string,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
  ) {
    const s = this.session(bank, id);
    if (!s) return this.gone(reply, bank);
    const form = formOf(req);
    const decision = str(form.decision);
    if (decision === 'deny') return this.finish(reply, s.bank, s.session, s.consent, 'deny', []);
    if (s.session.stage !== 'accounts') return this.render(reply, 409, s.bank, s.session, s.consent, 'Sign in first.');
    if (decision !== 'approve') return this.render(reply, 400, s.bank, s.session, s.consent, 'Choose Approve or Deny.');
    const raw = form.accountIds;
    const chosen = (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]).filter((a) => a !== '');
    const selectable = new Set(this.selectable(s.bank, s.session, s.consent).map((a) => a.id));
    if (chosen.length === 0)
      return this.render(reply, 400, s.bank, s.session, s.consent, 'Select at least one account.');
    if (chosen.some((a) => !selectable.has(a)))
      return this.render(reply, 400, s.bank, s.session, s.consent, 'Unknown account selected.');
    this.finish(reply, s.bank, s.session, s.consent, 'approve', chosen);
  }

  private failed(
    reply: FastifyReply,
    s: { bank: BankRuntime; session: AuthSession; consent: ConsentRecord },
    message: string,
  ) {
    s.session.failures++;
    this.ctx.store.changed();
    if (s.session.failures >= MAX_FAILURES)
      return this.finish(reply, s.bank, s.session, s.consent, 'deny', [], 'Too many failed attempts');
    this.render(reply, 401, s.bank, s.session, s.consent, message);
  }

  /**
   * Accounts the PSU may choose: all theirs, or for a Berlin Group dedicated consent only the named
   * ones (by IBAN, or a card's masked PAN) that are theirs.
   */
  private selectable(bank: BankRuntime, session: AuthSession, consent: ConsentRecord): Account[] {
    const mine = bank.data.accountsOf(session.psu ?? '');
    if (bank.profile.standard !== 'berlin-group' || !consent.access) return mine;
    const named = namedAccounts(consent.access);
    return named.length === 0 ? mine : mine.filter((a) => named.some((r) => names(r, a)));
  }

  private render(
    reply: FastifyReply,
    status: number,
    bank: BankRuntime,
    session: AuthSession,
    consent: ConsentRecord,
    error?: string,
  ) {
    const base = `/${bank.id}/consent/${session.id}`;
    const client = this.ctx.store.clients.get(session.clientId);
    const who = escapeHtml(client?.name ?? session.clientId);
    const deny = `<button class="secondary" type="submit" name="decision" value="deny" formnovalidate>Cancel</button>`;
    let body: string;
    if (session.stage === 'login') {
      body = `<h1>Sign in to share your account information</h1>
<p><strong>${who}</strong> is asking to read your account information.</p>${errorBox(error)}
<form method="post" action="${base}/login">
<label for="username">Username</label><input type="text" id="username" name="username" autocomplete="username" required>
<label for="password">Password</label><input type="password" id="password" name="password" autocomplete="current-password" required>
<button type="submit" name="decision" value="login">Sign in</button>${deny}
</form><p class="muted">Sandbox: the PSUs and their passwords are listed at <a href="/${bank.id}">/${bank.id}</a>.</p>`;
    } else if (session.stage === 'otp') {
      body = `<h1>Enter your one-time password</h1><p>We sent a 6-digit code to the phone registered for <strong>${escapeHtml(session.psu ?? '')}</strong>.</p>${errorBox(error)}
<form method="post" action="${base}/otp">
<label for="otp">One-time password</label><input type="text" id="otp" name="otp" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" required>
<button type="submit" name="decision" value="verify">Verify</button>${deny}
</form>`;
    } else if (this.selectable(bank, session, consent).length === 0) {
      body = `<h1>None of these accounts are yours</h1><p><strong>${who}</strong> asks for accounts that are not held by <strong>${escapeHtml(session.psu ?? '')}</strong>.</p>${errorBox(error)}
<form method="post" action="${base}/accounts">${deny}</form>`;
    } else {
      const accounts = this.selectable(bank, session, consent);
      const items = accounts
        .map(
          (a) =>
            `<li><label><input type="checkbox" name="accountIds" value="${escapeHtml(a.id)}" checked> ${escapeHtml(a.nickname)} · ${escapeHtml(a.product)} · ${escapeHtml(
              a.identifiers[0]?.identification ?? '',
            )} (${a.currency})</label></li>`,
        )
        .join('');
      body = `<h1>Choose the accounts to share</h1><p><strong>${who}</strong> asks for:</p>${this.describe(bank, consent)}${errorBox(error)}
<form method="post" action="${base}/accounts"><ul class="accounts">${items}</ul>
<button type="submit" name="decision" value="approve">Approve</button>
<button class="secondary" type="submit" name="decision" value="deny">Deny</button></form>`;
    }
    sendHtml(reply, status, page(bank.profile, 'Consent', body));
  }

  private describe(bank: BankRuntime, consent: ConsentRecord): string {
    if (bank.profile.standard === 'obie') {
      const until = consent.expiresAt ? new Date(consent.expiresAt).toISOString().slice(0, 10) : 'no end date';
      return `<ul>${(consent.permissions ?? []).map((p) => `<li><code>${escapeHtml(p)}</code></li>`).join('')}</ul><p class="muted">Until ${until}.</p>`;
    }
    const access = Object.keys(consent.access ?? {}).join(', ');
    return `<p><code>${escapeHtml(access)}</code>, up to ${consent.frequencyPerDay} unattended reads per day, valid until ${escapeHtml(consent.validUntil ?? '')}${
      consent.recurringIndicator ? '' : ' (one-off)'
    }.</p>`;
  }

  private finish(
    reply: FastifyReply,
    bank: BankRuntime,
    session: AuthSession,
    consent: ConsentRecord,
    decision: 'approve' | 'deny',
    accountIds: string[],
    reason?: string,
  ) {
    session.stage = 'done';
    const now = bank.now();
    const params = new URLSearchParams();
    if (decision === 'deny') {
      consent.status = bank.profile.standard === 'obie' ? 'Rejected' : 'rejected';
      consent.statusUpdatedAt = now;
      consent.psu = session.psu;
      params.set('error', 'access_denied');
      params.set('error_description', reason ?? 'The PSU denied the request');
      if (session.state !== undefined) params.set('state', session.state);
      this.ctx.store.changed();
      return this.redirect(reply, session, params);
    }
    consent.status = bank.profile.standard === 'obie' ? 'Authorised' : 'valid';
    consent.statusUpdatedAt = now;
    consent.authorisedAt = now;
    consent.psu = session.psu;
    consent.accountIds = accountIds;
    if (consent.access)
      consent.access = fillAccess(
        consent.access,
        bank.data.accounts.filter((a) => accountIds.includes(a.id)),
      );
    const code = this.oauth.issueCode(
      {
        bank: bank.id,
        clientId: session.clientId,
        consentId: consent.id,
        redirectUri: session.redirectUri,
        nonce: session.nonce,
        codeChallenge: session.codeChallenge,
        psu: session.psu!,
      },
      bank,
    );
    params.set('code', code);
    if (session.state !== undefined) params.set('state', session.state);
    const hybrid = session.responseType.split(' ').includes('id_token');
    if (!hybrid) return this.redirect(reply, session, params);
    void this.oauth
      .idToken(bank, {
        clientId: session.clientId,
        consentId: consent.id,
        nonce: session.nonce,
        code,
        state: session.state,
      })
      .then((idToken) => {
        params.set('id_token', idToken);
        this.redirect(reply, session, params);
      });
  }

  private redirect(reply: FastifyReply, session: AuthSession, params: URLSearchParams) {
    const url = new URL(session.redirectUri);
    if (session.responseMode === 'fragment') url.hash = params.toString();
    else for (const [k, v] of params) url.searchParams.set(k, v);
    void reply.status(302).header('location', url.toString()).header('cache-control', 'no-store').send();
  }
}

/** The account references a Berlin Group access object names in its lists (none: bank-offered). */
function namedAccounts(access: Record<string, unknown>): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const list of ['accounts', 'balances', 'transactions'] as const)
    if (Array.isArray(access[list])) out.push(...(access[list] as Record<string, unknown>[]));
  return out;
}

function names(ref: Record<string, unknown>, a: Account): boolean {
  if (typeof ref.iban === 'string') return a.iban === ref.iban;
  if (typeof ref.maskedPan === 'string') return a.maskedPan === ref.maskedPan;
  if (typeof ref.pan === 'string') return a.pan === ref.pan;
  return false;
}

/**
 * Berlin Group: after authorisation, bank-offered lists (empty arrays) name the chosen accounts (a
 * card by its masked PAN), and a dedicated consent's lists keep the named accounts the PSU chose.
 */
function fillAccess(access: Record<string, unknown>, accounts: Account[]): Record<string, unknown> {
  if (access.allPsd2 || access.availableAccounts || access.availableAccountsWithBalance) return access;
  const refs = accounts.map((a) =>
    a.maskedPan ? { maskedPan: a.maskedPan, currency: a.currency } : { iban: a.iban, currency: a.currency },
  );
  const out: Record<string, unknown> = { ...access };
  for (const list of ['accounts', 'balances', 'transactions'] as const) {
    const named = access[list];
    if (!Array.isArray(named)) continue;
    out[list] =
      named.length === 0 ? refs : (named as Record<string, unknown>[]).filter((r) => accounts.some((a) => names(r, a)));
  }
  if (!Array.isArray(out.accounts)) out.accounts = refs;
  return out;
}

export type { BankId };
