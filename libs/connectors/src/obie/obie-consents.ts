import { AppError, addDays, fromObiePermissions, localDateOf, startOfLocalDate, toObiePermissions } from '@ais/domain';
import type { BankConsent, BankConsentStatus, ConsentRef, CreateConsentInput } from '../connector.js';
import type { BankResponse } from '../http/bank-http-client.js';
import { mapOrInvalid, parseJson, validateWire } from '../mapping.js';
import type { ObieContext } from './obie-context.js';
import { parseObieError } from './obie.errors.js';
import { ObReadConsentResponse1, type ObReadConsent1 } from './obie.wire.js';

const STATUS: Record<string, BankConsentStatus> = {
  AwaitingAuthorisation: 'awaiting_authorisation',
  Authorised: 'authorised',
  Rejected: 'rejected',
  Revoked: 'revoked',
};

function isoSeconds(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', '+00:00');
}

/** Local midnight of `date` in the bank's zone as an ISO instant (plus `offsetSeconds`). */
function localMidnightIso(date: string, timeZone: string, offsetSeconds = 0): string {
  return isoSeconds(startOfLocalDate(date, timeZone).getTime() + offsetSeconds * 1000);
}

/** The OBIE account-access-consent resource, called with a client-credentials token. */
export class ObieConsents {
  constructor(private readonly ctx: ObieContext) {}

  private mapConsent(body: ObReadConsentResponse1): BankConsent {
    const d = body.Data;
    const tz = this.ctx.capabilities.timeZone;
    return {
      externalConsentId: d.ConsentId,
      status: STATUS[d.Status] ?? 'rejected',
      bankStatus: d.Status,
      permissions: fromObiePermissions(d.Permissions),
      expiresAt: d.ExpirationDateTime ? new Date(d.ExpirationDateTime).toISOString() : null,
      transactionsFrom: d.TransactionFromDateTime ? localDateOf(d.TransactionFromDateTime, tz) : null,
      transactionsTo: d.TransactionToDateTime ? localDateOf(d.TransactionToDateTime, tz) : null,
      frequencyPerDay: null,
      createdAt: new Date(d.CreationDateTime).toISOString(),
      statusUpdatedAt: new Date(d.StatusUpdateDateTime).toISOString(),
      links: { ...(body.Links?.Self ? { self: body.Links.Self } : {}) },
      raw: body,
    };
  }

  private parseConsent(res: BankResponse, operation: string): BankConsent {
    const { ctx } = this;
    return mapOrInvalid(
      ctx.providerId,
      operation,
      () =>
        this.mapConsent(
          validateWire(
            ObReadConsentResponse1,
            ctx.profile.normaliseWire(parseJson(res.text)),
            'OBReadConsentResponse1',
          ),
        ),
      res.text,
    );
  }

  async createConsent(input: CreateConsentInput): Promise<BankConsent> {
    const { ctx } = this;
    const unsupported = input.permissions.filter((p) => !ctx.capabilities.supportedPermissions.includes(p));
    if (unsupported.length > 0)
      throw new AppError('limit_exceeded', `${ctx.profile.name} does not support: ${unsupported.join(', ')}.`, {
        providerId: ctx.providerId,
      });
    // No maximum at the bank (maxConsentDays null): the consent lasts as long as asked, and without
    // an ExpirationDateTime for as long as the PSU keeps it (OBIE: "open ended").
    const maxDays = ctx.capabilities.maxConsentDays;
    const maxExpiry = maxDays === null ? Infinity : ctx.now().getTime() + maxDays * 86_400_000;
    const requested = input.expiresAt ? Date.parse(input.expiresAt) : maxExpiry;
    const expiresAt = Math.min(requested, maxExpiry);
    const tz = ctx.capabilities.timeZone;
    const body: ObReadConsent1 = {
      Data: {
        Permissions: toObiePermissions(input.permissions),
        ...(Number.isFinite(expiresAt) ? { ExpirationDateTime: isoSeconds(expiresAt) } : {}),
        ...(input.transactionsFrom ? { TransactionFromDateTime: localMidnightIso(input.transactionsFrom, tz) } : {}),
        ...(input.transactionsTo
          ? { TransactionToDateTime: localMidnightIso(addDays(input.transactionsTo, 1), tz, -1) }
          : {}),
      },
      Risk: {},
    };
    const token = await ctx.clientCredentialsToken();
    const res = await ctx.http.send({
      method: 'POST',
      url: ctx.consentUrl(),
      headers: { ...ctx.fapiHeaders(input.psu), authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
      idempotent: false,
      mtls: ctx.resourceMtls,
      operation: 'obie.createConsent',
    });
    if (res.status !== 201 && res.status !== 200)
      throw parseObieError(ctx.providerId, 'obie.createConsent', res, ctx.now());
    return this.parseConsent(res, 'obie.createConsent');
  }

  async getConsentStatus(input: ConsentRef): Promise<BankConsent> {
    const { ctx } = this;
    const token = await ctx.clientCredentialsToken();
    const res = await ctx.http.send({
      method: 'GET',
      url: ctx.consentUrl(input.externalConsentId),
      headers: { ...ctx.fapiHeaders(input.psu), authorization: `Bearer ${token}` },
      idempotent: true,
      mtls: ctx.resourceMtls,
      operation: 'obie.getConsent',
    });
    if (res.status !== 200) throw parseObieError(ctx.providerId, 'obie.getConsent', res, ctx.now());
    return this.parseConsent(res, 'obie.getConsent');
  }

  async revokeConsent(input: ConsentRef): Promise<void> {
    const { ctx } = this;
    const token = await ctx.clientCredentialsToken();
    const res = await ctx.http.send({
      method: 'DELETE',
      url: ctx.consentUrl(input.externalConsentId),
      headers: { ...ctx.fapiHeaders(input.psu), authorization: `Bearer ${token}` },
      idempotent: true,
      mtls: ctx.resourceMtls,
      operation: 'obie.revokeConsent',
    });
    if (res.status === 204 || res.status === 200 || res.status === 404) return;
    if (res.status === 400 && /Resource\.NotFound/.test(res.text)) return;
    throw parseObieError(ctx.providerId, 'obie.revokeConsent', res, ctx.now());
  }
}
