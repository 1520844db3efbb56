import type { AppError } from '@ais/domain';
import type { ZodType } from 'zod';
import { bankError, type BankErrorDetail } from '../bank-error.js';
import type { DataCallContext } from '../connector.js';
import type { BankResponse } from '../http/bank-http-client.js';
import { advertisedOrigins, configuredOrigins, nextPageUrl } from '../http/bank-origins.js';
import { mapOrInvalid, parseJson, validateWire } from '../mapping.js';
import { MAX_PAGES, pageLoopError } from '../paging.js';
import type { AccessResource } from '../ports.js';
import type { ObieConsents } from './obie-consents.js';
import type { ObieContext } from './obie-context.js';
import { parseObieError } from './obie.errors.js';

export interface Paged {
  Links?: { Next?: string };
}

/**
 * How an OBIE resource is read, whatever it is: page by page with the consent's access token, each
 * page reserved with the access guard, followed only on the bank's own origins, validated against
 * the spec; a refused call reads the consent to say revoked or expired.
 */
export class ObiePages {
  constructor(
    private readonly ctx: ObieContext,
    private readonly consents: ObieConsents,
  ) {}

  /**
   * GETs a resource and every following page. Each page is one bank call: the guard reserves it
   * first (per attempt), so an unattended sync never goes past the consent's budget.
   */
  async fetchAll<T extends Paged>(
    ctx: DataCallContext,
    path: string,
    schema: ZodType<T>,
    what: string,
    access: { resource: AccessResource; scope: string },
  ): Promise<T[]> {
    const pages: T[] = [];
    let url: string | undefined = this.ctx.resourceUrl(path);
    const seen = new Set<string>();
    while (url) {
      if (seen.has(url) || pages.length >= MAX_PAGES)
        throw pageLoopError(this.ctx.providerId, `obie.${access.resource}`);
      seen.add(url);
      const read: { page: T; next: string | undefined } = await this.fetchPage(ctx, url, schema, what, access);
      pages.push(read.page);
      url = read.next;
    }
    return pages;
  }

  /** One page, and where the next one is (on the base in use), if the bank links one. */
  async fetchPage<T extends Paged>(
    ctx: DataCallContext,
    url: string,
    schema: ZodType<T>,
    what: string,
    access: { resource: AccessResource; scope: string },
  ): Promise<{ page: T; next: string | undefined }> {
    const operation = `obie.${access.resource}`;
    const token = await this.ctx.deps.tokenSource.getAccessToken(ctx.consentId);
    const res = await this.ctx.http.send({
      method: 'GET',
      url,
      headers: { ...this.ctx.fapiHeaders(ctx.psu), authorization: `Bearer ${token.accessToken}` },
      idempotent: true,
      mtls: this.ctx.resourceMtls,
      operation,
      throttleKey: `consent:${ctx.consentId}`,
      beforeAttempt: this.ctx.reserveEachAttempt(ctx, access),
    });
    if (res.status !== 200) throw await this.dataCallError(res, operation, token.externalConsentId);
    const page = mapOrInvalid(
      this.ctx.providerId,
      operation,
      () => validateWire(schema, this.ctx.profile.normaliseWire(parseJson(res.text)), what),
      res.text,
    );
    return { page, next: page.Links?.Next ? await this.nextPage(page.Links.Next, url) : undefined };
  }

  /**
   * A refused data call. OBIE gives a 401 no body and leaves "revoked" and "expired" to prose, and
   * a bank that invalidates tokens with the consent answers 401 for both: the consent resource is the
   * authority, so on 401 / 403 the connector asks for it (client-credentials, not an AIS access) and
   * reports consent_revoked / consent_expired when that is what happened.
   */
  private async dataCallError(res: BankResponse, operation: string, externalConsentId: string): Promise<AppError> {
    const error = parseObieError(this.ctx.providerId, operation, res, this.ctx.now());
    if (res.status !== 401 && res.status !== 403) return error;
    const consent = await this.consents.getConsentStatus({ externalConsentId }).catch(() => undefined);
    if (!consent) return error;
    const bank = {
      ...(error.extensions.bank as BankErrorDetail),
      consentStatus: consent.bankStatus,
      consentExpiresAt: consent.expiresAt,
    };
    if (consent.status === 'revoked' || consent.status === 'rejected') {
      return bankError('consent_revoked', 'The consent is no longer authorised at the bank.', {
        providerId: this.ctx.providerId,
        detail: bank,
      });
    }
    if (
      consent.status === 'expired' ||
      (consent.expiresAt !== null && Date.parse(consent.expiresAt) <= this.ctx.now().getTime())
    ) {
      return bankError('consent_expired', 'The consent has expired at the bank.', {
        providerId: this.ctx.providerId,
        detail: bank,
      });
    }
    if (res.status === 403)
      return bankError('bank_forbidden_permission', 'The consent does not grant the permission this call needs.', {
        providerId: this.ctx.providerId,
        detail: bank,
      });
    return bankError('bank_unauthorised', 'The bank did not accept the access token.', {
      providerId: this.ctx.providerId,
      detail: bank,
    });
  }

  /**
   * Where to fetch a Links.Next: on the bank's own origins (configured, or advertised in its
   * discovery: issuer, endpoints, mTLS aliases) it is followed on the API base we use, so a
   * certificate-bound token stays on mutual TLS whatever host name the bank wrote into the link.
   * Any other host is refused: our token does not go there.
   */
  private async nextPage(next: string, current: string): Promise<string> {
    const where = {
      current,
      bases: [this.ctx.endpoints.resourceBaseUrl, this.ctx.endpoints.mtlsResourceBaseUrl],
      use: this.ctx.resourceUrl(''),
    };
    const configured = configuredOrigins(this.ctx.endpoints);
    const url =
      nextPageUrl(next, { ...where, origins: configured }) ??
      nextPageUrl(next, {
        ...where,
        origins: new Set([...configured, ...advertisedOrigins(await this.ctx.as.getMetadata())]),
      });
    if (!url)
      throw bankError('bank_invalid_response', 'The bank links a next page on another host.', {
        providerId: this.ctx.providerId,
        detail: { cause: next },
      });
    return url;
  }
}
