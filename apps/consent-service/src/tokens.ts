export const CONNECTOR_RPC = Symbol('CONNECTOR_RPC');
export const LOGGER = Symbol('LOGGER');
