import { AppError } from '@ais/domain';
import { BANK_DETAIL_EXTENSION, type AccessToken, type BankErrorDetail, type TokenSource } from '@ais/connectors';
import type { RpcResponse } from '@ais/contracts';
import { registrationRejection } from './provider-calls.js';

/** The vault's answer: a token, and when the vault will refresh it. */
export type VaultToken = RpcResponse<'consent-service.getAccessToken'>;

/** Where tokens come from: the consent-service's vault (RpcTokenSource). */
export interface VaultTokenSource {
  getAccessToken(consentId: string): Promise<VaultToken>;
}

/**
 * However long the vault lets a token be reused, it is asked again after this long: the vault also
 * checks the consent (revoked or expired in the gateway), and a revocation this instance did not
 * hear of (another instance held the RPC lease) must not outlive it by much.
 */
export const TOKEN_REUSE_MAX_MS = 5 * 60_000;
const SWEEP_EVERY_MS = 60_000;

interface Entry {
  token: AccessToken;
  /** Epoch ms: from then on the vault is asked again. */
  reuseUntil: number;
}

/** How the bank refused a data call: the token (it may work with another), the consent (no token will), or neither. */
type Refusal = 'token' | 'consent' | null;

function refusal(error: unknown): Refusal {
  if (!(error instanceof AppError)) return null;
  if (error.code === 'consent_revoked' || error.code === 'consent_expired') return 'consent';
  if (error.code !== 'bank_unauthorised' || registrationRejection(error) !== null) return null;
  const bank = error.extensions[BANK_DETAIL_EXTENSION] as BankErrorDetail | undefined;
  return bank?.httpStatus === 401 ? 'token' : null;
}

/**
 * The consent's bank access token, kept in this process until the vault would refresh it, so a
 * connector following many pages (each asks the TokenSource) costs one trip to the consent-service,
 * not one per page. The vault stays the only place that refreshes (single-flight across processes
 * under its Redis lock): its answer says when it will (`refreshAt`: the refresh margin before expiry,
 * capped at half the token's lifetime), and the token is not reused from then on. A vault that does
 * not say gets asked every time, as before. Concurrent asks for one consent share one trip.
 *
 * A token the bank refuses is forgotten (`run`), as are those of a bank consent revoked, refreshed
 * or found no longer authorised through this service (`forgetExternal`). Tokens stay in this
 * process's memory: never logged, never in an error, never sent anywhere but to the bank.
 */
export class CachedTokenSource implements TokenSource {
  private readonly entries = new Map<string, Entry>();
  private readonly pending = new Map<string, Promise<AccessToken>>();
  private sweptAt = 0;

  constructor(
    private readonly vault: VaultTokenSource,
    private readonly now: () => number = Date.now,
  ) {}

  async getAccessToken(consentId: string): Promise<AccessToken> {
    const entry = this.entries.get(consentId);
    if (entry && this.now() < entry.reuseUntil) return entry.token;
    this.entries.delete(consentId);
    this.sweep();
    const running = this.pending.get(consentId);
    if (running) return running;
    const asking: Promise<AccessToken> = this.vault.getAccessToken(consentId).then(
      (answer) => {
        const token: AccessToken = {
          accessToken: answer.accessToken,
          tokenType: answer.tokenType,
          externalConsentId: answer.externalConsentId,
          expiresAt: answer.expiresAt,
        };
        // Forgotten while the vault answered (a refusal, a revocation): hand it to those who asked, keep nothing.
        if (this.pending.get(consentId) === asking) {
          this.pending.delete(consentId);
          const reuseUntil = this.reuseUntil(answer);
          if (reuseUntil > this.now()) this.entries.set(consentId, { token, reuseUntil });
        }
        return token;
      },
      (error: unknown) => {
        if (this.pending.get(consentId) === asking) this.pending.delete(consentId);
        throw error;
      },
    );
    this.pending.set(consentId, asking);
    return asking;
  }

  /**
   * Runs one connector call of a consent. A token the bank refuses is forgotten. When the call began
   * with a token reused from here, it runs once more with the vault's: after a 401 (the vault may
   * have a newer token, or the bank dropped this one), and after "revoked" or "expired" when the
   * vault's token is for another bank consent (re-authorised, the old one revoked, while this
   * instance was not the one answering). Never more than once.
   */
  async run<T>(consentId: string, call: () => Promise<T>): Promise<T> {
    const start = this.entries.get(consentId);
    const reused = start !== undefined && this.now() < start.reuseUntil ? start.token : undefined;
    try {
      return await call();
    } catch (error) {
      const refused = this.forgetRefused(consentId, error);
      if (refused === null || reused === undefined) throw error;
      if (refused === 'consent') {
        const current = await this.getAccessToken(consentId).catch(() => undefined);
        const newerBankConsent = current !== undefined && current.externalConsentId !== reused.externalConsentId;
        if (!newerBankConsent) {
          this.forget(consentId);
          throw error;
        }
      }
    }
    try {
      return await call();
    } catch (error) {
      this.forgetRefused(consentId, error);
      throw error;
    }
  }

  private forgetRefused(consentId: string, error: unknown): Refusal {
    const refused = refusal(error);
    if (refused !== null) this.forget(consentId);
    return refused;
  }

  /** Whether the next ask for this consent would be answered from here. */
  holds(consentId: string): boolean {
    const entry = this.entries.get(consentId);
    return entry !== undefined && this.now() < entry.reuseUntil;
  }

  forget(consentId: string): void {
    this.entries.delete(consentId);
    this.pending.delete(consentId);
  }

  /** Forgets the tokens of a bank consent (revoked through this service): the vault decides what comes next. */
  forgetExternal(externalConsentId: string): void {
    for (const [consentId, entry] of this.entries)
      if (entry.token.externalConsentId === externalConsentId) this.forget(consentId);
  }

  /** Until the vault's refresh point; a token the vault never refreshes, until its expiry; never past TOKEN_REUSE_MAX_MS. */
  private reuseUntil(answer: VaultToken): number {
    if (answer.refreshAt === undefined) return 0;
    const until = answer.refreshAt ?? answer.expiresAt;
    const cap = this.now() + TOKEN_REUSE_MAX_MS;
    if (until === null) return cap;
    const at = Date.parse(until);
    return Number.isFinite(at) ? Math.min(at, cap) : 0;
  }

  private sweep(): void {
    const now = this.now();
    if (now - this.sweptAt < SWEEP_EVERY_MS) return;
    this.sweptAt = now;
    for (const [consentId, entry] of this.entries) if (entry.reuseUntil <= now) this.entries.delete(consentId);
  }
}
