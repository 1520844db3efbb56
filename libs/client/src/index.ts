/**
 * @ais/client: the AIS Gateway's typed SDK. Request and response types and one function per operation are
 * generated from the gateway's OpenAPI document (src/generated, by @hey-api/openapi-ts: do not edit);
 * this file adds a client factory and verification of the gateway's signed webhooks.
 *
 *   const client = createClient({ baseUrl: 'http://localhost:3000', apiKey });
 *   const { data } = await providersList({ client, throwOnError: true });
 */
import { Webhook } from 'standardwebhooks';
import { createClient as createFetchClient, createConfig, type Client } from './generated/client/index.js';
import type {
  ConsentAuthorisedEvent,
  ConsentExpiredEvent,
  ConsentExpiringEvent,
  ConsentRejectedEvent,
  ConsentRevokedEvent,
  SyncCompletedEvent,
  SyncFailedEvent,
  TransactionsAddedEvent,
  TransactionsModifiedEvent,
  TransactionsRemovedEvent,
  WebhookTestEvent,
} from './generated/types.gen.js';

export * from './generated/index.js';
export type { Client } from './generated/client/index.js';

export interface GatewayClientOptions {
  /** The gateway's URL, e.g. http://localhost:3000. */
  baseUrl: string;
  /** An API key (`sk_…`), or an access token from POST /v1/oauth/token; the admin token for /admin. */
  apiKey?: string;
  /** Another fetch (a proxy, retries, tests). */
  fetch?: typeof fetch;
}

/** A client for every generated operation: pass it as `client` to each call. */
export function createClient(options: GatewayClientOptions): Client {
  return createFetchClient(
    createConfig({
      baseUrl: options.baseUrl.replace(/\/$/, ''),
      ...(options.apiKey ? { headers: { authorization: `Bearer ${options.apiKey}` } } : {}),
      ...(options.fetch ? { fetch: options.fetch } : {}),
    }),
  );
}

/** Every event the gateway sends to webhook endpoints (and lists in GET /v1/events), by its `type`. */
export type WebhookEvent =
  | ConsentAuthorisedEvent
  | ConsentRejectedEvent
  | ConsentRevokedEvent
  | ConsentExpiredEvent
  | ConsentExpiringEvent
  | SyncCompletedEvent
  | SyncFailedEvent
  | TransactionsAddedEvent
  | TransactionsModifiedEvent
  | TransactionsRemovedEvent
  | WebhookTestEvent;

/**
 * Verifies a webhook as the gateway signs it (Standard Webhooks: `webhook-id`, `webhook-timestamp`,
 * `webhook-signature` over the raw body, with the endpoint's `whsec_…` secret; timestamps more than five
 * minutes off are refused) and returns the typed event. Pass the body exactly as received, before any
 * JSON parsing. Throws `WebhookVerificationError` when the signature or timestamp is wrong.
 */
export function verifyWebhook(
  secret: string,
  headers: Record<string, string | string[] | undefined>,
  rawBody: string,
): WebhookEvent {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers))
    if (value !== undefined) flat[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  return new Webhook(secret).verify(rawBody, flat) as WebhookEvent;
}

export { WebhookVerificationError } from 'standardwebhooks';
