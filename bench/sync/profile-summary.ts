// Where the CPU goes in a sync round: summarises the CPU profiles of `bench.js --only=e2e --prof=1`.
//
//   node dist/bench/sync/profile-summary.js [tmp/bench-sync-prof/<run>] [--top=20]
//
// <dir>/worker/*.cpuprofile is the sync-worker's (node --cpu-prof, the whole run) and <dir>/windows.json
// the measured rounds: CLOCK_MONOTONIC µs like V8's timestamps on Linux, and the account syncs done; the
// worker's samples inside a round's window are that round's. <dir>/bench-<round>.cpuprofile is this
// benchmark's own process over the same round: the sandbox banks, the connector-service and the token
// vault (they run in the benchmark's process). Prints CPU ms per account sync by component (self time,
// each sample to the innermost frame a component claims; node core, V8 builtins and undici's frames
// count for the code that called them) and the top functions by self time.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  classifier,
  fmt,
  loadProfile,
  onlyProfileIn,
  short,
  summarise as summariseProfile,
  type CpuProfile,
  type ProfileSummary,
} from '../lib/cpu-profile.js';

export type { CpuProfile, ProfileSummary } from '../lib/cpu-profile.js';

/** Components, tried on each frame from the leaf up; the first frame that matches one decides. */
const COMPONENTS: [string, RegExp][] = [
  [
    'logging (pino)',
    /node_modules\/(pino|sonic-boom|pino-std-serializers|fast-redact|@pinojs)\/|libs\/observability\/src\/(logger|redaction)/,
  ],
  ['metrics (prom-client)', /node_modules\/(prom-client|tdigest|bintrees)\/|libs\/observability\/src\/metrics/],
  [
    'Prisma (client, query compiler, adapter-pg)',
    /node_modules\/(@prisma|\.prisma|prisma)\/|libs\/db\/src\/generated\/|^wasm:\/\//,
  ],
  [
    'pg driver (node-postgres, COPY)',
    /node_modules\/(pg|pg-protocol|pg-types|pg-pool|pg-int8|pg-copy-streams|postgres-array|postgres-date|postgres-bytea|postgres-interval|pg-connection-string|pgpass|split2)\//,
  ],
  [
    'BullMQ + ioredis',
    /node_modules\/(bullmq|ioredis|@ioredis|redis-parser|redis-errors|denque|cluster-key-slot|standard-as-callback|msgpackr|cron-parser|luxon|lodash|semver|node-abort-controller)\/|libs\/db\/src\/(redis-client|legacy-queue)/,
  ],
  [
    'RPC (NATS, Nest microservices, rxjs)',
    /node_modules\/(nats|@nats-io|@nestjs\/microservices|rxjs)\/|libs\/rpc\/src\//,
  ],
  ['JOSE / crypto (jose, key ring)', /node_modules\/jose\/|libs\/crypto\/src\//],
  ['validation (zod)', /node_modules\/zod\//],
  [
    'Nest / Fastify',
    /node_modules\/(@nestjs\/(core|common|platform-fastify)|fastify|@fastify|find-my-way|avvio|light-my-request|fast-querystring|fast-json-stringify|content-type|toad-cache|fastq|reusify|process-warning|abstract-logging|reflect-metadata|path-to-regexp|iterare|tslib)\/|libs\/http-kit\/src\//,
  ],
  ['sync-worker: transaction diff and serialising', /apps\/sync-worker\/src\/sync\/transaction-diff/],
  ['sync-worker: run, plan, jobs, scheduler', /apps\/sync-worker\/src\//],
  ['libs/db repositories', /libs\/db\/src\//],
  ['libs/sync use cases (RequestSync, budget)', /libs\/sync\/src\//],
  ['libs/domain', /libs\/domain\/src\//],
  ['connectors (libs/connectors: HTTP, mapping)', /libs\/connectors\/src\//],
  ['connector-service (calls, guard, tokens)', /apps\/connector-service\/src\//],
  ['sandbox banks (apps/sandbox-bank)', /apps\/sandbox-bank\/src\//],
  ['benchmark and harness', /bench\/sync\/|apps\/sync-worker\/test\//],
];
/** Frames skipped on the way up (they count for their caller): node core, V8 builtins, undici. */
const classify = classifier({ list: COMPONENTS, neutral: /^node:|^$|node_modules\/(undici|decimal\.js)\// });

/** The samples of `profile` between `from` and `to` (µs, the profile's clock; default all of it). */
export function summarise(profile: CpuProfile, from = profile.startTime, to = profile.endTime): ProfileSummary {
  return summariseProfile(
    profile,
    classify,
    { nodeCore: 'node core (net, tls, http, streams, timers)', socketWrites: 'socket writes (syscalls)' },
    { from, to },
  );
}

/** The summary as lines: CPU ms per `unit` (e.g. per account sync) by component, then the top functions. */
export function report(title: string, s: ProfileSummary, units: number, unitName: string, top = 15): string[] {
  const per = (us: number) => us / 1000 / units;
  const out = [
    `  ${title}: CPU ${fmt(s.cpuUs / 1e6, 1)} s in ${fmt(s.seconds, 1)} s (${fmt((s.cpuUs / 1e6 / s.seconds) * 100)} % of one core) = ${fmt(per(s.cpuUs), 2)} ms per ${unitName}`,
  ];
  for (const [c, us] of [...s.byComponent].sort((a, b) => b[1] - a[1]).filter(([, us]) => us / s.cpuUs >= 0.005))
    out.push(`    ${fmt(per(us), 3).padStart(7)} ms ${fmt((us / s.cpuUs) * 100).padStart(3)} %  ${c}`);
  out.push(`    top ${top} functions by self time (ms per ${unitName}):`);
  for (const e of [...s.self.values()].sort((a, b) => b.us - a.us).slice(0, top))
    out.push(`    ${fmt(per(e.us), 3).padStart(7)}  ${short(e.frame).slice(0, 100).padEnd(100)} [${e.component}]`);
  return out;
}

export type Windows = Record<string, [from: number, to: number, units: number]>;

/** The worker's one profile (node --cpu-prof writes one file per process) in `dir`. */
export const workerProfile = onlyProfileIn;

/** Every round of a profiled run: the worker's share of its profile and the benchmark process's. */
export function reportRun(dir: string, top = 15): string[] {
  const windows = JSON.parse(readFileSync(path.join(dir, 'windows.json'), 'utf8')) as Windows;
  const worker = workerProfile(path.join(dir, 'worker'));
  const out: string[] = [];
  for (const [round, [from, to, units]] of Object.entries(windows)) {
    out.push(`  ── ${round} ──`);
    out.push(...report('sync-worker', summarise(worker, from, to), units, 'account sync', top));
    const file = path.join(dir, `bench-${round.replace(/[^a-z0-9]+/gi, '-')}.cpuprofile`);
    if (existsSync(file))
      out.push(
        ...report(
          'sandbox + connector-service + vault (benchmark process)',
          summarise(loadProfile(file)),
          units,
          'account sync',
          top,
        ),
      );
  }
  return out;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = Object.fromEntries(
    process.argv
      .slice(2)
      .filter((a) => a.startsWith('--'))
      .map((a) => a.replace(/^--/, '').split('=') as [string, string]),
  );
  const dir = path.resolve(process.argv.slice(2).find((a) => !a.startsWith('--')) ?? 'tmp/bench-sync-prof');
  for (const l of reportRun(dir, Number(args.top ?? 20))) console.log(l);
}
