import { AppError, addDays, BERLIN_GROUP_ACCESS, localDateOf, unsupportedInBerlinGroup } from '@ais/domain';
import type {
  BankConsent,
  BankConsentStatus,
  ConsentRef,
  ConsentStatusCheck,
  CreateConsentInput,
} from '../connector.js';
import { mapOrInvalid, parseJson, validateWire } from '../mapping.js';
import type { BgContext } from './bg-context.js';
import { parseBgError } from './bg.errors.js';
import { BgConsentInformation, BgConsentsResponse201, BgConsentStatusResponse } from './bg.wire.js';

const STATUS: Record<string, BankConsentStatus> = {
  received: 'awaiting_authorisation',
  partiallyAuthorised: 'awaiting_authorisation',
  valid: 'authorised',
  rejected: 'rejected',
  revokedByPsu: 'revoked',
  terminatedByTpp: 'revoked',
  expired: 'expired',
};

/** Berlin Group consents: POST /v1/consents with the access object, its status, its deletion. */
export class BgConsents {
  constructor(private readonly ctx: BgContext) {}

  async createConsent(input: CreateConsentInput): Promise<BankConsent> {
    const unsupported = unsupportedInBerlinGroup(input.permissions).concat(
      input.permissions.filter((p) => !this.ctx.capabilities.supportedPermissions.includes(p)),
    );
    if (unsupported.length > 0)
      throw new AppError(
        'limit_exceeded',
        `${this.ctx.profile.name} (Berlin Group) does not support: ${[...new Set(unsupported)].join(', ')}.`,
        { providerId: this.ctx.providerId },
      );
    // PSU-IP-Address is mandatory here; "if not available, the TPP shall use the IP Address used by the
    // TPP when submitting this request" (Berlin Group 1.3.12, POST /v1/consents).
    const psu = input.psu ?? (this.ctx.deps.tppIpAddress ? { ipAddress: this.ctx.deps.tppIpAddress } : undefined);
    if (!psu)
      throw new AppError(
        'validation_failed',
        'A Berlin Group consent needs the PSU’s IP address (psuIpAddress) or a configured TPP_IP_ADDRESS.',
      );
    const tz = this.ctx.capabilities.timeZone;
    const today = localDateOf(this.ctx.now(), tz);
    // No maximum at the bank: Berlin Group's own way of asking for the longest validity.
    const maxDays = this.ctx.capabilities.maxConsentDays;
    const maxUntil = maxDays === null ? '9999-12-31' : addDays(today, maxDays);
    const requested = input.expiresAt ? localDateOf(input.expiresAt, tz) : maxUntil;
    const validUntil = requested > maxUntil ? maxUntil : requested;
    const access = this.access(input);
    const body = {
      access,
      recurringIndicator: true,
      validUntil,
      frequencyPerDay: Math.min(input.frequencyPerDay, this.ctx.capabilities.maxFrequencyPerDay),
      combinedServiceIndicator: false,
    };
    const res = await this.ctx.http.send({
      method: 'POST',
      url: this.ctx.url('/consents'),
      headers: this.ctx.headers(psu, {
        'content-type': 'application/json',
        'tpp-redirect-uri': input.redirectUri,
        'tpp-nok-redirect-uri': input.redirectUri,
        'tpp-redirect-preferred': 'true',
      }),
      body: JSON.stringify(body),
      idempotent: false,
      mtls: this.ctx.mtls,
      operation: 'bg.createConsent',
    });
    if (res.status !== 201 && res.status !== 200)
      throw parseBgError(this.ctx.providerId, 'bg.createConsent', res, this.ctx.now());
    return mapOrInvalid(
      this.ctx.providerId,
      'bg.createConsent',
      () => {
        const c = validateWire(BgConsentsResponse201, parseJson(res.text), 'consentsResponse-201');
        const abs = (href: string | undefined) =>
          href ? new URL(href, this.ctx.endpoints.baseUrl).toString() : undefined;
        return {
          externalConsentId: c.consentId,
          status: STATUS[c.consentStatus] ?? 'rejected',
          bankStatus: c.consentStatus,
          permissions: input.permissions,
          expiresAt: new Date(`${validUntil}T23:59:59Z`).toISOString(),
          transactionsFrom: null,
          transactionsTo: null,
          frequencyPerDay: body.frequencyPerDay,
          createdAt: this.ctx.now().toISOString(),
          statusUpdatedAt: this.ctx.now().toISOString(),
          links: {
            ...(abs(c._links.scaOAuth?.href) ? { scaOAuth: abs(c._links.scaOAuth?.href) } : {}),
            ...(abs(c._links.scaRedirect?.href) ? { scaRedirect: abs(c._links.scaRedirect?.href) } : {}),
            ...(abs(c._links.self?.href) ? { self: abs(c._links.self?.href) } : {}),
          },
          raw: c,
        };
      },
      res.text,
    );
  }

  /**
   * The access object: a dedicated-account consent names the tenant's accounts in every list it asks
   * for (the bank then asks the PSU about those only); a bank-offered one sends empty lists (the PSU
   * picks at the bank); the allPsd2 model asks for every account.
   */
  private access(input: CreateConsentInput): Record<string, unknown> {
    const access: Record<string, unknown> = {};
    const named = input.accounts ?? [];
    if (named.length > 0 && !this.ctx.capabilities.dedicatedAccountConsents)
      throw new AppError(
        'limit_exceeded',
        `${this.ctx.profile.name} (Berlin Group) offers no dedicated-account consents: leave accounts out.`,
        { providerId: this.ctx.providerId },
        [{ field: 'accounts', message: 'this provider does not offer dedicated-account consents' }],
      );
    if (named.length === 0 && this.ctx.profile.consentModel === 'allPsd2' && input.permissions.includes('transactions'))
      return { allPsd2: 'allAccounts' };
    const refs = named.map((a) => ({ [a.scheme]: a.identification }));
    for (const p of input.permissions) {
      const key = BERLIN_GROUP_ACCESS[p];
      if (key === 'trustedBeneficiaries') access.additionalInformation = { trustedBeneficiaries: refs };
      else if (key) access[key] = refs;
    }
    // Every list names its accounts: the account list covers what the others ask for.
    if (named.length > 0) access.accounts = refs;
    return access;
  }

  async getConsentStatus(input: ConsentRef): Promise<BankConsent> {
    const res = await this.ctx.http.send({
      method: 'GET',
      url: this.ctx.url(`/consents/${encodeURIComponent(input.externalConsentId)}`),
      headers: this.ctx.headers(input.psu),
      idempotent: true,
      mtls: this.ctx.mtls,
      operation: 'bg.getConsent',
    });
    if (res.status !== 200) throw parseBgError(this.ctx.providerId, 'bg.getConsent', res, this.ctx.now());
    return mapOrInvalid(
      this.ctx.providerId,
      'bg.getConsent',
      () => {
        const c = validateWire(BgConsentInformation, parseJson(res.text), 'consentInformationResponse-200');
        const access = c.access as Record<string, unknown>;
        const permissions = (['accounts', 'balances', 'transactions'] as const).filter(
          (k) => access[k] !== undefined || access.allPsd2 !== undefined,
        );
        return {
          externalConsentId: input.externalConsentId,
          status: STATUS[c.consentStatus] ?? 'rejected',
          bankStatus: c.consentStatus,
          permissions: permissions.length > 0 ? [...permissions] : ['accounts'],
          expiresAt: new Date(`${c.validUntil}T23:59:59Z`).toISOString(),
          transactionsFrom: null,
          transactionsTo: null,
          frequencyPerDay: c.frequencyPerDay,
          createdAt: null,
          statusUpdatedAt: null,
          links: {},
          raw: c,
        };
      },
      res.text,
    );
  }

  /** The light status endpoint (GET /v1/consents/{id}/status). */
  async getConsentStatusOnly(input: ConsentRef): Promise<BankConsentStatus> {
    return (await this.checkConsentStatus(input)).status;
  }

  /** GET /v1/consents/{id}/status: no PSU token, and not an account access (frequencyPerDay is not spent). */
  async checkConsentStatus(input: ConsentRef): Promise<ConsentStatusCheck> {
    const res = await this.ctx.http.send({
      method: 'GET',
      url: this.ctx.url(`/consents/${encodeURIComponent(input.externalConsentId)}/status`),
      headers: this.ctx.headers(input.psu),
      idempotent: true,
      mtls: this.ctx.mtls,
      operation: 'bg.getConsentStatus',
    });
    if (res.status !== 200) throw parseBgError(this.ctx.providerId, 'bg.getConsentStatus', res, this.ctx.now());
    return mapOrInvalid(
      this.ctx.providerId,
      'bg.getConsentStatus',
      () => {
        const bankStatus = validateWire(
          BgConsentStatusResponse,
          parseJson(res.text),
          'consentStatusResponse-200',
        ).consentStatus;
        return { status: STATUS[bankStatus] ?? 'rejected', bankStatus, expiresAt: null };
      },
      res.text,
    );
  }

  async revokeConsent(input: ConsentRef): Promise<void> {
    const res = await this.ctx.http.send({
      method: 'DELETE',
      url: this.ctx.url(`/consents/${encodeURIComponent(input.externalConsentId)}`),
      headers: this.ctx.headers(input.psu),
      idempotent: true,
      mtls: this.ctx.mtls,
      operation: 'bg.revokeConsent',
    });
    if (res.status === 204 || res.status === 200 || res.status === 404) return;
    const err = parseBgError(this.ctx.providerId, 'bg.revokeConsent', res, this.ctx.now());
    if (err.code === 'consent_revoked' || err.code === 'consent_expired') return;
    throw err;
  }
}
