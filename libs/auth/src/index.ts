export * from './credentials.js';
export * from './principal.js';
export * from './signing-keys.service.js';
export * from './access-tokens.service.js';
export * from './tenant-auth.service.js';
export * from './strategies.js';
export * from './guards.js';
export * from './rate-limiter.js';
