import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { EventRepository, PRISMA, type PrismaClient } from '@ais/db';
import { createLogger } from '@ais/observability';
import { TestReceiver, startStack, until, verifyStandardWebhook, type RunningStack } from '@ais/testing';
import { createGateway } from '../bootstrap.js';
import { loadGatewayConfig } from '../gateway.config.js';

/**
 * The webhook API end to end: this gateway (in-process) and the webhook-dispatcher as its own process
 * on one database, a subscriber on 127.0.0.1, signatures checked by a verifier written from the
 * Standard Webhooks spec.
 */
describe('webhooks end to end: API → outbox → dispatcher process → subscriber', () => {
  let stack: RunningStack;
  let gateway: NestFastifyApplication;
  let base: string;
  const receiver = new TestReceiver();
  let apiKey: string;
  let tenantId: string;

  const api = async (method: string, path: string, body?: unknown, token = apiKey) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
  const arrivals = (id: string) => receiver.received.filter((r) => r.headers['webhook-id'] === id);

  beforeAll(async () => {
    stack = await startStack({
      apps: ['webhook-dispatcher'],
      label: 'wh_e2e',
      env: {
        WEBHOOK_SECRET_GRACE: '3s',
        WEBHOOK_RETRY_SCHEDULE: '100ms,100ms',
        WEBHOOK_TIMEOUT: '2s',
        WEBHOOK_LEASE: '5s',
        WEBHOOK_POLL_INTERVAL: '20ms',
      },
    });
    const config = loadGatewayConfig({ ...stack.env, LOG_LEVEL: 'silent' });
    gateway = await createGateway(config, createLogger('gateway', 'silent'));
    await gateway.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(gateway.getHttpServer().address() as { port: number }).port}`;
    await receiver.start(stack.webhookReceiverPort); // the port the stack's allow-list names
    const tenant = await api(
      'POST',
      '/admin/tenants',
      { name: 'Subscriber Ltd', redirectUris: ['https://app.example.com/cb'] },
      stack.adminToken,
    );
    apiKey = tenant.body.apiKey;
    tenantId = tenant.body.id;
  });
  afterAll(async () => {
    await receiver.stop();
    await gateway?.close();
    await stack?.stop();
  });

  it('delivers webhook.test signed with the secret shown at creation; the webhook-id is the event id of GET /v1/events', async () => {
    const hook = await api('POST', '/v1/webhooks', { url: `${receiver.url}/hooks/ais`, events: ['consent.revoked'] });
    expect(hook.status).toBe(201);
    const sent = await api('POST', `/v1/webhooks/${hook.body.id}/test`);
    expect(sent.status).toBe(202);

    const [req] = await until(
      'test event delivered',
      () => arrivals(sent.body.id).length > 0 && arrivals(sent.body.id),
    );
    expect(req.path).toBe('/hooks/ais');
    expect(JSON.parse(req.body)).toEqual(sent.body);
    expect(verifyStandardWebhook(hook.body.secret, req.headers, req.body)).toEqual({ ok: true });
    expect(verifyStandardWebhook(hook.body.secret, req.headers, req.body.replace('test event', 'tast event')).ok).toBe(
      false,
    );
    expect(
      verifyStandardWebhook(hook.body.secret, req.headers, req.body, {
        nowSeconds: Number(req.headers['webhook-timestamp']) + 301,
      }).ok,
    ).toBe(false);

    const log = await api('GET', `/v1/events?type=webhook.test`);
    expect(log.body.data.map((e: { id: string }) => e.id)).toContain(req.headers['webhook-id']);
    const deliveries = await until('delivery recorded', async () => {
      const res = await api('GET', `/v1/webhooks/${hook.body.id}/deliveries`);
      return res.body.data[0]?.status === 'succeeded' && res.body.data;
    });
    expect(deliveries[0]).toMatchObject({
      eventId: sent.body.id,
      eventType: 'webhook.test',
      attempts: 1,
      lastResponseStatus: 204,
      nextAttemptAt: null,
    });
    expect(deliveries[0].lastLatencyMs).toEqual(expect.any(Number));
    const detail = await api('GET', `/v1/webhooks/${hook.body.id}/deliveries/${deliveries[0].id}`);
    expect(detail.body.attemptLog).toEqual([
      {
        attempt: 1,
        startedAt: deliveries[0].lastAttemptAt,
        latencyMs: deliveries[0].lastLatencyMs,
        responseStatus: 204,
        error: null,
      },
    ]);
  });

  it('signs with both secrets for the grace period after a rotation, then with the new one only', async () => {
    const hook = (await api('POST', '/v1/webhooks', { url: `${receiver.url}/rot`, events: ['consent.revoked'] })).body;
    const rotated = await api('POST', `/v1/webhooks/${hook.id}/rotate-secret`);
    expect(rotated.status).toBe(200);

    const during = (await api('POST', `/v1/webhooks/${hook.id}/test`)).body;
    const [req] = await until('delivered during grace', () => arrivals(during.id).length > 0 && arrivals(during.id));
    expect(String(req.headers['webhook-signature']).split(' ')).toHaveLength(2);
    expect(verifyStandardWebhook(rotated.body.secret, req.headers, req.body)).toEqual({ ok: true });
    expect(verifyStandardWebhook(hook.secret, req.headers, req.body)).toEqual({ ok: true });

    await new Promise((resolve) =>
      setTimeout(resolve, Date.parse(rotated.body.previousSecretExpiresAt) - Date.now() + 1_100),
    );
    const after = (await api('POST', `/v1/webhooks/${hook.id}/test`)).body;
    const [late] = await until('delivered after grace', () => arrivals(after.id).length > 0 && arrivals(after.id));
    expect(String(late.headers['webhook-signature']).split(' ')).toHaveLength(1);
    expect(verifyStandardWebhook(rotated.body.secret, late.headers, late.body)).toEqual({ ok: true });
    expect(verifyStandardWebhook(hook.secret, late.headers, late.body)).toEqual({
      ok: false,
      reason: 'no matching signature',
    });
  });

  it('delivers only subscribed types, stops while disabled, and retries by hand after the schedule ran out', async () => {
    const hook = (await api('POST', '/v1/webhooks', { url: `${receiver.url}/typed`, events: ['consent.revoked'] }))
      .body;
    const prisma = gateway.get<PrismaClient>(PRISMA);
    const events = gateway.get(EventRepository);
    const emit = (type: 'consent.revoked' | 'consent.expired', consentId: string) =>
      prisma.$transaction((tx) =>
        type === 'consent.revoked'
          ? events.append(tx, tenantId, type, {
              consentId,
              providerId: 'ob-allstar',
              endUserId: null,
              revokedAt: new Date().toISOString(),
              revokedBy: 'tenant',
            })
          : events.append(tx, tenantId, type, {
              consentId,
              providerId: 'ob-allstar',
              endUserId: null,
              expiredAt: new Date().toISOString(),
            }),
      );
    const onTyped = () =>
      receiver.received.filter((r) => r.path === '/typed').map((r) => String(r.headers['webhook-id']));

    receiver.behaviour = (r) => ({
      status: r.path === '/typed' && JSON.parse(r.body).data.consentId === 'cons_flaky' ? 500 : 204,
    });
    const revoked = await emit('consent.revoked', 'cons_1');
    const expired = await emit('consent.expired', 'cons_1');
    const flaky = await emit('consent.revoked', 'cons_flaky');
    await until(
      'flaky failed',
      async () => (await api('GET', `/v1/webhooks/${hook.id}/deliveries?status=failed`)).body.data.length === 1,
    );
    expect(onTyped()).toContain(revoked);
    expect(onTyped()).not.toContain(expired);
    expect(onTyped().filter((id) => id === flaky)).toHaveLength(3); // the first attempt and two retries

    const failed = (await api('GET', `/v1/webhooks/${hook.id}/deliveries?status=failed`)).body.data[0];
    receiver.behaviour = () => ({ status: 204 });
    expect((await api('POST', `/v1/webhooks/${hook.id}/deliveries/${failed.id}/retry`)).status).toBe(202);
    await until(
      'retried',
      async () => (await api('GET', `/v1/webhooks/${hook.id}/deliveries/${failed.id}`)).body.status === 'succeeded',
    );
    expect(onTyped().filter((id) => id === flaky)).toHaveLength(4);

    expect((await api('PATCH', `/v1/webhooks/${hook.id}`, { status: 'disabled' })).status).toBe(200);
    const whileDisabled = await emit('consent.revoked', 'cons_2');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(onTyped()).not.toContain(whileDisabled);
    expect((await api('PATCH', `/v1/webhooks/${hook.id}`, { status: 'enabled' })).status).toBe(200);
    const afterEnable = await emit('consent.revoked', 'cons_3');
    await until('delivered after re-enabling', () => onTyped().includes(afterEnable));
    expect(onTyped()).not.toContain(whileDisabled); // replay it from GET /v1/events
    expect(
      (await api('GET', `/v1/events?after=${revoked}&type=consent.revoked`)).body.data.map((e: { id: string }) => e.id),
    ).toEqual([flaky, whileDisabled, afterEnable]);
  });
});
