import { writeFileSync } from 'node:fs';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Metrics, createLogger } from '@ais/observability';
import { GatewayModule } from '../app.module.js';
import { loadGatewayConfig } from '../gateway.config.js';
import { buildOpenApi } from '../openapi.js';

/**
 * Writes the gateway's OpenAPI document without a database, Redis or NATS: Nest's preview mode reads the
 * controllers and DTOs and instantiates nothing. The document is the same one /openapi.json serves, with
 * `servers` set to the default public URL. Usage: node dist/apps/gateway/src/cli/openapi.js <file>
 */
const out = process.argv[2];
if (!out) {
  console.error('usage: openapi.js <output file>');
  process.exit(64);
}
const config = loadGatewayConfig({
  // Placeholders for the document only: preview mode never connects or decrypts anything.
  ADMIN_TOKEN: 'document-generation-only-token',
  ENCRYPTION_KEYS: `doc:${Buffer.alloc(32).toString('base64')}`,
  LOG_LEVEL: 'silent',
});
const logger = createLogger('gateway', 'silent');
const app = await NestFactory.create<NestFastifyApplication>(
  GatewayModule.forRoot(config, logger, new Metrics('gateway')),
  new FastifyAdapter(),
  { preview: true, logger: false, abortOnError: false },
);
writeFileSync(out, `${JSON.stringify(buildOpenApi(app, 'http://localhost:3000'), null, 2)}\n`);
await app.close();
