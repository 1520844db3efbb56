import type * as oidc from 'openid-client';
import type { BankHttpClient, BankResponse, HttpMethod } from '../http/bank-http-client.js';

/** What one openid-client operation sent through the bank's HTTP client, kept to explain a failure. */
export interface Exchange {
  metadata?: BankResponse;
  jwks?: BankResponse;
  token?: BankResponse;
  /** The HTTP client's own error (bank_unavailable, bank_rate_limited, circuit open…). */
  failure?: unknown;
}

/** How a request openid-client makes is sent: its name, whether it may be retried, over mTLS or not. */
export interface Route {
  operation: string;
  idempotent: boolean;
  mtls: boolean;
  record: 'metadata' | 'jwks' | 'token';
}

function bodyText(body: oidc.FetchBody): string | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string') return body;
  if (body instanceof URLSearchParams) return body.toString();
  if (body instanceof Uint8Array || body instanceof ArrayBuffer)
    return Buffer.from(body as Uint8Array).toString('utf8');
  throw new TypeError('streamed request bodies are not sent to banks');
}

/**
 * openid-client's `customFetch` on the provider's BankHttpClient: timeouts, retries, the circuit
 * breaker, rate limits, mTLS agents and the observer apply to OAuth calls as to every other; each
 * response (or the client's own error) is kept in `exchange` for the error mapping.
 */
export function bankFetch(
  http: BankHttpClient,
  exchange: Exchange,
  route: (method: string) => Route,
): oidc.CustomFetch {
  return async (url, init) => {
    const r = route(init.method);
    try {
      const res = await http.send({
        method: init.method as HttpMethod,
        url,
        headers: init.headers,
        body: bodyText(init.body),
        idempotent: r.idempotent,
        mtls: r.mtls,
        operation: r.operation,
      });
      exchange[r.record] = res;
      const empty = res.status === 204 || res.status === 205 || res.status === 304;
      return new Response(empty ? null : res.text, { status: res.status, headers: res.headers });
    } catch (error) {
      exchange.failure ??= error;
      throw error;
    }
  };
}
