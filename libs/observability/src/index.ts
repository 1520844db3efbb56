export * from './redaction.js';
export * from './logger.js';
export * from './request-id.js';
export * from './metrics.js';
export * from './health-check.js';
