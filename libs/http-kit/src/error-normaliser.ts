import { HttpException } from '@nestjs/common';
import { AppError, type ErrorCode } from '@ais/domain';

interface FastifyishError {
  code?: string;
  statusCode?: number;
  message?: string;
  validation?: unknown;
}

/**
 * Turns anything thrown into an AppError. Known framework failures (bad JSON, wrong media type, body
 * limits, unknown routes) get their own codes; anything else is an internal error whose detail is
 * never the raw message (it could carry internals).
 */
export function normaliseError(error: unknown): { appError: AppError; unexpected: boolean } {
  if (error instanceof AppError) return { appError: error, unexpected: false };
  const e = (error ?? {}) as FastifyishError;
  const byFastifyCode: Record<string, [ErrorCode, string]> = {
    FST_ERR_CTP_INVALID_MEDIA_TYPE: ['unsupported_media_type', 'Send JSON (application/json).'],
    FST_ERR_CTP_BODY_TOO_LARGE: ['payload_too_large', 'The request body is too large.'],
    FST_ERR_CTP_EMPTY_JSON_BODY: ['malformed_body', 'The body is empty but Content-Type says JSON.'],
    FST_ERR_CTP_INVALID_CONTENT_LENGTH: ['malformed_body', 'Content-Length does not match the body.'],
    FST_ERR_CTP_INVALID_JSON_BODY: ['malformed_body', 'The body is not valid JSON.'],
  };
  if (e.code && byFastifyCode[e.code]) {
    const [code, detail] = byFastifyCode[e.code];
    return { appError: new AppError(code, detail), unexpected: false };
  }
  if (error instanceof SyntaxError && e.statusCode === 400) {
    return { appError: new AppError('malformed_body', 'The body is not valid JSON.'), unexpected: false };
  }
  if (error instanceof HttpException) {
    const status = error.getStatus();
    if (status === 404)
      return { appError: new AppError('route_not_found', 'No route matches this method and path.'), unexpected: false };
    if (status === 401)
      return { appError: new AppError('unauthorized', 'Missing or invalid credentials.'), unexpected: false };
    if (status === 403) return { appError: new AppError('forbidden', 'Not allowed.'), unexpected: false };
    if (status === 413)
      return { appError: new AppError('payload_too_large', 'The request body is too large.'), unexpected: false };
    if (status === 415)
      return { appError: new AppError('unsupported_media_type', 'Unsupported media type.'), unexpected: false };
    if (status === 400) return { appError: new AppError('malformed_body', error.message), unexpected: false };
  }
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    if (e.statusCode === 413)
      return { appError: new AppError('payload_too_large', 'The request body is too large.'), unexpected: false };
    if (e.statusCode === 415)
      return { appError: new AppError('unsupported_media_type', 'Unsupported media type.'), unexpected: false };
    return { appError: new AppError('malformed_body', 'The request could not be parsed.'), unexpected: false };
  }
  return {
    appError: new AppError('internal_error', 'An unexpected error occurred. Quote the requestId when reporting it.'),
    unexpected: true,
  };
}
