import fc from 'fast-check';
import { Webhook } from 'standardwebhooks';
import { generateWebhookSecret } from '@ais/webhooks';
import { verifyStandardWebhook } from '@ais/testing';
import { WebhookSigner } from './webhook-signer.js';

describe('webhook signatures (checked with a verifier written from the Standard Webhooks spec)', () => {
  const secret = generateWebhookSecret();
  const body = JSON.stringify({
    id: 'evt_01',
    type: 'webhook.test',
    createdAt: '2026-11-21T10:00:00.000Z',
    data: { webhookId: 'we_1', message: 'héllo' },
  });
  const at = new Date();

  it('signs id.timestamp.body so that the subscriber verifies it', () => {
    const headers = new WebhookSigner(secret, null).headers('evt_01', body, at);
    expect(headers['webhook-id']).toBe('evt_01');
    expect(headers['webhook-timestamp']).toBe(String(Math.floor(at.getTime() / 1000)));
    expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
    expect(verifyStandardWebhook(secret, headers, body)).toEqual({ ok: true });
  });

  it('writes the same signature as the standardwebhooks library, for any id, time and body', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1 }),
        fc.date({ min: new Date(0), max: new Date(4_102_444_800_000), noInvalidDate: true }),
        fc.string({ unit: 'binary' }),
        (id, when, payload) => {
          const signature = new WebhookSigner(secret, null).headers(id, payload, when)['webhook-signature'];
          expect(signature).toBe(new Webhook(secret).sign(id, when, payload));
        },
      ),
    );
  });

  it('fails verification for a tampered body, another id, an old timestamp or another secret', () => {
    const headers = new WebhookSigner(secret, null).headers('evt_01', body, at);
    expect(verifyStandardWebhook(secret, headers, body.replace('héllo', 'hello'))).toEqual({
      ok: false,
      reason: 'no matching signature',
    });
    expect(verifyStandardWebhook(secret, { ...headers, 'webhook-id': 'evt_02' }, body).ok).toBe(false);
    expect(verifyStandardWebhook(generateWebhookSecret(), headers, body).ok).toBe(false);
    const old = new WebhookSigner(secret, null).headers('evt_01', body, new Date(at.getTime() - 10 * 60_000));
    expect(verifyStandardWebhook(secret, old, body)).toEqual({ ok: false, reason: 'timestamp outside tolerance' });
    // Replaying an old signature with a fresh timestamp header does not verify either.
    expect(verifyStandardWebhook(secret, { ...old, 'webhook-timestamp': headers['webhook-timestamp'] }, body).ok).toBe(
      false,
    );
  });

  it('signs with both secrets while a rotated-out secret is in its grace period, and with the new one after', () => {
    const previous = generateWebhookSecret();
    const during = new WebhookSigner(secret, { secret: previous, expiresAt: new Date(at.getTime() + 60_000) }).headers(
      'evt_01',
      body,
      at,
    );
    expect(during['webhook-signature'].split(' ')).toHaveLength(2);
    expect(verifyStandardWebhook(secret, during, body).ok).toBe(true);
    expect(verifyStandardWebhook(previous, during, body).ok).toBe(true);
    const after = new WebhookSigner(secret, { secret: previous, expiresAt: new Date(at.getTime() - 1) }).headers(
      'evt_01',
      body,
      at,
    );
    expect(after['webhook-signature'].split(' ')).toHaveLength(1);
    expect(verifyStandardWebhook(previous, after, body).ok).toBe(false);
  });
});
