// Runs Jest in native ESM mode (see jest.config.js for why) with the given arguments.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
const jestBin = path.join(path.dirname(require.resolve('jest/package.json')), 'bin/jest.js');
// `--selectProjects a b -- some/path`: everything after `--` is a path filter, moved in front so
// --selectProjects does not swallow it as a project name.
const raw = process.argv.slice(2);
const sep = raw.indexOf('--');
const args = sep === -1 ? raw : [...raw.slice(sep + 1), ...raw.slice(0, sep)];
const result = spawnSync(
  process.execPath,
  ['--experimental-vm-modules', '--no-warnings=ExperimentalWarning', jestBin, ...args],
  {
    stdio: 'inherit',
    env: process.env,
  },
);
process.exit(result.status ?? 1);
