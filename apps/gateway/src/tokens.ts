/** The app's pino logger. */
export const LOGGER = Symbol('LOGGER');
/** RPC clients of the services the gateway calls for changes (reads go straight to Postgres). */
export const CONSENT_RPC = Symbol('CONSENT_RPC');
/** RPC client of the connector-service (provider onboarding, from the admin surface). */
export const CONNECTOR_RPC = Symbol('CONNECTOR_RPC');
