export * from './paths.js';
export * from './database.js';
export * from './env.js';
export * from './browser.js';
export * from './stack.js';
export * from './webhooks.js';
export * from './redis-cluster.js';
export * from './openapi-contract.js';
