export * from './queues/sync-job-queues.js';
export * from './request-sync/request-sync.usecase.js';
export * from './check-budget/check-sync-budget.usecase.js';
export * from './record-bank-condition/record-bank-condition.usecase.js';
export * from './purge-consent-data/purge-consent-data.usecase.js';
export * from './sync-use-cases.module.js';
