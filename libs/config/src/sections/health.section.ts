import { z } from 'zod';
import { defineSection, env } from '../define-section.js';

/**
 * HTTP ports where the non-gateway apps expose /health/live, /health/ready and /metrics, and the
 * address they listen on: loopback by default (nothing but health and metrics there); 0.0.0.0 in a
 * container, where the kubelet probes and Prometheus scrapes from outside the process's host.
 */
export const healthPortsSection = defineSection(
  'healthPorts',
  {
    CONSENT_SERVICE_PORT: env.port(3001),
    CONNECTOR_SERVICE_PORT: env.port(3002),
    SYNC_WORKER_PORT: env.port(3003),
    WEBHOOK_DISPATCHER_PORT: env.port(3004),
    HEALTH_HOST: z.string().min(1).default('127.0.0.1'),
  },
  (v) => ({
    'consent-service': v.CONSENT_SERVICE_PORT,
    'connector-service': v.CONNECTOR_SERVICE_PORT,
    'sync-worker': v.SYNC_WORKER_PORT,
    'webhook-dispatcher': v.WEBHOOK_DISPATCHER_PORT,
    host: v.HEALTH_HOST,
  }),
);
