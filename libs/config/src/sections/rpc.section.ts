import { z } from 'zod';
import { defineSection, env } from '../define-section.js';

/**
 * RPC between apps uses @nestjs/microservices. Redis transport by default; TCP is available for
 * deployments without a shared Redis for messaging (each service then listens on its RPC port).
 * Over Redis, one instance of a service holds its RPC lease and answers; others stand by
 * (RPC_LEASE_MS: how long a crashed holder keeps them waiting).
 */
export const rpcSection = defineSection(
  'rpc',
  {
    RPC_TRANSPORT: z.enum(['redis', 'tcp']).default('redis'),
    RPC_TIMEOUT_MS: env.int(15_000, 100, 600_000),
    RPC_LEASE_MS: env.int(10_000, 1_000, 300_000),
    CONSENT_SERVICE_RPC_HOST: z.string().default('127.0.0.1'),
    CONSENT_SERVICE_RPC_PORT: env.port(3011),
    CONNECTOR_SERVICE_RPC_HOST: z.string().default('127.0.0.1'),
    CONNECTOR_SERVICE_RPC_PORT: env.port(3012),
  },
  (v) => ({
    transport: v.RPC_TRANSPORT,
    timeoutMs: v.RPC_TIMEOUT_MS,
    leaseMs: v.RPC_LEASE_MS,
    tcp: {
      'consent-service': { host: v.CONSENT_SERVICE_RPC_HOST, port: v.CONSENT_SERVICE_RPC_PORT },
      'connector-service': { host: v.CONNECTOR_SERVICE_RPC_HOST, port: v.CONNECTOR_SERVICE_RPC_PORT },
    },
  }),
);
