import { spawn, type ChildProcess } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { stackEnv, type StackPorts } from '@ais/config';
import { createTestDatabase, type TestDatabase } from './database.js';
import { testEnv } from './env.js';
import { repoRoot } from './paths.js';

export const STACK_APPS = [
  'sandbox-bank',
  'connector-service',
  'consent-service',
  'sync-worker',
  'webhook-dispatcher',
  'gateway',
] as const;
export type StackApp = (typeof STACK_APPS)[number];

const PORT_OF: Record<StackApp, Exclude<keyof StackPorts, 'sandboxMtls'>> = {
  'sandbox-bank': 'sandbox',
  'connector-service': 'connectorService',
  'consent-service': 'consentService',
  'sync-worker': 'syncWorker',
  'webhook-dispatcher': 'webhookDispatcher',
  gateway: 'gateway',
};

/** Free ports for a whole stack (see freePort). */
export async function freeStackPorts(): Promise<StackPorts> {
  const [gateway, consentService, connectorService, syncWorker, webhookDispatcher, sandbox, sandboxMtls] =
    await Promise.all(Array.from({ length: 7 }, () => freePort()));
  return { gateway, consentService, connectorService, syncWorker, webhookDispatcher, sandbox, sandboxMtls };
}

/** Below Linux's ephemeral range (ip_local_port_range, 32768–60999 by default). */
const PORT_MIN = 20_000;
const PORT_MAX = 32_000;
const handedOut = new Set<number>();

/**
 * A free TCP port for a server that another process will open. Not listen(0): the kernel answers
 * from its ephemeral range, and between our check and the app's own listen any outgoing connection
 * (to Postgres, Redis, …) may take that port as its source port, which once failed the e2e stack
 * with EADDRINUSE. Ports below that range are never handed to outgoing connections.
 */
export async function freePort(): Promise<number> {
  for (let i = 0; i < 100; i++) {
    const port = PORT_MIN + randomInt(PORT_MAX - PORT_MIN);
    if (handedOut.has(port)) continue;
    handedOut.add(port);
    if (await canListen(port)) return port;
  }
  throw new Error(`no free port between ${PORT_MIN} and ${PORT_MAX}`);
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

export interface RunningStack {
  db: TestDatabase;
  env: Record<string, string>;
  /** Where the tests call the gateway (127.0.0.1). */
  gatewayUrl: string;
  /** The gateway's public URL (PUBLIC_URL, as npm start sets it): what the banks send browsers back to. */
  publicUrl: string;
  sandboxUrl: string;
  adminToken: string;
  /** The demo webhook receiver's port: the one loopback port the stack may send webhooks to (stackEnv). */
  webhookReceiverPort: number;
  port(app: StackApp): number;
  /** Sends a signal to one app (SIGKILL for crash tests) and waits for it to exit. */
  kill(app: StackApp, signal?: NodeJS.Signals): Promise<void>;
  /** Starts one app again with the same environment and waits until it is ready. */
  restart(app: StackApp): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The black-box harness: every app as its own process from dist/ (npm test builds it first), on free
 * ports, with a fresh database and a Redis namespace of its own, in dependency order, each waited for
 * on /health/ready. Logs go to tmp/stack-logs/<database name>/<app>.log.
 */
export async function startStack(
  options: { apps?: readonly StackApp[]; env?: Record<string, string>; label?: string } = {},
): Promise<RunningStack> {
  const apps = options.apps ?? STACK_APPS;
  const db = await createTestDatabase(options.label ?? 'stack');
  const stackPorts = await freeStackPorts();
  const webhookReceiverPort = await freePort();
  const port = (app: StackApp) => stackPorts[PORT_OF[app]];
  // The tests call the apps directly; the browser and the banks' documents use the public names
  // that npm start gives them (stackEnv, the same code).
  const gatewayUrl = `http://127.0.0.1:${stackPorts.gateway}`;
  const sandboxUrl = `http://127.0.0.1:${stackPorts.sandbox}`;
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    ...testEnv({ DATABASE_URL: db.url }),
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'info',
    ...stackEnv({ ports: stackPorts, webhookReceiverPort }),
    CONNECTOR_ONBOARD_ON_START: 'true',
    ...(options.env ?? {}),
  };
  const logDir = path.join(repoRoot, 'tmp/stack-logs', db.name);
  mkdirSync(logDir, { recursive: true });
  const children = new Map<StackApp, ChildProcess>();

  const launch = async (app: StackApp) => {
    const entry = path.join(repoRoot, 'dist/apps', app, 'src/main.js');
    if (!existsSync(entry))
      throw new Error(`${entry} is missing: build first (npm test does; or npx swc apps libs -d dist)`);
    const child = spawn(process.execPath, ['--enable-source-maps', entry], {
      cwd: repoRoot,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const log = createWriteStream(path.join(logDir, `${app}.log`), { flags: 'a' });
    child.stdout.pipe(log);
    child.stderr.pipe(log);
    children.set(app, child);
    await waitReady(app, port(app), child);
  };

  const stop = async () => {
    await Promise.all(
      [...children.entries()].map(async ([app, child]) => {
        if (child.exitCode === null && child.signalCode === null)
          await signalAndWait(child, 'SIGTERM', 15_000).catch(() => signalAndWait(child, 'SIGKILL', 5_000));
        children.delete(app);
      }),
    );
    await db.drop();
  };

  try {
    for (const app of STACK_APPS.filter((a) => apps.includes(a))) await launch(app);
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }

  return {
    db,
    env,
    gatewayUrl,
    publicUrl: env.PUBLIC_URL,
    sandboxUrl,
    adminToken: env.ADMIN_TOKEN,
    webhookReceiverPort,
    port,
    async kill(app, signal = 'SIGKILL') {
      const child = children.get(app);
      if (child) await signalAndWait(child, signal, 15_000);
      children.delete(app);
    },
    restart: (app) => launch(app),
    stop,
  };
}

function signalAndWait(child: ChildProcess, signal: NodeJS.Signals, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => reject(new Error(`process ${child.pid} did not exit after ${signal}`)), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill(signal);
  });
}

async function waitReady(app: StackApp, port: number, child: ChildProcess, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new Error(`${app} exited with code ${child.exitCode} before it was ready (see tmp/stack-logs)`);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/health/ready`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${app} was not ready on port ${port} within ${timeoutMs} ms (see tmp/stack-logs)`);
}
