import { Catch, type ArgumentsHost, type RpcExceptionFilter } from '@nestjs/common';
import { throwError, type Observable } from 'rxjs';
import { AppError, ERROR_CODES, type ErrorCode, type FieldError } from '@ais/domain';
import type { Logger } from '@ais/observability';

/** What crosses the wire when an RPC handler fails. */
export interface RpcErrorPayload {
  code: ErrorCode;
  detail: string;
  extensions?: Record<string, unknown>;
  fieldErrors?: FieldError[];
}

export function toRpcError(error: unknown, logger: Logger): RpcErrorPayload {
  if (error instanceof AppError) {
    return { code: error.code, detail: error.detail, extensions: error.extensions, fieldErrors: error.fieldErrors };
  }
  logger.error({ err: error }, 'unhandled error in RPC handler');
  return { code: 'internal_error', detail: 'The service failed unexpectedly.' };
}

export function fromRpcError(payload: unknown): AppError {
  const p = payload as Partial<RpcErrorPayload> | undefined;
  if (p && typeof p.code === 'string' && (ERROR_CODES as readonly string[]).includes(p.code)) {
    return new AppError(p.code, p.detail ?? p.code, p.extensions ?? {}, p.fieldErrors ?? []);
  }
  return new AppError('service_unavailable', 'An internal service did not answer properly.');
}

/** Every RPC server uses this filter: AppErrors keep their code across the wire. */
@Catch()
export class RpcErrorFilter implements RpcExceptionFilter {
  constructor(private readonly logger: Logger) {}

  catch(exception: unknown, _host: ArgumentsHost): Observable<never> {
    return throwError(() => toRpcError(exception, this.logger));
  }
}
