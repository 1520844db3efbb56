import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './stack.js';

const run = promisify(execFile);

export interface LocalRedisCluster {
  /** The seed list an app takes as REDIS_URL (with REDIS_CLUSTER=true). */
  url: string;
  ports: number[];
  /** `redis-cli -p <port> <args>` against one node. */
  cli(port: number, ...args: string[]): Promise<string>;
  stop(): Promise<void>;
}

/**
 * A real Redis Cluster of `masters` nodes (no replicas) on free ports of 127.0.0.1, from Debian's
 * `redis-server` (`--cluster-enabled yes`) and `redis-cli --cluster create`, without persistence, in a
 * temporary directory; waits until every node reports `cluster_state:ok`.
 */
export async function startRedisCluster(masters = 3): Promise<LocalRedisCluster> {
  for (const bin of ['redis-server', 'redis-cli'])
    if (spawnSync('sh', ['-c', `command -v ${bin}`]).status !== 0)
      throw new Error(`${bin} is missing: the Redis Cluster test needs Debian's redis-server package`);
  const dir = mkdtempSync(path.join(tmpdir(), 'ais-redis-cluster-'));
  const ports: number[] = [];
  const children: ChildProcess[] = [];
  const cli = async (port: number, ...args: string[]) =>
    (await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args])).stdout;
  const stop = async () => {
    await Promise.all(
      children.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGKILL');
          }),
      ),
    );
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < masters; i++) {
      // The cluster bus listens on port + 10000: both must be free.
      let port = await freePort();
      while (port > 55_535) port = await freePort();
      ports.push(port);
      const child = spawn(
        'redis-server',
        [
          '--port',
          String(port),
          '--bind',
          '127.0.0.1',
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          `nodes-${port}.conf`,
          '--cluster-node-timeout',
          '5000',
          '--save',
          '',
          '--appendonly',
          'no',
          '--dir',
          dir,
        ],
        { stdio: 'ignore' },
      );
      children.push(child);
    }
    for (const port of ports) await waitFor(async () => (await cli(port, 'PING')).trim() === 'PONG');
    await run('redis-cli', [
      '--cluster',
      'create',
      ...ports.map((p) => `127.0.0.1:${p}`),
      '--cluster-replicas',
      '0',
      '--cluster-yes',
    ]);
    for (const port of ports)
      await waitFor(async () => (await cli(port, 'CLUSTER', 'INFO')).includes('cluster_state:ok'));
  } catch (error) {
    await stop();
    throw error;
  }
  return { url: ports.map((p) => `redis://127.0.0.1:${p}`).join(','), ports, cli, stop };
}

async function waitFor(check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error('the local Redis Cluster did not come up');
    await new Promise((r) => setTimeout(r, 100));
  }
}
