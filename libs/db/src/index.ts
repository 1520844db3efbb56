export * from './prisma.js';
export * from './copy.js';
export * from './circuit-store.js';
export * from './retry.js';
export * from './tokens.js';
export * from './db.module.js';
export * from './repositories/tenant.repository.js';
export * from './repositories/credential.repository.js';
export * from './repositories/audit-log.repository.js';
export * from './repositories/idempotency.repository.js';
export * from './repositories/signing-key.repository.js';
export * from './repositories/provider.repository.js';
export * from './redis.module.js';
export * from './repositories/event.repository.js';
export * from './repositories/webhook-endpoint.repository.js';
export * from './repositories/webhook-delivery.repository.js';
export * from './repositories/webhook-outbox.repository.js';
export * from './repositories/webhook-event-log.repository.js';
export * from './repositories/consent.repository.js';
export * from './repositories/authorisation-session.repository.js';
export * from './repositories/token-set.repository.js';
export * from './repositories/sync-run.repository.js';
export * from './repositories/sync-consent.repository.js';
export * from './repositories/access-budget.repository.js';
export * from './repositories/account-write.repository.js';
export * from './repositories/transaction-write.repository.js';
export * from './repositories/account-data.repository.js';
export * from './maintenance/reencrypt.js';
export * from './repositories/ops-stats.repository.js';
export * from './repositories/admin-sync-run.repository.js';
export * from './repositories/provider-ops.repository.js';
export * from './keyset.js';
export * from './repositories/webhook-dispatch.repository.js';
export * from './repositories/consent-condition.repository.js';
export * from './registration-gate.js';
export * from './repositories/provider-operation.repository.js';
/**
 * @deprecated BullMQ is not the database: import `bullConnection` from '@ais/contracts' (the sync
 * queues are `SyncJobQueues` in '@ais/sync'). Kept until apps/gateway/src/ops stops importing it here.
 */
export { bullConnection } from '@ais/contracts';
