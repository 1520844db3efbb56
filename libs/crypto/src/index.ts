export * from './key-ring.js';
export * from './secrets.js';
