import { spawn, spawnSync } from 'node:child_process';

/** Runs a command, streaming output; resolves with its exit code. */
export function run(cmd, args, options = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: 'inherit', ...options });
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
    child.on('error', () => resolve(127));
  });
}

export function runQuiet(cmd, args, options = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', ...options });
  return { code: r.status ?? 1, out: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

export const commandExists = (cmd) => runQuiet('sh', ['-c', `command -v ${cmd}`]).code === 0;
export const isRoot = () => process.getuid?.() === 0;
export const sudo = (args) => (isRoot() ? args : ['sudo', ...args]);
