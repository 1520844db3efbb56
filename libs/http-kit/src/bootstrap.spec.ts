import { connect } from 'node:net';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Body, Controller, Module, Post, Get } from '@nestjs/common';
import { IsInt, IsString, Max, Min } from 'class-validator';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createLogger } from '@ais/observability';
import { AppError } from '@ais/domain';
import { createHttpApp } from './bootstrap.js';
import { isCalendarDate } from './validation.js';
import { HealthModule, type HealthCheck } from './health.js';

const run = promisify(execFile);

class CreateThingDto {
  @IsString() name!: string;
  @IsInt() @Min(1) @Max(4) count!: number;
}

@Controller('things')
class ThingsController {
  @Post() create(@Body() body: CreateThingDto) {
    return { created: body.name };
  }
  @Get('boom') boom() {
    throw new Error('database password is hunter2');
  }
  @Get('bank') bank() {
    throw new AppError('bank_unavailable', 'The bank is down.', {
      bank: { status: 503, body: 'internal trace id 42' },
    });
  }
  @Get('item/:id') item() {
    return { ok: true };
  }
  @Get('clash') clash() {
    // An extension named like a problem member (the consent's status, here) must not become the HTTP status.
    throw new AppError('invalid_state_transition', 'A consent that is revoked cannot be re-authorised.', {
      status: 'revoked',
      type: 'elsewhere',
      code: 'other',
    });
  }
  @Get('budget') budget() {
    throw new AppError('budget_exhausted', 'No unattended calls left.', { retryAfterSeconds: 42.2 });
  }
}

class DownCheck implements HealthCheck {
  readonly name = 'postgres';
  async check() {
    throw new Error('connection refused');
  }
}

@Module({ imports: [HealthModule.register([DownCheck], [DownCheck])], controllers: [ThingsController] })
class TestModule {}

describe('createHttpApp', () => {
  let app: NestFastifyApplication;
  const inject = (opts: Parameters<NestFastifyApplication['inject']>[0]) => app.inject(opts);

  beforeAll(async () => {
    app = await createHttpApp(TestModule, { service: 'test', logger: createLogger('test', 'silent') });
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
  });
  afterAll(() => app.close());

  it('answers malformed JSON with a 400 problem, never a 500', async () => {
    const res = await inject({
      method: 'POST',
      url: '/things',
      headers: { 'content-type': 'application/json' },
      payload: '{"name": ',
    });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json()).toMatchObject({ status: 400, code: 'malformed_body', requestId: res.headers['x-request-id'] });
  });

  it('refuses a JSON body nested deeper than the limit with a 400 problem before parsing it', async () => {
    const deep = await inject({
      method: 'POST',
      url: '/things',
      headers: { 'content-type': 'application/json' },
      payload: `{"name":${'['.repeat(10_000)}${']'.repeat(10_000)}}`,
    });
    expect(deep.statusCode).toBe(400);
    expect(deep.headers['content-type']).toContain('application/problem+json');
    expect(deep.json()).toMatchObject({ status: 400, code: 'body_too_deep', requestId: deep.headers['x-request-id'] });
    // At the limit the body is parsed and validated as usual.
    const atLimit = await inject({
      method: 'POST',
      url: '/things',
      headers: { 'content-type': 'application/json' },
      payload: `{"name":${'['.repeat(31)}${']'.repeat(31)},"count":1}`,
    });
    expect(atLimit.statusCode).toBe(400);
    expect(atLimit.json().code).toBe('validation_failed');
    // Still Fastify's own JSON parser behind the check: prototype poisoning is refused.
    const poisoned = await inject({
      method: 'POST',
      url: '/things',
      headers: { 'content-type': 'application/json; charset=utf-8' },
      payload: '{"name":"a","count":1,"__proto__":{"admin":true}}',
    });
    expect(poisoned.statusCode).toBe(400);
    expect(poisoned.json().code).toBe('malformed_body');
  });

  it('lists every invalid field and rejects unknown fields', async () => {
    const res = await inject({ method: 'POST', url: '/things', payload: { count: 9, extra: true } });
    expect(res.statusCode).toBe(400);
    const body = res.json();
    expect(body.code).toBe('validation_failed');
    const fields = body.errors.map((e: { field: string }) => e.field);
    expect(fields).toEqual(expect.arrayContaining(['name', 'count', 'extra']));
    expect(body.errors.find((e: { field: string }) => e.field === 'extra').message).toBe('unknown field');
  });

  it('echoes a sane x-request-id and replaces an insane one', async () => {
    const ok = await inject({
      method: 'POST',
      url: '/things',
      headers: { 'x-request-id': 'abc-123' },
      payload: { name: 'a', count: 1 },
    });
    expect(ok.statusCode).toBe(201);
    expect(ok.headers['x-request-id']).toBe('abc-123');
    const bad = await inject({ method: 'GET', url: '/nowhere', headers: { 'x-request-id': 'a b\u0001c' } });
    expect(bad.headers['x-request-id']).toMatch(/^req_[0-9a-f]{32}$/);
    expect(bad.statusCode).toBe(404);
    expect(bad.json().code).toBe('route_not_found');
  });

  it('hides the message of unexpected errors', async () => {
    const res = await inject({ method: 'GET', url: '/things/boom' });
    expect(res.statusCode).toBe(500);
    expect(res.body).not.toContain('hunter2');
    expect(res.json().code).toBe('internal_error');
  });

  it('never shows the bank’s raw detail to the caller', async () => {
    const res = await inject({ method: 'GET', url: '/things/bank' });
    expect(res.statusCode).toBe(503);
    expect(res.json().code).toBe('bank_unavailable');
    expect(res.body).not.toContain('trace id 42');
    expect(res.json()).not.toHaveProperty('bank');
  });

  it('never lets an error’s extensions replace the problem’s own members', async () => {
    const res = await inject({ method: 'GET', url: '/things/clash' });
    expect(res.statusCode).toBe(409);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json()).toMatchObject({ status: 409, code: 'invalid_state_transition' });
    expect(res.json().type).toMatch(/invalid_state_transition$/);
  });

  it('renders Fastify’s and Node’s own refusals as problem+json: bad URL, long parameter, huge headers, unknown method', async () => {
    const problem = (res: { statusCode: number; headers: Record<string, unknown>; body: string }, status: number) => {
      expect(res.statusCode).toBe(status);
      expect(String(res.headers['content-type'])).toContain('application/problem+json');
      expect(JSON.parse(res.body)).toMatchObject({ status });
    };
    problem(await inject({ method: 'GET', url: '/things/item/%FF' }), 400);
    problem(await inject({ method: 'GET', url: `/things/item/${'x'.repeat(500)}` }), 414);

    // Node's parser refuses some requests before Fastify sees them (headers past 16 KB, a method it
    // does not know): the answer is written on the socket.
    const server = app.getHttpServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const rawRequest = (text: string) =>
      new Promise<string>((resolve, reject) => {
        const { port } = server.address() as { port: number };
        const socket = connect(port, '127.0.0.1', () => socket.write(text));
        let out = '';
        socket.on('data', (d) => (out += String(d)));
        socket.on('close', () => resolve(out));
        socket.on('error', reject);
      });
    try {
      for (const [text, status] of [
        [`GET /things/item/1 HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, 431],
        ['FOO /things/item/1 HTTP/1.1\r\nHost: x\r\n\r\n', 400],
      ] as const) {
        const [head, body] = (await rawRequest(text)).split('\r\n\r\n');
        expect(head).toMatch(new RegExp(`^HTTP/1\\.1 ${status} `));
        expect(head.toLowerCase()).toContain('content-type: application/problem+json');
        expect(JSON.parse(body)).toMatchObject({ status });
      }
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it('delivers the 431 for a request line far over 16 KiB to a client still sending (no reset)', async () => {
    // What the hostile-input e2e sends: a 600 KB query string, here with a body behind it. The server
    // refuses the request after 16 KiB, while the client is still writing; a connection closed with
    // unread input is reset, and the reset destroyed the answer before the client read it, or failed
    // its write ("fetch failed": EPIPE, ECONNRESET).
    const server = app.getHttpServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const { port } = server.address() as { port: number };
    // The client in a process of its own, as a subscriber's would be: in this one, the server's and the
    // client's socket events would take turns in one event loop and hide the race.
    const client = `
      const query = encodeURIComponent('é'.repeat(100_000));
      const body = JSON.stringify({ name: 'x'.repeat(2_000_000), count: 1 });
      const answers = [];
      for (let round = 0; round < 3; round++)
        answers.push(...(await Promise.all(Array.from({ length: 8 }, async () => {
          try {
            const res = await fetch('http://127.0.0.1:${port}/things?q=' + query, {
              method: 'POST', headers: { 'content-type': 'application/json' }, body,
            });
            return res.status + ' ' + res.headers.get('content-type') + ' ' + (await res.json()).code;
          } catch (error) {
            return String(error) + ' ' + String(error.cause);
          }
        }))));
      console.log(JSON.stringify(answers));`;
    try {
      const { stdout } = await run(process.execPath, ['--input-type=module', '-e', client]);
      expect(JSON.parse(stdout)).toEqual(Array(24).fill('431 application/problem+json header_fields_too_large'));
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it('answers a body over the limit with a 413 problem after reading it, on a connection that stays usable', async () => {
    const server = app.getHttpServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const { port } = server.address() as { port: number };
    const socket = connect(port, '127.0.0.1');
    let out = '';
    let failure: Error | undefined;
    socket.on('data', (d) => (out += String(d)));
    socket.on('error', (e) => (failure = e));
    const size = 1_100_000;
    try {
      await new Promise<void>((r) => socket.once('connect', () => r()));
      socket.write(
        `POST /things HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${size}\r\n\r\n`,
      );
      // The body in slow chunks, as a client on a real network sends it: the server must not hang up meanwhile.
      const chunk = 'x'.repeat(size / 11);
      for (let i = 0; i < 11; i++) {
        await new Promise<void>((r) => socket.write(chunk, () => r()));
        await new Promise((r) => setTimeout(r, 20));
      }
      socket.write('GET /things/item/1 HTTP/1.1\r\nHost: x\r\n\r\n');
      const deadline = Date.now() + 3_000;
      while (!/HTTP\/1\.1 200[\s\S]*\{"ok":true\}/.test(out) && !failure && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 10));
      expect(failure).toBeUndefined();
      expect(out).toMatch(/^HTTP\/1\.1 413 /);
      expect(out.toLowerCase()).toContain('content-type: application/problem+json');
      expect(out).toContain('"code":"payload_too_large"');
      // The same connection then serves the next request.
      expect(out).toMatch(/HTTP\/1\.1 200 [\s\S]*\{"ok":true\}/);
    } finally {
      socket.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it('sets Retry-After from the error and keeps the extension', async () => {
    const res = await inject({ method: 'GET', url: '/things/budget' });
    expect(res.statusCode).toBe(429);
    expect(res.headers['retry-after']).toBe('43');
  });

  it('reports readiness per dependency', async () => {
    expect((await inject({ method: 'GET', url: '/health/live' })).statusCode).toBe(200);
    const ready = await inject({ method: 'GET', url: '/health/ready' });
    expect(ready.statusCode).toBe(503);
    expect(ready.json().checks[0]).toMatchObject({ name: 'postgres', status: 'down', error: 'connection refused' });
  });

  it('answers a wrong content type with 415', async () => {
    const res = await inject({
      method: 'POST',
      url: '/things',
      headers: { 'content-type': 'text/plain' },
      payload: 'hi',
    });
    expect(res.statusCode).toBe(415);
    expect(res.json().code).toBe('unsupported_media_type');
  });
});

describe('isCalendarDate', () => {
  it('takes only days that exist, written YYYY-MM-DD', () => {
    for (const ok of ['2026-01-31', '2024-02-29', '2000-02-29', '1999-12-31']) expect(isCalendarDate(ok)).toBe(true);
    for (const bad of [
      '2026-13-01',
      '2026-00-10',
      '2026-02-30',
      '2025-02-29',
      '1900-02-29',
      '2026-1-5',
      '2026-01-01T00:00:00Z',
      20260101,
      null,
    ])
      expect(isCalendarDate(bad)).toBe(false);
  });
});
