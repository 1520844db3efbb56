import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { run } from './run.mjs';
import { step, info } from './log.mjs';

export const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');

/** npm ci when node_modules is missing or older than the lockfile. */
export async function ensureDependencies() {
  const lock = path.join(ROOT, 'package-lock.json');
  const marker = path.join(ROOT, 'node_modules/.package-lock.json');
  if (existsSync(marker) && statSync(marker).mtimeMs >= statSync(lock).mtimeMs) return;
  // `npm install`, not `npm ci`: the registry reachable here serves only this platform's builds of
  // packages such as @swc/core, so the lock file cannot list the other platforms' optional
  // packages and `npm ci` refuses it as "out of sync". With the lock present, `npm install`
  // installs exactly the locked versions.
  step('Installing dependencies (npm install from package-lock.json)…');
  const code = await run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: ROOT });
  if (code !== 0) throw new Error('npm install failed');
}

/** Generates the Prisma client when the schema changed (offline: no engine download needed). */
export async function ensurePrismaClient() {
  const schema = readFileSync(path.join(ROOT, 'prisma/schema.prisma'));
  const hash = createHash('sha256').update(schema).digest('hex');
  const stamp = path.join(ROOT, 'libs/db/src/generated/.schema-hash');
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === hash) return;
  step('Generating the Prisma client…');
  const code = await run('npx', ['prisma', 'generate'], {
    cwd: ROOT,
    env: { ...process.env, PRISMA_SCHEMA_ENGINE_BINARY: process.execPath, PRISMA_HIDE_UPDATE_MESSAGE: '1' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  if (code !== 0) throw new Error('prisma generate failed');
  writeFileSync(stamp, hash);
}

/** Compiles every app, lib and benchmark (bench/, run by hand) with SWC into dist/ (about a second). */
export async function build() {
  info('Building (swc)…');
  const code = await run(
    'npx',
    [
      'swc',
      'apps',
      'libs',
      'bench',
      '-d',
      'dist',
      '--quiet',
      '--ignore',
      '**/*.spec.ts,**/*.integration-spec.ts,**/*.e2e-spec.ts',
    ],
    { cwd: ROOT },
  );
  if (code !== 0) throw new Error('build failed');
  // The SDK follows the API: regenerated from the gateway just built, then compiled like the rest.
  const { generateClient } = await import('./client.mjs');
  await generateClient();
  const client = await run('npx', ['swc', 'libs/client', 'examples', '-d', 'dist', '--quiet'], { cwd: ROOT });
  if (client !== 0) throw new Error('build of libs/client failed');
}

export async function migrate(env) {
  const code = await run(
    process.execPath,
    ['--experimental-wasm-modules', '--no-warnings', path.join(ROOT, 'scripts/db/migrate.mjs')],
    { cwd: ROOT, env },
  );
  if (code !== 0) throw new Error('migrations failed');
}
