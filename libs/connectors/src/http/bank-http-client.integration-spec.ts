import { jest } from '@jest/globals';
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { AppError } from '@ais/domain';
import { createServer as createHttpServer } from 'node:http';
import { getEventListeners } from 'node:events';
// cockatiel's signal for calls made without one of their own (not part of its public API).
import { neverAbortedSignal } from 'cockatiel/dist/common/abort.js';
import { BankHttpClient, DEFAULT_RESILIENCE, type ResilienceSettings } from './bank-http-client.js';
import type { CircuitTransition } from '../ports.js';

// Real sockets against network-fault fixtures (refused, reset, silent): no bank, no HTTP mock.
jest.setTimeout(30_000);

const settings: ResilienceSettings = {
  ...DEFAULT_RESILIENCE,
  timeoutMs: 300,
  maxAttempts: 3,
  initialBackoffMs: 5,
  maxBackoffMs: 20,
  breakerConsecutiveFailures: 100,
};

/** A TCP endpoint that misbehaves on purpose and counts the requests that reach it. */
async function faultyEndpoint(
  behaviour: 'reset-after-request' | 'silent',
): Promise<{ url: string; requests: () => number; close(): Promise<void> }> {
  let count = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    socket.on('data', (chunk) => {
      count += (chunk.toString('latin1').match(/^(GET|POST) /gm) ?? []).length;
      if (behaviour === 'reset-after-request') socket.resetAndDestroy();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/accounts`,
    requests: () => count,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** A port nobody listens on. */
async function refusedUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return `http://127.0.0.1:${port}/accounts`;
}

async function failure(p: Promise<unknown>): Promise<AppError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!(e instanceof AppError)) throw new Error(`expected an AppError, got ${String(e)}`);
  return e;
}

describe('BankHttpClient against network faults', () => {
  const clients: BankHttpClient[] = [];
  const client = (providerId: string, s: Partial<ResilienceSettings> = {}) => {
    const c = new BankHttpClient({ providerId, resilience: { ...settings, ...s } });
    clients.push(c);
    return c;
  };
  afterAll(async () => {
    for (const c of clients) await c.close();
  });

  it('retries a refused connection even for a POST (the bank never saw it), then reports bank_unavailable', async () => {
    const url = await refusedUrl();
    let attempts = 0;
    const e = await failure(
      client('p1').send({
        method: 'POST',
        url,
        body: '{}',
        idempotent: false,
        operation: 'test.post',
        beforeAttempt: async () => void attempts++,
      }),
    );
    expect(e.code).toBe('bank_unavailable');
    expect(attempts).toBe(3);
    expect((e.extensions.bank as { cause: string }).cause).toMatch(/ECONNREFUSED/);
  });

  it('retries a connection reset after the request was sent only when the request is idempotent', async () => {
    const endpoint = await faultyEndpoint('reset-after-request');
    try {
      expect(
        (
          await failure(
            client('p2').send({ method: 'GET', url: endpoint.url, idempotent: true, operation: 'test.get' }),
          )
        ).code,
      ).toBe('bank_unavailable');
      expect(endpoint.requests()).toBe(3);
      expect(
        (
          await failure(
            client('p3').send({
              method: 'POST',
              url: endpoint.url,
              body: '{}',
              idempotent: false,
              operation: 'test.post',
            }),
          )
        ).code,
      ).toBe('bank_unavailable');
      expect(endpoint.requests()).toBe(4);
    } finally {
      await endpoint.close();
    }
  });

  it('cuts each attempt at the timeout; a timed-out POST is not sent again', async () => {
    const endpoint = await faultyEndpoint('silent');
    try {
      const started = Date.now();
      const e = await failure(
        client('p4').send({ method: 'GET', url: endpoint.url, idempotent: true, operation: 'test.get' }),
      );
      expect(e.code).toBe('bank_unavailable');
      expect((e.extensions.bank as { cause: string }).cause).toBe('timeout after 3 attempt(s)');
      expect(Date.now() - started).toBeLessThan(3 * 300 + 500);
      expect(endpoint.requests()).toBe(3);
      await failure(
        client('p5').send({ method: 'POST', url: endpoint.url, body: '{}', idempotent: false, operation: 'test.post' }),
      );
      expect(endpoint.requests()).toBe(4);
    } finally {
      await endpoint.close();
    }
  });

  it('keeps one circuit per provider: an open breaker at one bank does not stop calls to another', async () => {
    const url = await refusedUrl();
    const failing = client('bank-a', { maxAttempts: 1, breakerConsecutiveFailures: 2, breakerHalfOpenAfterMs: 60_000 });
    const other = client('bank-b', { maxAttempts: 1, breakerConsecutiveFailures: 2, breakerHalfOpenAfterMs: 60_000 });
    for (let i = 0; i < 2; i++) await failure(failing.send({ method: 'GET', url, idempotent: true, operation: 'x' }));
    let reached = 0;
    const open = await failure(
      failing.send({ method: 'GET', url, idempotent: true, operation: 'x', beforeAttempt: async () => void reached++ }),
    );
    expect(open.extensions.circuit).toBe('open');
    expect(reached).toBe(0);
    const closed = await failure(
      other.send({ method: 'GET', url, idempotent: true, operation: 'x', beforeAttempt: async () => void reached++ }),
    );
    expect(closed.extensions.circuit).toBeUndefined();
    expect(reached).toBe(1);
  });

  it('reports every breaker transition: open after the failures, half-open after the wait, closed after a good call', async () => {
    const url = await refusedUrl();
    const transitions: CircuitTransition[] = [];
    const c = new BankHttpClient({
      providerId: 'bank-r',
      resilience: { ...settings, maxAttempts: 1, breakerConsecutiveFailures: 2, breakerHalfOpenAfterMs: 200 },
      circuitReporter: { report: (t) => void transitions.push(t) },
    });
    clients.push(c);
    for (let i = 0; i < 2; i++) await failure(c.send({ method: 'GET', url, idempotent: true, operation: 'x' }));
    expect(transitions.map((t) => [t.providerId, t.state, t.halfOpenAfterMs])).toEqual([['bank-r', 'open', 200]]);
    expect(c.circuitState).toBe('open');

    // The bank comes back on the same port; after the wait one trial call goes through and closes it.
    const bank = createHttpServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
    await new Promise<void>((r) => bank.listen(Number(new URL(url).port), '127.0.0.1', r));
    try {
      await new Promise((r) => setTimeout(r, 250));
      expect((await c.send({ method: 'GET', url, idempotent: true, operation: 'x' })).status).toBe(200);
      expect(transitions.map((t) => t.state)).toEqual(['open', 'half_open', 'closed']);
      expect(c.circuitState).toBe('closed');
    } finally {
      await new Promise<void>((r) => bank.close(() => r()));
    }
  });

  it('makes many calls at once without piling listeners on a shared signal (no MaxListenersExceededWarning)', async () => {
    // A connector-service with SYNC_CONCURRENCY 32 has dozens of bank calls in flight: each used to add an
    // abort listener to the one signal cockatiel shares between calls made without a signal of their own,
    // and past 10 Node printed "MaxListenersExceededWarning: Possible EventTarget memory leak".
    const bank = createHttpServer((_req, res) => {
      setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'), 100);
    });
    await new Promise<void>((r) => bank.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(bank.address() as AddressInfo).port}/accounts`;
      const c = client('bank-many', { timeoutMs: 5_000 });
      const calls = Promise.all(
        Array.from({ length: 24 }, () => c.send({ method: 'GET', url, idempotent: true, operation: 'x' })),
      );
      await new Promise((r) => setTimeout(r, 50)); // every call in flight, waiting for the bank
      expect(getEventListeners(neverAbortedSignal, 'abort')).toHaveLength(0);
      expect((await calls).map((a) => a.status)).toEqual(Array(24).fill(200));
    } finally {
      await new Promise<void>((r) => bank.close(() => r()));
    }
  });
});
