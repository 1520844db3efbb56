import { bankError } from '../bank-error.js';
import type { BankConsent, BankTokenSet, ProviderRegistration, RefreshTokensInput } from '../connector.js';
import type { AuthorisationServer } from './authorization-server.js';
import type { TokenResponse } from './oauth.wire.js';

/** A token response as the gateway keeps it: lifetimes as instants from when the bank answered. */
export function bankTokenSet(
  t: TokenResponse,
  externalConsentId: string,
  claims: Record<string, unknown> | null,
  now: Date,
): BankTokenSet {
  const at = now.getTime();
  return {
    accessToken: t.access_token,
    tokenType: t.token_type,
    refreshToken: t.refresh_token ?? null,
    accessTokenExpiresAt: t.expires_in ? new Date(at + t.expires_in * 1000).toISOString() : null,
    refreshTokenExpiresAt: t.refresh_token_expires_in
      ? new Date(at + t.refresh_token_expires_in * 1000).toISOString()
      : null,
    obtainedAt: new Date(at).toISOString(),
    scope: t.scope ?? null,
    idTokenClaims: claims,
    externalConsentId,
  };
}

export interface RefreshContext {
  providerId: string;
  operation: string;
  now: () => Date;
  /** The consent as the bank has it (each standard reads its own consent resource). */
  consent: (externalConsentId: string) => Promise<BankConsent>;
}

/**
 * The refresh_token grant. When the bank refuses the grant (invalid_grant), the consent's fate is
 * read at the bank: revoked or rejected is consent_revoked, expired (or gone) is consent_expired;
 * a consent still valid leaves the bank's own refusal standing.
 */
export async function refreshTokenSet(
  as: AuthorisationServer,
  registration: ProviderRegistration,
  input: RefreshTokensInput,
  ctx: RefreshContext,
): Promise<BankTokenSet> {
  let grantRefused = false;
  try {
    const t = await as.refresh(registration, input.refreshToken, {
      operation: ctx.operation,
      onError: (res) => {
        if (res.status === 400 && /invalid_grant/.test(res.text)) grantRefused = true;
        return undefined;
      },
    });
    return bankTokenSet(t, input.externalConsentId, null, ctx.now());
  } catch (error) {
    if (!grantRefused) throw error;
    const consent = await ctx.consent(input.externalConsentId).catch(() => undefined);
    if (consent?.status === 'revoked' || consent?.status === 'rejected')
      throw bankError('consent_revoked', 'The consent was revoked at the bank.', { providerId: ctx.providerId });
    if (
      !consent ||
      consent.status === 'expired' ||
      (consent.expiresAt && Date.parse(consent.expiresAt) <= ctx.now().getTime())
    ) {
      throw bankError('consent_expired', 'The consent has expired at the bank.', { providerId: ctx.providerId });
    }
    throw error;
  }
}
