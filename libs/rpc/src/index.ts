export * from './rpc-errors.js';
export * from './rpc-client.js';
export * from './rpc-server.js';
export * from './nats-transport.js';
export * from './rpc-idempotency.js';
