import { Webhook } from 'standardwebhooks';

// A type alias (not an interface) so it is assignable to plain header records.
export type SignatureHeaders = {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
};

/**
 * Standard Webhooks signatures (the `standardwebhooks` library does the HMAC): `v1,<base64>` per
 * active secret, space-separated, newest first. During a rotation grace period both the new and the
 * previous secret sign, so a subscriber verifying with either accepts the delivery.
 */
export class WebhookSigner {
  private readonly current: Webhook;
  private readonly previous: { webhook: Webhook; expiresAt: Date } | null;

  constructor(secret: string, previous: { secret: string; expiresAt: Date } | null) {
    this.current = new Webhook(secret);
    this.previous = previous ? { webhook: new Webhook(previous.secret), expiresAt: previous.expiresAt } : null;
  }

  /** Headers for one attempt: `webhook-id` is the event id, the same on every attempt. */
  headers(eventId: string, body: string, at: Date): SignatureHeaders {
    const signatures = [this.current.sign(eventId, at, body)];
    if (this.previous && this.previous.expiresAt > at) signatures.push(this.previous.webhook.sign(eventId, at, body));
    return {
      'webhook-id': eventId,
      'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
      'webhook-signature': signatures.join(' '),
    };
  }
}
