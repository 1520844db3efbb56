import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger, Metrics } from '@ais/observability';
import { normaliseError } from './error-normaliser.js';
import { PROBLEM_CONTENT_TYPE, buildProblem } from './problem.js';

export function sendProblem(
  exception: unknown,
  request: FastifyRequest,
  reply: FastifyReply,
  logger: Logger,
  metrics?: Metrics,
): void {
  const { appError, unexpected } = normaliseError(exception);
  const requestId = String(request.id);
  // The bank's raw detail (kept by the connectors for operators) goes to the log, never to the caller.
  const { bank, ...extensions } = appError.extensions;
  if (bank !== undefined) logger.warn({ requestId, code: appError.code, bank }, 'bank detail');
  const body = buildProblem(appError.code, appError.detail, requestId, extensions, appError.fieldErrors);
  if (unexpected) {
    logger.error({ err: exception, requestId, route: request.routeOptions?.url }, 'unhandled error');
  } else if (body.status >= 500) {
    logger.warn({ code: appError.code, requestId, detail: appError.detail }, 'request failed');
  }
  metrics?.errors.inc({ code: appError.code });
  const retryAfter = appError.extensions['retryAfterSeconds'];
  if (typeof retryAfter === 'number') void reply.header('retry-after', String(Math.max(1, Math.ceil(retryAfter))));
  if (appError.code === 'unauthorized') void reply.header('www-authenticate', 'Bearer');
  void reply.status(body.status).header('content-type', PROBLEM_CONTENT_TYPE).send(body);
}
