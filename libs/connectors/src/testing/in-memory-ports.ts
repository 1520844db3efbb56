import { AppError, computeAccessBudget, type AccessLedgerRecord } from '@ais/domain';
import type { AccessGrant, AccessGuard, AccessRequest, AccessToken, TokenSource } from '../ports.js';

/**
 * In-process AccessGuard over the same pure budget rules as the Postgres one: for tests and for
 * tools that run a connector without a database.
 */
export class InMemoryAccessGuard implements AccessGuard {
  readonly entries: (AccessLedgerRecord & { providerId: string })[] = [];

  constructor(private readonly now: () => Date = () => new Date()) {}

  async reserve(r: AccessRequest): Promise<AccessGrant> {
    const now = this.now();
    if (r.psuPresent) {
      this.entries.push({
        providerId: r.providerId,
        consentId: r.consentId,
        scope: r.scope,
        resource: r.resource,
        psuPresent: true,
        at: now,
      });
      return { used: 0, remaining: r.limit };
    }
    const budget = computeAccessBudget(
      this.entries,
      { consentId: r.consentId, scope: r.scope, resource: r.resource },
      r.limit,
      r.window,
      now,
    );
    if (budget.remaining <= 0) {
      throw new AppError('budget_exhausted', 'The unattended access budget of this consent is spent for now.', {
        providerId: r.providerId,
        scope: r.scope,
        resource: r.resource,
        nextAllowedAt: budget.nextAllowedAt?.toISOString() ?? null,
      });
    }
    this.entries.push({
      providerId: r.providerId,
      consentId: r.consentId,
      scope: r.scope,
      resource: r.resource,
      psuPresent: false,
      at: now,
    });
    return { used: budget.used + 1, remaining: budget.remaining - 1 };
  }
}

/** A TokenSource fed directly (tests put the tokens of a real OAuth flow here). */
export class InMemoryTokenSource implements TokenSource {
  private readonly tokens = new Map<string, AccessToken>();

  set(consentId: string, token: AccessToken): void {
    this.tokens.set(consentId, token);
  }

  async getAccessToken(consentId: string): Promise<AccessToken> {
    const t = this.tokens.get(consentId);
    if (!t) throw new AppError('not_found', `No bank token for consent ${consentId}.`);
    return t;
  }
}
