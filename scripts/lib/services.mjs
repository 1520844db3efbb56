// Finds or starts PostgreSQL, Redis and NATS: DATABASE_URL / REDIS_URL / NATS_URL when set, else the default local
// ports, else docker compose (when a Docker engine runs), else the machine's own binaries, installing
// Debian's packages when they are absent. Says what it does.
import { spawn } from 'node:child_process';
import net from 'node:net';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { commandExists, run, runQuiet, sudo } from './run.mjs';
import { ROOT } from './deps.mjs';
import { info, step, warn } from './log.mjs';

export const DEFAULT_DATABASE_URL = 'postgresql://postgres@127.0.0.1:5432/ais_gateway';
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';
export const DEFAULT_NATS_URL = 'nats://127.0.0.1:4222';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export async function postgresReachable(url) {
  // Imported lazily: this module loads before `npm install` has installed anything on a fresh clone.
  const { default: pg } = await import('pg');
  const admin = Object.assign(new URL(url), { pathname: '/postgres' }).toString();
  const client = new pg.Client({ connectionString: admin, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

/** Whether Redis answers PING at a URL (of a cluster's seed list, the first node). */
export function redisReachable(url) {
  const u = new URL(url.split(',')[0].trim());
  return new Promise((resolve) => {
    const socket = net.connect({ host: u.hostname || '127.0.0.1', port: Number(u.port || 6379) });
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(2000, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => {
      if (u.password) socket.write(`AUTH ${decodeURIComponent(u.password)}\r\n`);
      socket.write('PING\r\n');
    });
    socket.on('data', (d) => done(String(d).includes('PONG')));
  });
}

/** A NATS server greets every connection with its INFO line. */
export function natsReachable(url) {
  const u = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect({ host: u.hostname || '127.0.0.1', port: Number(u.port || 4222) });
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(2000, () => done(false));
    socket.on('error', () => done(false));
    socket.on('data', (d) => done(String(d).startsWith('INFO ')));
  });
}

const dockerEngine = () => commandExists('docker') && runQuiet('docker', ['info']).code === 0;

async function waitFor(check, what, seconds = 30) {
  for (let i = 0; i < seconds * 2; i++) {
    if (await check()) return;
    await sleep(500);
  }
  throw new Error(`${what} did not come up within ${seconds} s`);
}

async function sudoRun(args, options) {
  const [cmd, ...rest] = sudo(args);
  return run(cmd, rest, options);
}

async function aptInstall(packages) {
  step(`Installing Debian packages: ${packages.join(' ')} (apt-get)…`);
  await sudoRun(['apt-get', 'update', '-qq']);
  const code = await sudoRun(['apt-get', 'install', '-y', '-qq', ...packages], {
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (code !== 0) throw new Error(`apt-get install ${packages.join(' ')} failed`);
}

async function startLocalPostgres() {
  if (!commandExists('pg_ctlcluster') && !existsSync('/usr/lib/postgresql')) await aptInstall(['postgresql']);
  const versions = readdirSync('/etc/postgresql').sort();
  const version = versions.at(-1);
  if (!version) throw new Error('no PostgreSQL cluster found in /etc/postgresql');
  // Local development cluster: trust loopback connections so the default URL (user postgres) works.
  const hba = `/etc/postgresql/${version}/main/pg_hba.conf`;
  const text = readFileSync(hba, 'utf8');
  if (!/^host\s+all\s+all\s+127\.0\.0\.1\/32\s+trust/m.test(text)) {
    info(`Allowing trusted loopback connections in ${hba} (development cluster).`);
    writeFileSync(hba, `host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust\n${text}`);
  }
  step(`Starting PostgreSQL ${version} (pg_ctlcluster)…`);
  await sudoRun(['pg_ctlcluster', '--skip-systemctl-redirect', version, 'main', 'start']);
}

async function startLocalRedis() {
  if (!commandExists('redis-server')) await aptInstall(['redis-server']);
  step('Starting Redis (redis-server on 127.0.0.1:6379, no persistence)…');
  await run('redis-server', [
    '--daemonize',
    'yes',
    '--bind',
    '127.0.0.1',
    '--port',
    '6379',
    '--save',
    '',
    '--appendonly',
    'no',
  ]);
}

/**
 * Debian's nats-server on the default port, detached from this process (it outlives `npm start`
 * like the Redis it starts), with the default 1 MB maximum message size the RPC is built for.
 */
async function startLocalNats() {
  if (!commandExists('nats-server')) await aptInstall(['nats-server']);
  step('Starting NATS (nats-server on 127.0.0.1:4222)…');
  const child = spawn('nats-server', ['--addr', '127.0.0.1', '--port', '4222'], {
    detached: true,
    stdio: 'ignore',
  });
  child.unref();
}

/** Returns { databaseUrl, redisUrl, natsUrl } that answer, starting what is missing. */
export async function ensureServices(env = process.env) {
  let databaseUrl = env.DATABASE_URL || DEFAULT_DATABASE_URL;
  const redisUrl = env.REDIS_URL || DEFAULT_REDIS_URL;
  const natsUrl = env.NATS_URL || DEFAULT_NATS_URL;
  const [pgOk, redisOk, natsOk] = await Promise.all([
    postgresReachable(databaseUrl),
    redisReachable(redisUrl),
    natsReachable(natsUrl),
  ]);
  if (pgOk && redisOk && natsOk) return { databaseUrl, redisUrl, natsUrl };

  if (env.DATABASE_URL && !pgOk) throw new Error(`DATABASE_URL is set but PostgreSQL does not answer there`);
  if (env.REDIS_URL && !redisOk) throw new Error(`REDIS_URL is set but Redis does not answer there`);
  if (env.NATS_URL && !natsOk) throw new Error(`NATS_URL is set but NATS does not answer there`);

  if (dockerEngine()) {
    const which = [!pgOk && 'postgres', !redisOk && 'redis', !natsOk && 'nats'].filter(Boolean);
    step(`Starting ${which.join(', ')} with docker compose…`);
    await run('docker', ['compose', 'up', '-d', '--wait', ...which], { cwd: ROOT });
    if (!pgOk) databaseUrl = 'postgresql://postgres:postgres@127.0.0.1:5432/ais_gateway'; // compose's password
  } else {
    if (!pgOk) await startLocalPostgres();
    if (!redisOk) await startLocalRedis();
    if (!natsOk) await startLocalNats();
  }
  if (!pgOk) await waitFor(() => postgresReachable(databaseUrl), 'PostgreSQL');
  if (!redisOk) await waitFor(() => redisReachable(redisUrl), 'Redis');
  if (!natsOk) await waitFor(() => natsReachable(natsUrl), 'NATS');
  info(
    `PostgreSQL at ${new URL(databaseUrl).host}, Redis at ${new URL(redisUrl.split(',')[0].trim()).host}, NATS at ${new URL(natsUrl).host}`,
  );
  return { databaseUrl, redisUrl, natsUrl };
}

/** Debian's Chromium for the browser tests (playwright-core drives it; it never downloads one). */
export async function ensureChromium() {
  if (existsSync('/usr/bin/chromium')) return '/usr/bin/chromium';
  await aptInstall(['chromium']);
  if (!existsSync('/usr/bin/chromium')) throw new Error('chromium was not installed at /usr/bin/chromium');
  return '/usr/bin/chromium';
}

export { warn };
