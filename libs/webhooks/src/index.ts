export * from './target-policy.js';
export * from './resolve.js';
export * from './secrets.js';
export * from './allow-list.js';
export * from './endpoint-url.js';
