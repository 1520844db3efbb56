import type { AccessWindow } from '@ais/domain';

/**
 * Ports the connectors call out through. The connector-service implements them on Postgres (access
 * ledger) and RPC (consent-service token vault); tests use the in-memory versions in ./testing.
 */

/** Resources as the bank (and the access ledger) counts them. */
export type AccessResource =
  | 'accounts'
  /** Berlin Group's card account list (GET /v1/card-accounts), counted apart from the account list. */
  | 'cardAccounts'
  | 'account'
  | 'balances'
  | 'transactions'
  | 'statements'
  | 'statementTransactions'
  | 'party'
  | 'beneficiaries'
  | 'standingOrders'
  | 'directDebits'
  | 'scheduledPayments';

export interface AccessRequest {
  providerId: string;
  consentId: string;
  /** The bank's account id, or '*' for consent-level calls (account list, bulk endpoints). */
  scope: string;
  resource: AccessResource;
  psuPresent: boolean;
  /** The consent's frequencyPerDay (the limit for unattended calls). */
  limit: number;
  window: AccessWindow;
}

export interface AccessGrant {
  used: number;
  remaining: number;
}

/**
 * Reserves one bank call. For an unattended call with no budget left it throws AppError
 * `budget_exhausted` with `extensions.nextAllowedAt`, and the connector does not call the bank.
 * PSU-present calls are recorded and always granted. Must be atomic across processes.
 */
export interface AccessGuard {
  reserve(request: AccessRequest): Promise<AccessGrant>;
}

export interface AccessToken {
  accessToken: string;
  tokenType: string;
  /** The bank's consent id (OBIE ConsentId / Berlin Group consentId): the Consent-ID header. */
  externalConsentId: string;
  expiresAt: string | null;
}

/** The bank access token of a consent (consent-service.getAccessToken over RPC in production). */
export interface TokenSource {
  getAccessToken(consentId: string): Promise<AccessToken>;
}

export type ProviderCircuitState = 'closed' | 'open' | 'half_open';

/** A breaker transition of one provider's HTTP client, in this process. */
export interface CircuitTransition {
  providerId: string;
  state: ProviderCircuitState;
  at: Date;
  /** Open: how long until the breaker lets one trial call through (half-open). */
  halfOpenAfterMs: number | null;
}

/**
 * Where breaker transitions go. Breakers live in each connector-service process's memory; the
 * connector-service publishes them to Redis (CircuitStore) so operators see every instance's.
 * Must not throw: it is called from inside the breaker.
 */
export interface CircuitReporter {
  report(transition: CircuitTransition): void;
}

/** A bank's 429 with Retry-After: calls under `key` (`provider`, or `consent:<id>`) wait until `until`. */
export interface ThrottlePause {
  providerId: string;
  key: string;
  /** Epoch milliseconds. */
  until: number;
}

/**
 * Where 429 pauses are kept. Shared by every connector-service instance (a bank that told one
 * instance to back off told them all: it counts our client, not our process), or one process's
 * memory (MemoryThrottleBoard). `publish` keeps the later of a key's pauses, must not throw and must
 * not wait on the network; `pausedUntil` answers from memory (0: not paused).
 */
export interface ThrottleBoard {
  publish(pause: ThrottlePause): void;
  /** The end of the latest pause published for `key` by any instance, epoch ms; 0 if none or over. */
  pausedUntil(providerId: string, key: string): number;
}
