import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createLogger } from '@ais/observability';
import { testEnv } from '@ais/testing';
import { createWebhookDispatcher } from '../src/bootstrap.js';
import { loadWebhookDispatcherConfig } from '../src/webhook-dispatcher.config.js';
import { DeliveryScheduler } from '../src/delivery/delivery-scheduler.service.js';

/** Compressed time: 1 s timeout, a retry schedule of seconds, short leases, fast polling. */
export const FAST_WEBHOOKS = {
  // The tests' receivers listen on 127.0.0.1, each on a port of its own: every port of that one address.
  WEBHOOK_ALLOWED_PRIVATE_TARGETS: '127.0.0.1/32',
  WEBHOOK_TIMEOUT: '1s',
  WEBHOOK_CONNECT_TIMEOUT: '500ms',
  WEBHOOK_RETRY_SCHEDULE: '100ms,200ms,400ms,800ms,1s,1s,1s',
  WEBHOOK_RETRY_JITTER_PERCENT: '0',
  WEBHOOK_LEASE: '3s',
  WEBHOOK_POLL_INTERVAL: '20ms',
};

export interface DispatcherUnderTest {
  app: NestFastifyApplication;
  holder: string;
  close(): Promise<void>;
}

/** The dispatcher in-process over an existing database (tests own the database). */
export async function startDispatcher(
  env: Record<string, string>,
  overrides: Record<string, string> = {},
): Promise<DispatcherUnderTest> {
  const config = loadWebhookDispatcherConfig({ ...env, ...FAST_WEBHOOKS, ...overrides });
  const app = await createWebhookDispatcher(config, createLogger('webhook-dispatcher', config.runtime.logLevel));
  return { app, holder: app.get(DeliveryScheduler).holder, close: () => app.close() };
}

export function dispatcherEnv(databaseUrl: string): Record<string, string> {
  return testEnv({ DATABASE_URL: databaseUrl });
}
