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
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

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
const SOCKET_WRITE = /^(writev|writeBuffer|writeUtf8String|writeLatin1String|writeAsciiString)$/;

/** Frames skipped on the way up (they count for their caller): node core, V8 builtins, undici. */
const NEUTRAL = /^node:|^$|node_modules\/(undici|decimal\.js)\//;

function componentOf(frame: CallFrame): string | undefined {
  if (frame.functionName === '(garbage collector)') return 'GC';
  if (frame.functionName === '(program)') return 'V8 (program: compiler, runtime, ICs)';
  if (NEUTRAL.test(frame.url)) return undefined;
  for (const [name, pattern] of COMPONENTS) if (pattern.test(frame.url)) return name;
  return 'other libraries';
}

const short = (f: CallFrame) =>
  `${f.functionName || '(anonymous)'} ${f.url.replace(/^file:\/\/.*?\/(node_modules|dist|tmp\/[^/]+)\//, '$1/')}${f.url ? `:${f.lineNumber + 1}` : ''}`;

const fmt = (n: number, d = 0) => n.toLocaleString('en-GB', { maximumFractionDigits: d, minimumFractionDigits: d });

export interface ProfileSummary {
  cpuUs: number;
  idleUs: number;
  seconds: number;
  byComponent: Map<string, number>;
  self: Map<string, { frame: CallFrame; us: number; component: string }>;
}

/** The samples of `profile` between `from` and `to` (µs, the profile's clock; default all of it). */
export function summarise(profile: CpuProfile, from = profile.startTime, to = profile.endTime): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const s: ProfileSummary = {
    cpuUs: 0,
    idleUs: 0,
    seconds: (to - from) / 1e6,
    byComponent: new Map(),
    self: new Map(),
  };
  const componentOfNode = new Map<number, string>();
  const nodeComponent = (leafId: number): string => {
    const known = componentOfNode.get(leafId);
    if (known) return known;
    let component: string | undefined;
    let nodeCore = false;
    for (let id: number | undefined = leafId; id !== undefined; id = parent.get(id)) {
      const frame = byId.get(id)!.callFrame;
      if (frame.functionName === '(root)') continue;
      if (frame.url.startsWith('node:')) nodeCore = true;
      if ((component = componentOf(frame))) break;
    }
    const leaf = byId.get(leafId)!.callFrame;
    component ??= nodeCore ? 'node core (net, tls, http, streams, timers)' : 'V8 builtins';
    if (SOCKET_WRITE.test(leaf.functionName) && leaf.url === '' && !component.startsWith('logging'))
      component = 'socket writes (syscalls)';
    componentOfNode.set(leafId, component);
    return component;
  };
  let t = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i];
    if (t < from || t > to) continue;
    const us = profile.timeDeltas[i + 1] ?? profile.timeDeltas[i];
    const leaf = byId.get(profile.samples[i])!;
    if (leaf.callFrame.functionName === '(idle)') {
      s.idleUs += us;
      continue;
    }
    s.cpuUs += us;
    const component = nodeComponent(leaf.id);
    s.byComponent.set(component, (s.byComponent.get(component) ?? 0) + us);
    const key = short(leaf.callFrame);
    const entry = s.self.get(key) ?? { frame: leaf.callFrame, us: 0, component };
    entry.us += us;
    s.self.set(key, entry);
  }
  return s;
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

export function loadProfile(file: string): CpuProfile {
  return JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
}

/** The worker's one profile (node --cpu-prof writes one file per process) in `dir`. */
export function workerProfile(dir: string): CpuProfile {
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')) : [];
  if (files.length !== 1) throw new Error(`${dir}: expected one .cpuprofile, found ${files.length}`);
  return loadProfile(path.join(dir, files[0]));
}

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
