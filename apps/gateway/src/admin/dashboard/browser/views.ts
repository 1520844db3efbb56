// What the dashboard reads from the admin API: the fields it shows, as the gateway's view classes
// declare them (apps/gateway/src/admin/**/dto). Types only: nothing here reaches the browser.

export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}

export interface CountFigure {
  count: number;
  estimated: boolean;
}

export interface SyncRunCounts {
  queued: number;
  running: number;
  succeeded: number;
  failed: number;
  deferred: number;
  total: number;
}

export interface Stats {
  tenants: { active: number; suspended: number; total: number };
  consents: { total: number; byStatus: Record<string, number> };
  providers: { active: number; inactive: number; total: number };
  syncRuns: { lastHour: SyncRunCounts; last24h: SyncRunCounts };
  data: { accounts: CountFigure; transactions: CountFigure };
  events: { last24h: number };
  webhooks: {
    deliveries: { pending: number; failed: number; oldestPendingAgeSeconds: number | null };
    endpoints: { enabled: number; disabled: number; failing: number };
  };
  queues: { waiting: number; active: number; delayed: number; failed: number; paused: string[]; backingOff: string[] };
}

export interface RunWindow {
  runs: number;
  failed: number;
  failureRate: number | null;
}

export interface ProviderHealth {
  providerId: string;
  name: string;
  country: string;
  standard: string;
  status: 'active' | 'inactive';
  verdict: string;
  reasons: string[];
  registration: {
    present: boolean;
    tokenEndpointAuthMethod: string | null;
    rejectedSince: string | null;
    rejected: 'registration' | 'certificate' | null;
  };
  lastSucceededAt: string | null;
  lastFailure: { at: string; code: string | null } | null;
  lastHour: RunWindow;
  last24h: RunWindow;
  budgetPressure: { bankRateLimited24h: number };
  queue: { paused: boolean; backoffMs: number; waiting: number };
}

export interface QueueInfo {
  name: string;
  providerStatus: 'active' | 'inactive' | null;
  counts: { waiting: number; active: number; delayed: number; prioritized: number; failed: number; completed: number };
  paused: boolean;
  backoffMs: number;
  globalRateLimit: { max: number; durationMs: number } | null;
  workers: number | null;
}

export interface Job {
  id: string;
  name: string;
  attemptsMade: number;
  maxAttempts: number;
  failedReason: string | null;
  finishedAt: string | null;
}

export interface AdminSyncRun {
  queuedAt: string;
  providerId: string | null;
  tenantId: string;
  consentId: string;
  trigger: string;
  error: { code: string; detail: string } | null;
}

export interface Delivery {
  createdAt: string;
  tenantId: string;
  webhookId: string;
  eventType: string | null;
  attempts: number;
  lastResponseStatus: number | null;
  lastError: string | null;
  lastAttemptAt: string | null;
}

export interface Tenant {
  id: string;
  name: string;
  status: string;
  rateLimitPerMinute: number;
  createdAt: string;
}

export interface AuditEntry {
  createdAt: string;
  action: string;
  targetType: string;
  targetId: string | null;
  tenantId: string | null;
  requestId: string | null;
}

/** GET /admin/timeseries/*: one entry per bucket in every figure array, oldest first. */
export interface Buckets {
  window: string;
  bucketSeconds: number;
  buckets: string[];
}

export interface ProviderSyncSeries {
  providerId: string;
  name: string;
  runs: number[];
  succeeded: number[];
  failed: number[];
  deferred: number[];
  inFlight: number[];
  bankRateLimited: number[];
  budgetExhausted: number[];
  unattendedCalls: number[];
}

export interface SyncRunSeries extends Buckets {
  providers: ProviderSyncSeries[];
}

export interface WebhookSeries extends Buckets {
  delivered: number[];
  failed: number[];
  failedAttempts: number[];
  latencyP50Ms: (number | null)[];
  latencyP99Ms: (number | null)[];
}

export interface ApiTrafficSeries extends Buckets {
  requests: number[];
  clientErrors: number[];
  serverErrors: number[];
}

export interface QueueDepthSeries {
  name: string;
  current: { waiting: number; active: number; delayed: number; failed: number };
  waiting: (number | null)[];
  active: (number | null)[];
  delayed: (number | null)[];
  failed: (number | null)[];
}

export interface QueueSeries extends Buckets {
  queues: QueueDepthSeries[];
}
