// `npm test`: everything CI checks, self-sufficient on a fresh clone. Prepares what it needs
// (dependencies, Prisma client, PostgreSQL, Redis, Chromium, a build), runs the static checks and
// every Jest project, then prints one line: `N passed, N failed`.
//   npm test                      everything
//   npm test -- --only=unit       one phase: static | unit | integration | e2e
//   npm test -- <path filter>     Jest projects only, for the matching files
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ensureDependencies, ensurePrismaClient, build, ROOT } from './lib/deps.mjs';
import { ensureChromium, ensureServices } from './lib/services.mjs';
import { run } from './lib/run.mjs';
import { step, fail } from './lib/log.mjs';

const argv = process.argv.slice(2);
const only = argv.find((a) => a.startsWith('--only='))?.slice(7);
const filters = argv.filter((a) => !a.startsWith('--'));
const summaryFile = path.join(ROOT, 'tmp/test-summary.json');
const totals = { passed: 0, failed: 0 };
const failures = [];

function record(name, ok) {
  if (ok) totals.passed++;
  else {
    totals.failed++;
    failures.push(name);
  }
}

async function staticCheck(name, cmd, args, env = process.env) {
  step(`Check: ${name}`);
  const code = await run(cmd, args, { cwd: ROOT, env });
  record(`check: ${name}`, code === 0);
}

async function jest(projects, extra = []) {
  mkdirSync(path.join(ROOT, 'tmp'), { recursive: true });
  const out = path.join(ROOT, `tmp/jest-${projects.join('-')}.json`);
  rmSync(out, { force: true });
  step(`Jest: ${projects.join(', ')}${filters.length ? ` (${filters.join(' ')})` : ''}`);
  await run(
    process.execPath,
    [
      'scripts/jest.mjs',
      '--selectProjects',
      ...projects,
      '--json',
      `--outputFile=${out}`,
      ...(filters.length ? ['--passWithNoTests'] : []),
      ...extra,
      '--',
      ...filters,
    ],
    {
      cwd: ROOT,
      env: process.env,
    },
  );
  if (!existsSync(out)) {
    record(`jest ${projects.join(',')} did not report`, false);
    return;
  }
  const report = JSON.parse(readFileSync(out, 'utf8'));
  totals.passed += report.numPassedTests;
  totals.failed += report.numFailedTests;
  // A suite that fails to load has no tests to count: count it as one failure.
  for (const suite of report.testResults) {
    if (suite.status === 'failed' && suite.assertionResults.every((a) => a.status !== 'failed')) {
      totals.failed++;
      failures.push(`suite failed to run: ${path.relative(ROOT, suite.name)}`);
    }
    for (const a of suite.assertionResults)
      if (a.status === 'failed') failures.push(`${path.relative(ROOT, suite.name)} › ${a.fullName}`);
  }
}

const phase = (name) => !only || only === name;

try {
  await ensureDependencies();
  await ensurePrismaClient();
  const { databaseUrl, redisUrl, natsUrl } = await ensureServices();
  process.env.DATABASE_URL = databaseUrl;
  process.env.REDIS_URL = redisUrl;
  process.env.NATS_URL = natsUrl;
  if (phase('e2e')) process.env.CHROMIUM_PATH = await ensureChromium();
  await build();

  if (phase('static') && filters.length === 0) {
    await staticCheck('formatting (prettier --check)', 'npx', ['prettier', '--check', '.', '--log-level', 'warn']);
    await staticCheck('typecheck (tsc)', 'npx', ['tsc', '-p', 'tsconfig.json', '--noEmit']);
    // The module-boundary rule needs Nx's project graph; without a cached graph it silently skips.
    await run('npx', ['nx', 'show', 'projects'], {
      cwd: ROOT,
      env: { ...process.env, NX_DAEMON: 'false' },
      stdio: 'ignore',
    });
    // Type-aware rules over every project's tsconfig outgrow Node's default 4 GB heap.
    await staticCheck('lint (eslint, module boundaries)', 'npx', ['eslint', '--max-warnings=0', 'apps', 'libs'], {
      ...process.env,
      NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --max-old-space-size=8192`.trim(),
    });
    await staticCheck('no circular imports (dpdm)', 'npx', [
      'dpdm',
      '--no-tree',
      '--no-warning',
      '--exit-code',
      'circular:1',
      '-T',
      'apps/*/src/main.ts',
      'libs/*/src/index.ts',
    ]);
    await staticCheck('Prisma schema matches migrations', process.execPath, [
      '--experimental-wasm-modules',
      '--no-warnings',
      'scripts/db/check-drift.mjs',
    ]);
  }
  if (phase('unit') || phase('integration')) {
    await jest([phase('unit') && 'unit', phase('integration') && 'integration'].filter(Boolean), ['--maxWorkers=2']);
  }
  if (phase('e2e')) await jest(['e2e'], ['--runInBand']);
} catch (error) {
  fail(error.message);
  record(`setup: ${error.message}`, false);
}

if (failures.length) {
  console.log('\nFailed:');
  for (const f of failures) console.log(`  ✗ ${f}`);
}
mkdirSync(path.dirname(summaryFile), { recursive: true });
writeFileSync(summaryFile, JSON.stringify({ ...totals, failures }, null, 2));
console.log(`\n${totals.passed} passed, ${totals.failed} failed`);
process.exit(totals.failed === 0 ? 0 : 1);
