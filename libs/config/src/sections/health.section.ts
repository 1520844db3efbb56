import { defineSection, env } from '../define-section.js';

/** HTTP ports where the non-gateway apps expose /health/live, /health/ready and /metrics. */
export const healthPortsSection = defineSection(
  'healthPorts',
  {
    CONSENT_SERVICE_PORT: env.port(3001),
    CONNECTOR_SERVICE_PORT: env.port(3002),
    SYNC_WORKER_PORT: env.port(3003),
    WEBHOOK_DISPATCHER_PORT: env.port(3004),
  },
  (v) => ({
    'consent-service': v.CONSENT_SERVICE_PORT,
    'connector-service': v.CONNECTOR_SERVICE_PORT,
    'sync-worker': v.SYNC_WORKER_PORT,
    'webhook-dispatcher': v.WEBHOOK_DISPATCHER_PORT,
  }),
);
