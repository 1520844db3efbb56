import { randomUUID } from 'node:crypto';
import { BankHttpError } from '../core/http.js';

/** Statuses for which the OBIE spec defines an OBErrorResponse1 body; the others answer with no body. */
const WITH_BODY = new Set([400, 403, 500]);

const CODES: Record<number, string> = {
  400: '400 BadRequest',
  401: '401 Unauthorized',
  403: '403 Forbidden',
  404: '404 NotFound',
  405: '405 MethodNotAllowed',
  406: '406 NotAcceptable',
  415: '415 UnsupportedMediaType',
  429: '429 TooManyRequests',
  500: '500 InternalServerError',
  503: '503 ServiceUnavailable',
};

/** An OBIE Read/Write error: OBErrorResponse1 for 400/403/500, headers only otherwise. */
export class ObieError extends BankHttpError {
  constructor(
    status: number,
    readonly errorCode: string,
    message: string,
    readonly path?: string,
    headers: Record<string, string> = {},
  ) {
    super(status, message, headers);
  }

  body() {
    if (!WITH_BODY.has(this.status)) return undefined;
    return {
      Code: CODES[this.status] ?? String(this.status),
      Id: randomUUID(),
      Message: this.message.slice(0, 500),
      Errors: [
        { ErrorCode: this.errorCode, Message: this.message.slice(0, 500), ...(this.path ? { Path: this.path } : {}) },
      ],
    };
  }

  static field(message: string, path?: string, code = 'UK.OBIE.Field.Invalid') {
    return new ObieError(400, code, message, path);
  }
  static unauthorized(message = 'Missing, expired or invalid access token') {
    return new ObieError(401, 'UK.OBIE.Unauthorized', message, undefined, { 'www-authenticate': 'Bearer' });
  }
  static forbidden(message: string, code = 'UK.OBIE.Resource.InvalidConsentStatus') {
    return new ObieError(403, code, message);
  }
  static notFound(message: string) {
    return new ObieError(400, 'UK.OBIE.Resource.NotFound', message);
  }
}
