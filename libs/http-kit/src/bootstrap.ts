import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { DynamicModule, Type } from '@nestjs/common';
import {
  PinoNestLogger,
  REQUEST_ID_HEADER,
  accessLogger,
  requestIdFrom,
  type Logger,
  type Metrics,
} from '@ais/observability';
import type { Duplex } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '@ais/domain';
import { ProblemFilter } from './problem.filter.js';
import { PROBLEM_CONTENT_TYPE, buildProblem } from './problem.js';
import { sendProblem } from './send-problem.js';
import { createValidationPipe } from './validation.js';
import { MAX_JSON_DEPTH, installJsonBodyParser } from './json-body.js';
import { installInputTextGuard } from './input-text.js';

export interface HttpAppOptions {
  service: string;
  logger: Logger;
  metrics?: Metrics;
  bodyLimitBytes?: number;
  /** The deepest nesting of objects and arrays a JSON body may have (default MAX_JSON_DEPTH). */
  maxJsonDepth?: number;
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
  const bodyLimit = options.bodyLimitBytes ?? 1_048_576;
  const adapter = new FastifyAdapter({
    bodyLimit,
    trustProxy: options.trustProxy ?? false,
    genReqId: (req: { headers: Record<string, string | string[] | undefined> }) =>
      requestIdFrom(req.headers[REQUEST_ID_HEADER]),
    logger: false,
    return503OnClosing: true,
    // Fastify's own refusals before any route (a malformed %-escape, a path parameter over
    // maxParamLength), as problem+json like every other error.
    frameworkErrors: (error: { code?: string }, request: FastifyRequest, reply: FastifyReply) => {
      const tooLong = error.code === 'FST_ERR_MAX_PARAM_LENGTH';
      sendProblem(
        new AppError(
          tooLong ? 'uri_too_long' : 'validation_failed',
          tooLong ? 'A path parameter is longer than 100 characters.' : 'The URL is not valid.',
        ),
        request,
        reply,
        logger,
        metrics,
      );
    },
    // Node's HTTP parser refuses some requests before Fastify sees them (headers over 16 KB, a method
    // it does not know, a malformed request line): the answer is written on the socket, as problem+json.
    clientErrorHandler: (error: NodeJS.ErrnoException, socket: Duplex) => writeClientError(error, socket),
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
  // A body announced over the limit: Fastify answers 413 at once and closes the connection while the
  // client is still sending, and most clients then see a reset, not the answer. Up to 16 × the limit the
  // body is read and dropped first (a lingering close, as web servers do), so the 413 problem arrives
  // and the connection stays usable; beyond that Fastify's immediate refusal stands.
  fastify.addHook('onRequest', async (request) => {
    const announced = Number(request.headers['content-length']);
    if (!(announced > bodyLimit) || announced > bodyLimit * 16) return;
    await discardBody(request.raw);
    throw new AppError('payload_too_large', 'The request body is too large.');
  });
  // Its fields are fixed here and hold no secret (the path without its query string): no redaction pass.
  const access = accessLogger(logger);
  fastify.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions?.url ?? 'unmatched';
    const seconds = reply.elapsedTime / 1000;
    metrics?.httpDuration.observe({ method: request.method, route, status: String(reply.statusCode) }, seconds);
    if (route.startsWith('/health') || route === '/metrics') return;
    access.info(
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
  // A JSON body nested too deep is refused before it is parsed (validation walks bodies recursively).
  installJsonBodyParser(app, options.maxJsonDepth ?? MAX_JSON_DEPTH);
  // NUL or a lone surrogate anywhere in the input is a 400 before any guard, handler or query.
  installInputTextGuard(fastify, (error, request, reply) => sendProblem(error, request, reply, logger, metrics));
  await options.configureFastify?.(app);
  app.useGlobalFilters(new ProblemFilter(logger, metrics));
  app.useGlobalPipes(createValidationPipe());
  app.enableShutdownHooks(['SIGTERM', 'SIGINT']);
  return app;
}

/** Reads a request's body to its end and drops it (a request that aborts ends it too). */
function discardBody(stream: NodeJS.ReadableStream & { destroyed?: boolean }): Promise<void> {
  return new Promise((resolve) => {
    stream
      .on('end', resolve)
      .on('close', resolve)
      .on('error', () => resolve());
    stream.on('data', () => undefined);
  });
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

/** A problem+json answer written straight on the socket, for requests Node's parser refused. */
function writeClientError(error: NodeJS.ErrnoException, socket: ClientSocket): void {
  // Node reports the same broken request again when its rest arrives or the client ends: answered once.
  if (lingering.has(socket)) return;
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  // Nothing can be written on a socket whose response has begun, or after a request timeout.
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT' || !socket.writable || socket._httpMessage?._headerSent) {
    socket.destroy(error);
    return;
  }
  const overflow = error.code === 'HPE_HEADER_OVERFLOW';
  const body = JSON.stringify(
    buildProblem(
      overflow ? 'header_fields_too_large' : 'malformed_body',
      overflow ? 'The request line and headers are larger than 16 KiB.' : 'The HTTP request could not be parsed.',
      requestIdFrom(undefined),
    ),
  );
  const status = overflow ? '431 Request Header Fields Too Large' : '400 Bad Request';
  socket.write(
    `HTTP/1.1 ${status}\r\nContent-Type: ${PROBLEM_CONTENT_TYPE}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
  lingeringClose(socket);
}

type ClientSocket = Duplex & { _httpMessage?: { _headerSent?: boolean } | null };
const lingering = new WeakSet<Duplex>();
/** How long, and how much of the rest of a refused request, is read before the connection is closed. */
const LINGER_MS = 2_000;
const LINGER_BYTES = 16 * 1_048_576;

/**
 * Ends the connection after an answer without losing the answer. A client that is still sending (a
 * 600 KB request line, say) leaves unread bytes behind; closing a socket with unread bytes makes the
 * kernel send a reset, and the reset throws away the answer at the client before it reads it (it sees
 * "fetch failed", not its 431). So the answer is sent with our half of the connection closed, the rest
 * of the request read and dropped (Node's parser no longer sees it) until the client closes, 16 MiB or
 * 2 s, whichever comes first: a lingering close, as web servers do.
 */
function lingeringClose(socket: Duplex): void {
  lingering.add(socket);
  socket.removeAllListeners('data');
  let drained = 0;
  const timer = setTimeout(() => socket.destroy(), LINGER_MS).unref();
  socket.once('close', () => clearTimeout(timer));
  socket.on('data', (chunk: Buffer) => {
    drained += chunk.length;
    if (drained > LINGER_BYTES) socket.destroy();
  });
  socket.once('end', () => socket.destroy());
  socket.end();
  socket.resume();
}
