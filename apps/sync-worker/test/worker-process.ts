import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { freePort } from '@ais/testing';
import { repoRootFrom } from './repo-root.js';

const repoRoot = repoRootFrom(import.meta.url);

/**
 * The sync-worker as its own process (crash tests SIGKILL it), compiled once per test file with SWC
 * into tmp/ (the repository's dist/ may be stale or being rebuilt by another run).
 */
export class WorkerProcess {
  private child: ChildProcess | undefined;
  private starts = 0;
  private listening: number | undefined;

  private constructor(
    private readonly outDir: string,
    private readonly env: Record<string, string>,
    private readonly logFile: string,
    private readonly nodeArgs: readonly string[],
  ) {}

  /** `nodeArgs`: extra node options (benchmarks: --cpu-prof, --heapsnapshot-signal…). */
  static build(env: Record<string, string>, label: string, nodeArgs: readonly string[] = []): WorkerProcess {
    const outDir = path.join(repoRoot, 'tmp', `sync-worker-build-${label}-${process.pid}`);
    rmSync(outDir, { recursive: true, force: true });
    execFileSync(
      process.execPath,
      [
        path.join(repoRoot, 'node_modules/@swc/cli/bin/swc.js'),
        'apps/sync-worker/src',
        'libs',
        '-d',
        outDir,
        '--quiet',
        '--ignore',
        '**/*.spec.ts,**/*.integration-spec.ts,**/*.e2e-spec.ts',
      ],
      {
        cwd: repoRoot,
        stdio: 'pipe',
      },
    );
    const logDir = path.join(repoRoot, 'tmp', 'sync-worker-logs');
    mkdirSync(logDir, { recursive: true });
    return new WorkerProcess(outDir, env, path.join(logDir, `${label}-${process.pid}.log`), nodeArgs);
  }

  async start(): Promise<void> {
    const port = await freePort();
    this.listening = port;
    const entry = path.join(this.outDir, 'apps/sync-worker/src/main.js');
    const child = spawn(process.execPath, ['--enable-source-maps', ...this.nodeArgs, entry], {
      cwd: repoRoot,
      env: { ...this.env, SYNC_WORKER_PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const log = createWriteStream(this.logFile, { flags: 'a' });
    log.write(`--- start ${++this.starts}\n`);
    child.stdout.pipe(log);
    child.stderr.pipe(log);
    this.child = child;
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`sync-worker exited with ${child.exitCode} (log: ${this.logFile})`);
      try {
        if ((await fetch(`http://127.0.0.1:${port}/health/live`)).ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`sync-worker did not come up (log: ${this.logFile})`);
  }

  /** The port of its health and metrics endpoints. */
  get port(): number | undefined {
    return this.listening;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** The directory the worker was compiled into (its sources' paths in stack traces and profiles). */
  get buildDir(): string {
    return this.outDir;
  }

  /** SIGKILL: no shutdown hook runs, the job's lock is left to lapse. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill(signal);
    });
    this.child = undefined;
  }

  async dispose(): Promise<void> {
    await this.kill('SIGTERM');
    rmSync(this.outDir, { recursive: true, force: true });
  }
}
