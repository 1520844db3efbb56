import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { DynamicModule, Type } from '@nestjs/common';
import { PinoNestLogger, REQUEST_ID_HEADER, requestIdFrom, type Logger, type Metrics } from '@ais/observability';
import { ProblemFilter } from './problem.filter.js';
import { createValidationPipe } from './validation.js';

export interface HttpAppOptions {
  service: string;
  logger: Logger;
  metrics?: Metrics;
  bodyLimitBytes?: number;
  trustProxy?: boolean;
  /** Extra Fastify setup before Nest registers routes (content-type parsers, plugins). */
  configureFastify?: (app: NestFastifyApplication) => Promise<void> | void;
}

/**
 * Every HTTP app starts here: Fastify with request ids (`x-request-id` on every response), one JSON
 * log line per request (path only: query strings can carry authorization codes), problem+json for
 * every failure including unparsable bodies and unknown routes, strict validation, shutdown hooks.
 */
export async function createHttpApp(
  module: Type<unknown> | DynamicModule,
  options: HttpAppOptions,
): Promise<NestFastifyApplication> {
  const { logger, metrics } = options;
  const adapter = new FastifyAdapter({
    bodyLimit: options.bodyLimitBytes ?? 1_048_576,
    trustProxy: options.trustProxy ?? false,
    genReqId: (req: { headers: Record<string, string | string[] | undefined> }) =>
      requestIdFrom(req.headers[REQUEST_ID_HEADER]),
    logger: false,
    return503OnClosing: true,
  });
  const app = await NestFactory.create<NestFastifyApplication>(module, adapter, {
    logger: new PinoNestLogger(logger.child({ component: 'nest' })),
    bufferLogs: false,
    abortOnError: false,
  });
  const fastify = app.getHttpAdapter().getInstance();

  fastify.addHook('onRequest', async (request, reply) => {
    void reply.header(REQUEST_ID_HEADER, request.id);
  });
  fastify.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions?.url ?? 'unmatched';
    const seconds = reply.elapsedTime / 1000;
    metrics?.httpDuration.observe({ method: request.method, route, status: String(reply.statusCode) }, seconds);
    if (route.startsWith('/health') || route === '/metrics') return;
    logger.info(
      {
        requestId: request.id,
        method: request.method,
        path: request.url.split('?')[0],
        route,
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime),
      },
      'request',
    );
  });
  // Failures inside Fastify itself (body parsing, content types) and unknown routes reach ProblemFilter
  // through the error and not-found handlers Nest installs on Fastify.

  // JSON (and, where an app registers it, form bodies) only: a text/plain body is a 415, not a string.
  fastify.removeContentTypeParser('text/plain');
  await options.configureFastify?.(app);
  app.useGlobalFilters(new ProblemFilter(logger, metrics));
  app.useGlobalPipes(createValidationPipe());
  app.enableShutdownHooks(['SIGTERM', 'SIGINT']);
  return app;
}

/**
 * Closes the app on SIGTERM/SIGINT (Nest's shutdown hooks drain in-flight requests and workers) and
 * forces an exit if draining takes longer than `timeoutMs`.
 */
export function installShutdownTimeout(logger: Logger, timeoutMs: number): void {
  const onSignal = (signal: string) => {
    logger.info({ signal }, 'shutting down');
    setTimeout(() => {
      logger.error({ timeoutMs }, 'graceful shutdown timed out; exiting');
      process.exit(1);
    }, timeoutMs).unref();
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
}
