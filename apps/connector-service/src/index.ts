export { seedProviders } from './provider-seed.js';
export { PostgresAccessGuard } from './postgres-access-guard.js';
export { startConnectorService } from './connector-service.js';
