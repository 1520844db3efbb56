export * from './target-policy.js';
export * from './resolve.js';
export * from './secrets.js';
