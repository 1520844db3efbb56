import { Controller, Module } from '@nestjs/common';
import { MessagePattern } from '@nestjs/microservices';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Redis } from 'ioredis';
import { AppError } from '@ais/domain';
import { createLogger } from '@ais/observability';
import { createHttpApp } from '@ais/http-kit';
import { createPingController, startRpcServer } from './rpc-server.js';
import { createRpcClient, RpcPeerHealthCheck, type RpcSettings } from './rpc-client.js';

const logger = createLogger('rpc-test', 'silent');
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const settings: RpcSettings = {
  transport: 'redis',
  timeoutMs: 2_000,
  tcp: { 'consent-service': { host: '127.0.0.1', port: 0 }, 'connector-service': { host: '127.0.0.1', port: 0 } },
};

@Controller()
class FailingController {
  @MessagePattern('connector-service.ping')
  ping() {
    throw new AppError('bank_rate_limited', 'The bank asked us to wait.', { retryAt: '2026-01-01T00:00:00Z' });
  }
}

async function boot(module: new () => unknown, prefix: string): Promise<NestFastifyApplication> {
  const app = await createHttpApp(module, { service: 'rpc-test', logger });
  await startRpcServer(app, 'connector-service', settings, { url: redisUrl, prefix }, logger);
  await app.init();
  return app;
}

describe('RPC over namespaced Redis', () => {
  const prefixA = `rpctest_a_${process.pid}`;
  const prefixB = `rpctest_b_${process.pid}`;
  let healthy: NestFastifyApplication;
  let failing: NestFastifyApplication;

  beforeAll(async () => {
    @Module({ controllers: [createPingController('connector-service')] })
    class PingModule {}
    @Module({ controllers: [FailingController] })
    class FailingModule {}
    healthy = await boot(PingModule, prefixA);
    failing = await boot(FailingModule, prefixB);
  });
  afterAll(async () => {
    await healthy.close();
    await failing.close();
  });

  it('answers a typed request within its own namespace only', async () => {
    const client = createRpcClient('connector-service', settings, { url: redisUrl, prefix: prefixA });
    try {
      const answer = await client.send('connector-service.ping', {});
      expect(answer.service).toBe('connector-service');
      await expect(new RpcPeerHealthCheck(client).check()).resolves.toBeUndefined();
    } finally {
      await client.close();
    }
  });

  it('keeps the error code, detail and extensions of an AppError across the wire', async () => {
    const client = createRpcClient('connector-service', settings, { url: redisUrl, prefix: prefixB });
    try {
      const error = await client.send('connector-service.ping', {}).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AppError);
      expect(error).toMatchObject({
        code: 'bank_rate_limited',
        detail: 'The bank asked us to wait.',
        extensions: { retryAt: '2026-01-01T00:00:00Z' },
      });
    } finally {
      await client.close();
    }
  });

  it('sends each reply to the requesting client only, not to every client of the pattern', async () => {
    const spy = new Redis(redisUrl);
    const seen: string[] = [];
    spy.on('pmessage', (_pattern: string, channel: string) => void seen.push(channel));
    await spy.psubscribe(`${prefixA}/rpc/*`);
    const clients = [0, 1].map(() =>
      createRpcClient('connector-service', settings, { url: redisUrl, prefix: prefixA }),
    );
    try {
      await Promise.all(clients.flatMap((c) => Array.from({ length: 10 }, () => c.send('connector-service.ping', {}))));
      await new Promise((r) => setTimeout(r, 100));
      const replies = seen.filter((c) => c.includes('.reply'));
      const channels = [...new Set(replies)];
      expect(replies).toHaveLength(20);
      expect(channels).toHaveLength(2); // one private channel per client, ten replies on each
      for (const channel of channels) {
        expect(channel).toMatch(new RegExp(`^${prefixA}/rpc/connector-service\\.ping\\.reply/[A-Za-z0-9-]+$`));
        expect(replies.filter((c) => c === channel)).toHaveLength(10);
      }
    } finally {
      for (const c of clients) await c.close();
      spy.disconnect();
    }
  });

  it('answers again once Redis is back after dropping every connection of both sides (a Redis restart)', async () => {
    const client = createRpcClient('connector-service', settings, { url: redisUrl, prefix: prefixA });
    const admin = new Redis(redisUrl);
    try {
      await client.send('connector-service.ping', {});
      // Only this test's connections (named after its prefix): other test files share the Redis.
      const ours = ((await admin.client('LIST')) as string)
        .split('\n')
        .filter((line) => line.includes(` name=${prefixA}:rpc-`));
      expect(ours.filter((line) => line.includes(':rpc-server:')).length).toBeGreaterThanOrEqual(2);
      expect(ours.filter((line) => line.includes(':rpc-client:')).length).toBeGreaterThanOrEqual(2);
      for (const line of ours) await admin.client('KILL', 'ID', /\bid=(\d+)/.exec(line)![1]);
      const deadline = Date.now() + 5_000;
      let answer: unknown;
      while (!answer && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100)); // while reconnecting, requests fail at once
        answer = await client.send('connector-service.ping', {}, 300).catch(() => undefined);
      }
      expect(answer).toMatchObject({ service: 'connector-service' });
    } finally {
      await client.close();
      admin.disconnect();
    }
  });

  it('times out as service_unavailable when nobody serves the namespace', async () => {
    const client = createRpcClient('connector-service', settings, {
      url: redisUrl,
      prefix: `rpctest_none_${process.pid}`,
    });
    try {
      await expect(client.send('connector-service.ping', {}, 300)).rejects.toMatchObject({
        code: 'service_unavailable',
      });
    } finally {
      await client.close();
    }
  });
});
