import { randomUUID } from 'node:crypto';

export const REQUEST_ID_HEADER = 'x-request-id';
const SANE = /^[A-Za-z0-9._:@-]{1,128}$/;

/** The caller's request id when it is sane (printable, bounded), else a new one. */
export function requestIdFrom(header: unknown): string {
  const value = Array.isArray(header) ? header[0] : header;
  return typeof value === 'string' && SANE.test(value) ? value : `req_${randomUUID().replace(/-/g, '')}`;
}
