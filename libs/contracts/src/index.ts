export * from './rpc-contract.js';
export * from './connector.contract.js';
export * from './consent.contract.js';
export * from './events.js';
export * from './jobs.js';
