import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createTestDatabase, testEnv, type TestDatabase } from '@ais/testing';
import { createLogger } from '@ais/observability';
import { createGateway } from '../src/bootstrap.js';
import { loadGatewayConfig } from '../src/gateway.config.js';

export interface GatewayUnderTest {
  app: NestFastifyApplication;
  db: TestDatabase;
  baseUrl: string;
  adminToken: string;
  env: Record<string, string>;
  request(
    method: string,
    path: string,
    init?: { token?: string; body?: unknown; headers?: Record<string, string>; rawBody?: string },
  ): Promise<{ status: number; headers: Headers; body: any }>;
  close(): Promise<void>;
}

/** Boots the gateway in-process on an ephemeral port over a fresh database; tests speak real HTTP. */
export async function startGateway(overrides: Record<string, string> = {}): Promise<GatewayUnderTest> {
  const db = await createTestDatabase('gw');
  const env = testEnv({ DATABASE_URL: db.url, ...overrides });
  const config = loadGatewayConfig(env);
  const app = await createGateway(config, createLogger('gateway', config.runtime.logLevel));
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.getHttpServer().address() as { port: number };
  const baseUrl = `http://127.0.0.1:${address.port}`;
  return {
    app,
    db,
    baseUrl,
    env,
    adminToken: env.ADMIN_TOKEN,
    async request(method, path, init = {}) {
      const headers: Record<string, string> = { ...(init.headers ?? {}) };
      if (init.token) headers.authorization = `Bearer ${init.token}`;
      let body: string | undefined = init.rawBody;
      if (init.body !== undefined) {
        body = JSON.stringify(init.body);
        headers['content-type'] ??= 'application/json';
      }
      const res = await fetch(`${baseUrl}${path}`, { method, headers, body });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        // not JSON
      }
      return { status: res.status, headers: res.headers, body: parsed };
    },
    async close() {
      await app.close();
      await db.drop();
    },
  };
}
