/** RPC client of the connector-service (provider onboarding). */
export const CONNECTOR_RPC = Symbol('CONNECTOR_RPC');
