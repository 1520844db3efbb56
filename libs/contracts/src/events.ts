/**
 * Events: written to the outbox (the `events` table) in the same transaction as the data they
 * describe; served by GET /v1/events and delivered as webhooks with the same id. Payloads are small:
 * ids and counts, never whole transaction lists. Type names never change once shipped.
 */
export const EVENT_TYPES = [
  'consent.authorised',
  'consent.rejected',
  'consent.revoked',
  'consent.expiring',
  'consent.expired',
  'sync.completed',
  'sync.failed',
  'transactions.added',
  'transactions.modified',
  'transactions.removed',
  'webhook.test',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** At most this many transaction ids ride in one transactions.* event; the change feed has the rest. */
export const MAX_TRANSACTION_IDS_PER_EVENT = 100;

interface ConsentRef {
  consentId: string;
  providerId: string;
  endUserId: string | null;
}

interface TransactionsChanged {
  consentId: string;
  accountId: string;
  syncRunId: string;
  count: number;
  transactionIds: string[];
  /** True when count > transactionIds.length: page GET /v1/transactions/sync for the rest. */
  truncated: boolean;
}

export interface EventPayloads {
  'consent.authorised': ConsentRef & { authorisedAt: string; expiresAt: string };
  'consent.rejected': ConsentRef & { reason: string | null };
  'consent.revoked': ConsentRef & { revokedAt: string; revokedBy: 'tenant' | 'bank' };
  'consent.expiring': ConsentRef & { expiresAt: string };
  'consent.expired': ConsentRef & { expiredAt: string };
  'sync.completed': {
    consentId: string;
    syncRunId: string;
    trigger: 'initial' | 'scheduled' | 'psu_present' | 'manual';
    accounts: number;
    transactionsAdded: number;
    transactionsModified: number;
    transactionsRemoved: number;
    /** Optional resources the bank refused in this run (the rest was stored; see GET …/sync-runs). */
    unavailable: string[];
  };
  'sync.failed': {
    consentId: string;
    syncRunId: string;
    trigger: 'initial' | 'scheduled' | 'psu_present' | 'manual';
    error: { code: string; detail: string };
  };
  'transactions.added': TransactionsChanged;
  'transactions.modified': TransactionsChanged;
  'transactions.removed': TransactionsChanged;
  'webhook.test': { webhookId: string; message: string };
}

/** The envelope of GET /v1/events items and webhook bodies. */
export interface EventEnvelope<T extends EventType = EventType> {
  id: string;
  type: T;
  createdAt: string;
  data: EventPayloads[T];
}
