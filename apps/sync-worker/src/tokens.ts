import type { Logger } from '@ais/observability';

/** Injection tokens of the sync-worker. */
export const SYNC_WORKER_CONFIG = Symbol('SYNC_WORKER_CONFIG');
export const LOGGER = Symbol('LOGGER');
/** The connector-service RPC client. */
export const CONNECTOR_RPC = Symbol('CONNECTOR_RPC');
export const CLOCK = Symbol('CLOCK');

/**
 * The gateway's notion of "now" for schedules, windows and budgets. The system clock in production;
 * tests align it with a sandbox bank's clock (which they can move and scale).
 */
export interface Clock {
  now(): Date;
}
export const systemClock: Clock = { now: () => new Date() };

export type { Logger };
