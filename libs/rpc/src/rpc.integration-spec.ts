import { Controller, Module } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppError } from '@ais/domain';
import { createLogger } from '@ais/observability';
import { createHttpApp } from '@ais/http-kit';
import { createPingController, startRpcServer } from './rpc-server.js';
import { serializedAs } from './nats-transport.js';
import { createRpcClient, RpcPeerHealthCheck, type RpcSettings } from './rpc-client.js';
import { Redis } from 'ioredis';

const logger = createLogger('rpc-test', 'silent');
const settings: RpcSettings = {
  natsServers: [process.env.NATS_URL ?? 'nats://127.0.0.1:4222'],
  timeoutMs: 2_000,
  maxMessageBytes: 65_536,
};
const prefix = (name: string) => `rpctest_${name}_${process.pid}`;

@Controller()
class FailingController {
  @MessagePattern('connector-service.ping')
  ping() {
    throw new AppError('bank_rate_limited', 'The bank asked us to wait.', { retryAt: '2026-01-01T00:00:00Z' });
  }
}

/** A connector-service stand-in that says which instance answered each request. */
function counting(instance: string, handled: Map<string, string[]>) {
  @Controller()
  class CountingController {
    @MessagePattern('connector.listAccounts')
    async listAccounts(@Payload() r: { providerId: string; context: { consentId: string } }) {
      handled.set(r.context.consentId, [...(handled.get(r.context.consentId) ?? []), instance]);
      await new Promise((res) => setTimeout(res, 5));
      return { accounts: [], instance, providerId: r.providerId };
    }
    @MessagePattern('connector.getParties')
    getParties(@Payload() r: { accountId?: string }) {
      return { parties: [{ padding: 'x'.repeat(Number(r.accountId)) }] };
    }
    @MessagePattern('connector.getBalances')
    getBalances(@Payload() r: { accountIds: string[] }) {
      const reply = { accounts: r.accountIds.map((accountId) => ({ accountId, balances: [] })) };
      // Its JSON made ahead, and telling so: the text that goes on the wire is this one (or its bytes).
      const bytes = r.accountIds.includes('as bytes');
      const json = JSON.stringify({ ...reply, made: bytes ? 'ahead, as “bytes”' : 'ahead' });
      return serializedAs(reply, bytes ? Buffer.from(json) : json);
    }
  }
  @Module({ controllers: [CountingController, createPingController('connector-service')] })
  class CountingModule {}
  return CountingModule;
}

const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');

async function boot(module: new () => unknown, stack: string, providers?: string[]): Promise<NestFastifyApplication> {
  const app = await createHttpApp(module, { service: 'rpc-test', logger });
  await startRpcServer(app, 'connector-service', settings, { prefix: stack }, logger, undefined, providers, redis);
  await app.init();
  return app;
}

const context = (consentId: string) => ({ consentId, frequencyPerDay: 4 });

describe('RPC over NATS', () => {
  const apps: NestFastifyApplication[] = [];
  afterAll(async () => {
    for (const app of apps) await app.close().catch(() => undefined);
    redis.disconnect();
  });

  it('answers a typed request within its own namespace only, keeping an AppError across the wire', async () => {
    @Module({ controllers: [createPingController('connector-service')] })
    class PingModule {}
    @Module({ controllers: [FailingController] })
    class FailingModule {}
    apps.push(await boot(PingModule, prefix('a')), await boot(FailingModule, prefix('b')));
    const a = createRpcClient('connector-service', settings, { prefix: prefix('a') });
    const b = createRpcClient('connector-service', settings, { prefix: prefix('b') });
    try {
      expect((await a.send('connector-service.ping', {})).service).toBe('connector-service');
      await expect(new RpcPeerHealthCheck(a).check()).resolves.toBeUndefined();
      const error = await b.send('connector-service.ping', {}).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AppError);
      expect(error).toMatchObject({
        code: 'bank_rate_limited',
        detail: 'The bank asked us to wait.',
        extensions: { retryAt: '2026-01-01T00:00:00Z' },
      });
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('hands each request to exactly one of three instances, each its share; one stopping mid-run loses none', async () => {
    const handled = new Map<string, string[]>();
    const stack = prefix('pool');
    const instances = await Promise.all(['i1', 'i2', 'i3'].map((i) => boot(counting(i, handled), stack)));
    apps.push(...instances);
    const client = createRpcClient('connector-service', settings, { prefix: stack });
    try {
      const send = (n: number) =>
        client.send('connector.listAccounts', { providerId: 'allstar', context: context(`c${n}`) });
      await Promise.all(Array.from({ length: 300 }, (_, n) => send(n)));
      expect(handled.size).toBe(300);
      expect([...handled.values()].every((by) => by.length === 1)).toBe(true);
      const share = (i: string) => [...handled.values()].filter((by) => by[0] === i).length / 300;
      for (const i of ['i1', 'i2', 'i3']) expect(share(i)).toBeGreaterThanOrEqual(0.2);

      // One instance goes away while 300 more are under way: every request is still answered.
      handled.clear();
      const run = Promise.all(Array.from({ length: 300 }, (_, n) => send(1000 + n)));
      await new Promise((r) => setTimeout(r, 20));
      await instances[0].close();
      const answers = await run;
      expect(answers).toHaveLength(300);
      expect(handled.size).toBe(300);
    } finally {
      await client.close();
    }
  });

  it('routes connector calls by provider: a pool limited to one provider never sees another’s', async () => {
    const handled = new Map<string, string[]>();
    const stack = prefix('banks');
    apps.push(await boot(counting('allstar-pool', handled), stack, ['allstar']));
    apps.push(await boot(counting('default-pool', handled), stack, ['alsalam', 'saltbank']));
    const client = createRpcClient('connector-service', settings, { prefix: stack });
    try {
      for (let n = 0; n < 30; n++) {
        const providerId = ['allstar', 'alsalam', 'saltbank'][n % 3];
        const answer = (await client.send('connector.listAccounts', {
          providerId,
          context: context(`p${n}`),
        })) as unknown as { instance: string };
        expect(answer.instance).toBe(providerId === 'allstar' ? 'allstar-pool' : 'default-pool');
      }
      // No instance serves this provider: unavailable, not answered by someone else.
      await expect(
        client.send('connector.listAccounts', { providerId: 'nobank', context: context('x') }, 300, 300),
      ).rejects.toMatchObject({ code: 'service_unavailable' });
      // A provider id cannot reach into other subjects.
      await expect(
        client.send('connector.listAccounts', { providerId: 'allstar.>', context: context('y') }),
      ).rejects.toMatchObject({ code: 'validation_failed' });
    } finally {
      await client.close();
    }
  });

  it('never puts a message over the maximum on the wire: the caller gets payload_too_large at once', async () => {
    const handled = new Map<string, string[]>();
    const stack = prefix('big');
    apps.push(await boot(counting('i', handled), stack));
    const client = createRpcClient('connector-service', settings, { prefix: stack });
    try {
      const small = await client.send('connector.getParties', {
        providerId: 'allstar',
        context: context('s'),
        accountId: '1000',
      });
      expect(small.parties).toHaveLength(1);
      const started = Date.now();
      await expect(
        client.send('connector.getParties', { providerId: 'allstar', context: context('b'), accountId: '100000' }),
      ).rejects.toMatchObject({ code: 'payload_too_large' });
      expect(Date.now() - started).toBeLessThan(settings.timeoutMs);
      await expect(
        client.send('connector.getParties', { providerId: 'allstar', context: context('x'.repeat(100_000)) }),
      ).rejects.toMatchObject({ code: 'payload_too_large' });
    } finally {
      await client.close();
    }
  });

  it('sends a reply whose JSON was made ahead as that text or its bytes, bounded like any other', async () => {
    const stack = prefix('ahead');
    apps.push(await boot(counting('i', new Map()), stack));
    const client = createRpcClient('connector-service', settings, { prefix: stack });
    try {
      expect(
        await client.send('connector.getBalances', {
          providerId: 'allstar',
          context: context('a'),
          accountIds: ['acc_1'],
        }),
      ).toEqual({
        accounts: [{ accountId: 'acc_1', balances: [] }],
        made: 'ahead',
      });
      expect(
        await client.send('connector.getBalances', {
          providerId: 'allstar',
          context: context('a'),
          accountIds: ['as bytes'],
        }),
      ).toEqual({ accounts: [{ accountId: 'as bytes', balances: [] }], made: 'ahead, as “bytes”' });
      const many = Array.from({ length: 2_000 }, (_, i) => `account-${i}`);
      await expect(
        client.send('connector.getBalances', { providerId: 'allstar', context: context('b'), accountIds: many }),
      ).rejects.toMatchObject({ code: 'payload_too_large' });
      await expect(
        client.send('connector.getBalances', {
          providerId: 'allstar',
          context: context('b'),
          accountIds: [...many, 'as bytes'],
        }),
      ).rejects.toMatchObject({ code: 'payload_too_large' });
    } finally {
      await client.close();
    }
  });

  it('is service_unavailable when nobody serves the namespace', async () => {
    const client = createRpcClient('connector-service', settings, { prefix: prefix('none') });
    try {
      await expect(client.send('connector-service.ping', {}, 300, 300)).rejects.toMatchObject({
        code: 'service_unavailable',
      });
    } finally {
      await client.close();
    }
  });

  it('sends an act at the bank again after a timeout with its idempotency key: it runs once, the repeat gets its outcome', async () => {
    const runs: string[] = [];
    @Controller()
    class SlowBankController {
      @MessagePattern('connector.createConsent')
      async createConsent(@Payload() r: { consentId: string }) {
        runs.push(r.consentId);
        await new Promise((res) => setTimeout(res, 800));
        return { externalConsentId: `bank-${runs.length}` };
      }
    }
    @Module({ controllers: [SlowBankController] })
    class SlowBankModule {}
    const stack = prefix('idem');
    apps.push(await boot(SlowBankModule, stack));
    const client = createRpcClient('connector-service', settings, { prefix: stack });
    try {
      const request = {
        providerId: 'allstar',
        consentId: 'cns_once',
        permissions: ['accounts' as const],
        frequencyPerDay: 4,
        redirectUri: 'https://app.example/cb',
        psu: { ipAddress: '198.51.100.7' },
      };
      // Times out after 600 ms, goes again with the same key, and gets the first run's answer.
      const answer = await client.send('connector.createConsent', request, 600);
      expect(answer).toEqual({ externalConsentId: 'bank-1' });
      expect(runs).toEqual(['cns_once']);

      // The instance holding the first attempt died: the repeat does not act again, it says so.
      const key = 'a0b1c2d3-dead-4bee-8f00-000000000001';
      await redis.set(
        `${stack}:rpc-idem:connector.createConsent:${key}`,
        JSON.stringify({ state: 'pending' }),
        'EX',
        60,
      );
      const orphan = await client
        .send('connector.createConsent', { ...request, consentId: 'cns_orphan', idempotencyKey: key } as never, 5_000)
        .catch((e: unknown) => e);
      expect(orphan).toMatchObject({ code: 'service_unavailable' });
      expect(runs).toEqual(['cns_once']);
    } finally {
      await client.close();
    }
  });
});
