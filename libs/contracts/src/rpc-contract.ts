import type { ConnectorRpcContract } from './connector.contract.js';
import type { ConsentRpcContract } from './consent.contract.js';

/**
 * RPC message patterns between apps, and the request / response type of each. Both sides compile
 * against this map, so a handler and its callers cannot disagree about a payload. Pattern strings
 * never change once shipped (rename = new pattern). Payloads are JSON: dates are ISO strings and money
 * is a decimal string.
 */

export interface RpcContract extends ConnectorRpcContract, ConsentRpcContract {
  /** Every RPC server answers its own ping (readiness checks of its peers). */
  'consent-service.ping': { request: Record<string, never>; response: { service: string; at: string } };
  'connector-service.ping': { request: Record<string, never>; response: { service: string; at: string } };
}

export type RpcPattern = keyof RpcContract;
export type RpcRequest<P extends RpcPattern> = RpcContract[P]['request'];
export type RpcResponse<P extends RpcPattern> = RpcContract[P]['response'];

/** The services that serve RPC, and their ping patterns. */
export const RPC_SERVICES = ['consent-service', 'connector-service'] as const;
export type RpcService = (typeof RPC_SERVICES)[number];
export const pingPattern = (service: RpcService) => `${service}.ping` as const;
