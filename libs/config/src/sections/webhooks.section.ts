import { z } from 'zod';
import { defineSection, env } from '../define-section.js';
import { parseAllowedTargets, type AllowedTarget } from './webhook-allow-list.js';

const UNITS_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `250ms`, `5s`, `30m`, `2h`, `5d` or a bare number of milliseconds. */
export function parseDurationMs(text: string): number | null {
  const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?$/.exec(text.trim());
  if (!match) return null;
  const ms = Number(match[1]) * UNITS_MS[match[2] ?? 'ms'];
  return Number.isFinite(ms) ? Math.round(ms) : null;
}

const duration = (fallback: string, minMs = 0) =>
  z
    .string()
    .default(fallback)
    .transform((v, ctx) => {
      const ms = parseDurationMs(v);
      if (ms === null || ms < minMs) {
        ctx.addIssue({
          code: 'custom',
          message: `expected a duration such as 250ms, 5s, 30m, 2h or 5d (at least ${minMs} ms)`,
        });
        return z.NEVER;
      }
      return ms;
    });

const durationList = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((v, ctx) => {
      const parts = v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      const values = parts.map(parseDurationMs);
      if (parts.length === 0 || values.some((ms) => ms === null || ms <= 0)) {
        ctx.addIssue({
          code: 'custom',
          message: 'expected a comma-separated list of durations, e.g. 5s,5m,30m,2h,5h,10h,10h',
        });
        return z.NEVER;
      }
      return values as number[];
    });

/**
 * Webhook delivery (the gateway validates endpoint URLs with the same rules the dispatcher applies on
 * every attempt). The defaults are production values; tests compress the schedule and the leases.
 */
export const webhooksSection = defineSection(
  'webhooks',
  {
    /**
     * Targets that may be private/loopback and may use plain http: `ip:port`, `[ipv6]:port`, `host:port`,
     * CIDRs (every port) or `cidr:port`, comma-separated, e.g. `127.0.0.1:3900,[::1]:3900,10.0.0.0/8:8080`
     * (grammar: webhook-allow-list.ts). Matched against the address a webhook actually connects to.
     */
    WEBHOOK_ALLOWED_PRIVATE_TARGETS: env.list('').transform((entries, ctx): AllowedTarget[] => {
      const { targets, errors } = parseAllowedTargets(entries);
      for (const message of errors) ctx.addIssue({ code: 'custom', message });
      return errors.length > 0 ? z.NEVER : targets;
    }),
    /** A 2xx within this time is a success; anything slower is a failed attempt. */
    WEBHOOK_TIMEOUT: duration('15s', 100),
    WEBHOOK_CONNECT_TIMEOUT: duration('5s', 50),
    /** Delays after the 1st, 2nd, … failed attempt; when the list runs out the delivery is failed. */
    WEBHOOK_RETRY_SCHEDULE: durationList('5s,5m,30m,2h,5h,10h,10h'),
    /** Each delay is stretched by a random 0..JITTER fraction (never shortened), spreading retry storms. */
    WEBHOOK_RETRY_JITTER_PERCENT: env.int(20, 0, 100),
    /** An endpoint that has failed every attempt for this long is disabled. */
    WEBHOOK_DISABLE_AFTER: duration('5d', 1),
    /** Concurrent requests per endpoint (1 = strictly in order while the endpoint is healthy). */
    WEBHOOK_ENDPOINT_CONCURRENCY: env.int(1, 1, 64),
    /** Deliveries an instance claims ahead per endpoint (per unit of concurrency). */
    WEBHOOK_ENDPOINT_PREFETCH: env.int(64, 1, 10_000),
    /** Requests in flight per dispatcher process, over all endpoints. */
    WEBHOOK_MAX_IN_FLIGHT: env.int(1_024, 1, 100_000),
    /** How long an endpoint's lease lasts without renewal: how soon another instance takes over a dead one's endpoints. */
    WEBHOOK_LEASE: duration('60s', 200),
    /** Polling for due retries (the outbox itself is checked every 20 ms, read-only). */
    WEBHOOK_POLL_INTERVAL: duration('100ms', 5),
    WEBHOOK_RELAY_BATCH: env.int(1_000, 1, 50_000),
    WEBHOOK_MAX_RESPONSE_BYTES: env.int(65_536, 0, 10_485_760),
    /** How long a rotated-out secret still signs (and so still verifies at the subscriber). */
    WEBHOOK_SECRET_GRACE: duration('24h', 0),
    /** Events and finished deliveries are kept at least this long (GET /v1/events promises 30 days). */
    WEBHOOK_RETENTION: duration('30d', 60_000),
    WEBHOOK_MAX_ENDPOINTS_PER_TENANT: env.int(50, 1, 10_000),
  },
  (v) => ({
    allowedPrivateTargets: v.WEBHOOK_ALLOWED_PRIVATE_TARGETS,
    timeoutMs: v.WEBHOOK_TIMEOUT,
    connectTimeoutMs: Math.min(v.WEBHOOK_CONNECT_TIMEOUT, v.WEBHOOK_TIMEOUT),
    retryScheduleMs: v.WEBHOOK_RETRY_SCHEDULE,
    retryJitter: v.WEBHOOK_RETRY_JITTER_PERCENT / 100,
    disableAfterMs: v.WEBHOOK_DISABLE_AFTER,
    endpointConcurrency: v.WEBHOOK_ENDPOINT_CONCURRENCY,
    endpointPrefetch: v.WEBHOOK_ENDPOINT_PREFETCH,
    maxInFlight: v.WEBHOOK_MAX_IN_FLIGHT,
    leaseMs: v.WEBHOOK_LEASE,
    pollIntervalMs: v.WEBHOOK_POLL_INTERVAL,
    relayBatch: v.WEBHOOK_RELAY_BATCH,
    maxResponseBytes: v.WEBHOOK_MAX_RESPONSE_BYTES,
    secretGraceMs: v.WEBHOOK_SECRET_GRACE,
    retentionMs: v.WEBHOOK_RETENTION,
    maxEndpointsPerTenant: v.WEBHOOK_MAX_ENDPOINTS_PER_TENANT,
  }),
  (v) =>
    v.WEBHOOK_LEASE <= v.WEBHOOK_TIMEOUT
      ? ['WEBHOOK_LEASE: must be longer than WEBHOOK_TIMEOUT (a claim must outlive one attempt)']
      : [],
);
export type WebhooksConfig =
  ReturnType<typeof webhooksSection.parse> extends { ok: true; value: infer T } | { ok: false } ? T : never;
