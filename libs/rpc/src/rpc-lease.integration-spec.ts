import { jest } from '@jest/globals';
import type { Config } from '@jest/types';
import { Controller, Module } from '@nestjs/common';
import { MessagePattern } from '@nestjs/microservices';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Redis } from 'ioredis';
import { Metrics, createLogger } from '@ais/observability';
import { createHttpApp } from '@ais/http-kit';
import { startRpcServer } from './rpc-server.js';
import { createRpcClient, type RpcClient, type RpcSettings } from './rpc-client.js';
import { RpcLease } from './rpc-lease.js';

const logger = createLogger('rpc-lease-test', 'silent');
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const settings: RpcSettings = {
  transport: 'redis',
  timeoutMs: 2_000,
  leaseMs: 1_500,
  tcp: { 'consent-service': { host: '127.0.0.1', port: 0 }, 'connector-service': { host: '127.0.0.1', port: 0 } },
};

/** Every request any instance handled, by instance name. */
const handled: string[] = [];
const metrics = new Map<string, Metrics>();
/** The instance's `rpc_lease_active` gauge. */
const activeGauge = async (name: string) =>
  (await metrics.get(name)!.registry.getSingleMetric('rpc_lease_active')!.get()).values[0]?.value;

async function instance(name: string, prefix: string): Promise<NestFastifyApplication> {
  @Controller()
  class CountingController {
    @MessagePattern('connector-service.ping')
    ping() {
      handled.push(name);
      return { service: 'connector-service', at: name };
    }
  }
  @Module({ controllers: [CountingController] })
  class CountingModule {}
  const app = await createHttpApp(CountingModule, { service: 'rpc-lease-test', logger });
  metrics.set(name, new Metrics('rpc-lease-test'));
  await startRpcServer(app, 'connector-service', settings, { url: redisUrl, prefix }, logger, metrics.get(name));
  await app.init();
  return app;
}

/** Sends pings until one is answered (a failover leaves a gap), returning who answered and when. */
async function firstAnswer(client: RpcClient, withinMs: number): Promise<{ by: string; afterMs: number }> {
  const started = Date.now();
  for (;;) {
    const answer = await client.send('connector-service.ping', {}, 300).catch(() => undefined);
    if (answer) return { by: answer.at, afterMs: Date.now() - started };
    if (Date.now() - started > withinMs) throw new Error(`no answer within ${withinMs} ms`);
  }
}

/**
 * Redis pub/sub gives every request to every subscriber: two connector-service instances without
 * the lease would each call the bank. With it, one answers and the other stands by.
 */
describe('RPC service lease: one instance answers, others stand by', () => {
  const prefix = `rpclease_${process.pid}_${Date.now()}`;
  const apps: NestFastifyApplication[] = [];
  let client: RpcClient;
  let redis: Redis;

  beforeAll(() => {
    client = createRpcClient('connector-service', settings, { url: redisUrl, prefix });
    redis = new Redis(redisUrl);
  });
  afterAll(async () => {
    for (const app of apps) await app.close().catch(() => undefined);
    await client.close();
    await redis.del(`${prefix}:rpc-lease:connector-service`);
    redis.disconnect();
  });

  it('hands each request to exactly one of two instances', async () => {
    apps.push(await instance('first', prefix), await instance('second', prefix));
    handled.length = 0;
    const answers = await Promise.all(Array.from({ length: 20 }, () => client.send('connector-service.ping', {})));
    await new Promise((r) => setTimeout(r, 200)); // a second handler would have run by now
    expect(handled).toEqual(Array(20).fill('first'));
    expect(answers.map((a) => a.at)).toEqual(Array(20).fill('first'));
    expect([await activeGauge('first'), await activeGauge('second')]).toEqual([1, 0]);
  });

  it('fails over to the standby within a second when the active instance shuts down', async () => {
    await apps[0].close();
    const { by, afterMs } = await firstAnswer(client, 3_000);
    expect(by).toBe('second');
    expect(afterMs).toBeLessThan(2_000);
    expect(await activeGauge('second')).toBe(1);
  });

  it('stops answering at once when its lease is taken, and a crashed holder’s lease lapses to the standby', async () => {
    apps.push(await instance('third', prefix)); // stands by behind "second"
    // What a holder sees when it was paused past its lease and another instance took over.
    await redis.set(`${prefix}:rpc-lease:connector-service`, 'someone-else', 'PX', 1_500);
    await new Promise((r) => setTimeout(r, 700)); // "second" notices at its next renewal
    handled.length = 0;
    await expect(client.send('connector-service.ping', {}, 300)).rejects.toMatchObject({ code: 'service_unavailable' });
    expect(handled).toEqual([]);
    expect([await activeGauge('second'), await activeGauge('third')]).toEqual([0, 0]);
    // "someone-else" never renews, as if it had crashed: the lease lapses and a standby takes over.
    const { afterMs } = await firstAnswer(client, 4_000);
    expect(afterMs).toBeLessThan(2_500);
    handled.length = 0;
    await client.send('connector-service.ping', {});
    await new Promise((r) => setTimeout(r, 200));
    expect(handled).toHaveLength(1);
  });
});

describe('RPC service lease on a stepping wall clock', () => {
  const DAY = 86_400_000;
  const REAL_TIMERS: Config.FakeableAPI[] = [
    'hrtime',
    'nextTick',
    'performance',
    'queueMicrotask',
    'setImmediate',
    'clearImmediate',
    'setInterval',
    'clearInterval',
    'setTimeout',
    'clearTimeout',
  ];
  let redis: Redis;
  beforeAll(() => {
    redis = new Redis(redisUrl);
  });
  afterEach(() => {
    jest.useRealTimers();
  });
  afterAll(() => {
    redis.disconnect();
  });

  it('keeps a healthy holder answering when the wall clock steps forward (NTP, a resumed VM)', async () => {
    const lease = new RpcLease(redis, `rpclease_step_${process.pid}_${Date.now()}`, 'holder', 1_500);
    expect(await lease.tryAcquire()).toBe(true);
    jest.useFakeTimers({ now: Date.now() + DAY, advanceTimers: true, doNotFake: REAL_TIMERS });
    expect(lease.held).toBe(true);
    await lease.release();
  });

  it('stops a holder that cannot renew when its lease lapses, even if the wall clock stepped back', async () => {
    const lease = new RpcLease(redis, `rpclease_step_${process.pid}_${Date.now()}`, 'holder', 300);
    expect(await lease.tryAcquire()).toBe(true);
    jest.useFakeTimers({ now: Date.now() - DAY, advanceTimers: true, doNotFake: REAL_TIMERS });
    await new Promise((r) => setTimeout(r, 400)); // no renewal: Redis let the key expire meanwhile
    expect(await redis.exists(lease.key)).toBe(0);
    expect(lease.held).toBe(false);
  });
});
