// Where the CPU goes per request: summarises the CPU profiles of `bench.js --prof=1`.
//
//   node dist/bench/read/profile-summary.js [tmp/bench-read-prof] [--top=15] [--side=gateway|bare|both]
//
// Reads <dir>/{gateway,bare}/*.cpuprofile (node --cpu-prof) and <dir>/windows.json (per side and row:
// the measured window, CLOCK_MONOTONIC µs like V8's profile timestamps on Linux, and the requests
// served). For each row it keeps the samples inside that row's window, so warm-ups, start-up and the
// other rows are left out, and prints CPU µs per request:
// - by component (self time): each sample goes to the innermost frame that belongs to a known component
//   (credential verification and its cache, rate limiter, Prisma, pg driver, validation, serialisation, Nest/Fastify,
//   logging, metrics, application code); frames of node core, V8 builtins and shared utilities
//   (decimal.js) are skipped, so a JSON.parse or a socket write counts for the code that asked for it.
//   Only what no component claims stays "node core" / "V8";
// - the top functions by self time and by inclusive time (synchronous stacks only: after an `await`
//   the stack starts again from the microtask queue, so a guard's inclusive time is its synchronous
//   part, and the component view is the one to read for async code).
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import path from 'node:path';

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
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

const args = Object.fromEntries(
  process.argv
    .slice(2)
    .filter((a) => a.startsWith('--'))
    .map((a) => a.replace(/^--/, '').split('=') as [string, string]),
);
const dir = path.resolve(process.argv.slice(2).find((a) => !a.startsWith('--')) ?? 'tmp/bench-read-prof');
const TOP = Number(args.top ?? 15);
const SIDES = (args.side ?? 'both') === 'both' ? (['gateway', 'bare'] as const) : [args.side as 'gateway' | 'bare'];

/** Components, tried on each frame from the leaf up; the first frame that matches one decides. */
const COMPONENTS: [string, RegExp][] = [
  [
    'logging (pino, request log line)',
    /node_modules\/(pino|sonic-boom|pino-std-serializers|fast-redact|@pinojs)\/|libs\/observability\/src\/(logger|redaction)/,
  ],
  ['metrics (prom-client)', /node_modules\/(prom-client|tdigest|bintrees)\/|libs\/observability\/src\/metrics/],
  [
    'credential verification (passport, API key hash, JWT, credential cache)',
    /node_modules\/(passport|passport-custom|passport-strategy|jose|@nestjs\/passport)\/|libs\/auth\/src\/(tenant-auth\.service|strategies|guards|access-tokens\.service|credentials|credential-cache|signing-keys\.service)|libs\/crypto\/src\/secrets|libs\/db\/src\/repositories\/credential\.repository/,
  ],
  [
    'rate limiter (GCRA guard, ioredis)',
    /node_modules\/(ioredis|@ioredis|redis-parser|redis-errors|denque|cluster-key-slot|standard-as-callback)\/|libs\/auth\/src\/rate-limiter|rate-limit\/tenant-rate-limit\.guard/,
  ],
  [
    'Prisma (client, query compiler, adapter-pg)',
    /node_modules\/(@prisma|\.prisma|prisma)\/|libs\/db\/src\/generated\/|^wasm:\/\//,
  ],
  [
    'pg driver (node-postgres)',
    /node_modules\/(pg|pg-protocol|pg-types|pg-pool|pg-int8|postgres-array|postgres-date|postgres-bytea|postgres-interval|pg-connection-string|pgpass|split2)\//,
  ],
  [
    'class-transformer / validation (pipes)',
    /node_modules\/(class-transformer|class-validator|validator|libphonenumber-js)\/|@nestjs\/common\/pipes\/|apps\/gateway\/src\/http\/id-params\.pipe|libs\/http-kit\/src\/(validation|input-text)|\/dto\//,
  ],
  [
    'serialisation (views, money, cursors, JSON)',
    /apps\/gateway\/src\/data\/data\.views|libs\/domain\/src\/(money|category|currency)|libs\/http-kit\/src\/(pagination|cursor)|node_modules\/(fast-json-stringify|safe-stable-stringify)\/|bench\/read\/bare-server\.js:(\w*[Vv]iew|money|tag|encodeCursor|decodeChangesCursor)$/,
  ],
  [
    'Nest / Fastify (routing, guards, pipes, interceptors)',
    /node_modules\/(@nestjs\/(core|common|platform-fastify)|fastify|@fastify|find-my-way|avvio|light-my-request|rxjs|fast-querystring|fast-decode-uri-component|content-type|toad-cache|fastq|reusify|process-warning|abstract-logging|reflect-metadata|path-to-regexp|iterare|tslib)\/|libs\/http-kit\/src\/(bootstrap|problem|send-problem|error-normaliser|json-body)|apps\/gateway\/src\/(idempotency|auth\/decorators)/,
  ],
  [
    'application code (controllers, services, repositories)',
    /apps\/gateway\/src\/|libs\/db\/src\/repositories\/|libs\/(domain|db|http-kit|auth|crypto)\/src\/|bench\/read\/bare-server/,
  ],
];
const SOCKET_WRITE = /^(writev|writeBuffer|writeUtf8String|writeLatin1String|writeAsciiString)$/;
const SOCKET_WRITES = 'socket writes (syscalls to Postgres, Redis, HTTP clients)';

/** Frames skipped on the way up (they count for their caller): node core, V8 builtins, shared utilities. */
const NEUTRAL = /^node:|^$|node_modules\/(decimal\.js|undici)\//;

function componentOf(frame: CallFrame): string | undefined {
  if (frame.functionName === '(garbage collector)') return 'GC';
  if (frame.functionName === '(program)') return 'V8 (program: compiler, runtime, ICs)';
  if (frame.url === '' && /^(JSON\.)?stringify$|^JSONStringify/.test(frame.functionName))
    return 'serialisation (views, money, cursors, JSON)';
  if (NEUTRAL.test(frame.url)) return undefined;
  const where = `${frame.url}:${frame.functionName}`;
  for (const [name, pattern] of COMPONENTS) if (pattern.test(where)) return name;
  return 'other libraries';
}

const short = (f: CallFrame) =>
  `${f.functionName || '(anonymous)'} ${f.url.replace(/^file:\/\/.*?\/(node_modules|dist)\//, '$1/')}${f.url ? `:${f.lineNumber + 1}` : ''}`;

type Windows = Record<'gateway' | 'bare', Record<string, [number, number, number]>>;
const windows = JSON.parse(readFileSync(path.join(dir, 'windows.json'), 'utf8')) as Windows;

function loadProfile(side: string): CpuProfile {
  const folder = path.join(dir, side);
  const files = existsSync(folder) ? readdirSync(folder).filter((f) => f.endsWith('.cpuprofile')) : [];
  if (files.length !== 1) throw new Error(`${folder}: expected one .cpuprofile, found ${files.length}`);
  return JSON.parse(readFileSync(path.join(folder, files[0]), 'utf8')) as CpuProfile;
}

const fmt = (n: number, d = 0) => n.toLocaleString('en-GB', { maximumFractionDigits: d, minimumFractionDigits: d });

interface Summary {
  requests: number;
  cpuUs: number;
  idleUs: number;
  byComponent: Map<string, number>;
  self: Map<string, { frame: CallFrame; us: number; component: string }>;
  inclusive: Map<string, { frame: CallFrame; us: number }>;
  /** Per component: time of the samples with a frame of it anywhere on the (synchronous) stack. */
  inclusiveByComponent: Map<string, number>;
}

function summarise(profile: CpuProfile, window: [number, number, number]): Summary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const [from, to, requests] = window;
  if (from < profile.startTime || to > profile.endTime)
    throw new Error(
      `window ${from}-${to} is outside the profile (${profile.startTime}-${profile.endTime}): not the same clock?`,
    );
  const s: Summary = {
    requests,
    cpuUs: 0,
    idleUs: 0,
    byComponent: new Map(),
    self: new Map(),
    inclusive: new Map(),
    inclusiveByComponent: new Map(),
  };
  const add = <T extends { us: number }>(map: Map<string, T>, key: string, us: number, make: () => T) => {
    const entry = map.get(key) ?? make();
    entry.us += us;
    map.set(key, entry);
  };
  let t = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i];
    if (t < from || t > to) continue;
    // A sample stands for the time until the next one.
    const us = profile.timeDeltas[i + 1] ?? profile.timeDeltas[i];
    const leaf = byId.get(profile.samples[i])!;
    if (leaf.callFrame.functionName === '(idle)') {
      s.idleUs += us;
      continue;
    }
    s.cpuUs += us;
    const stack: CallFrame[] = [];
    for (let id: number | undefined = leaf.id; id !== undefined; id = parent.get(id)) {
      const frame = byId.get(id)!.callFrame;
      if (frame.functionName !== '(root)') stack.push(frame);
    }
    let component: string | undefined;
    for (const frame of stack) if ((component = componentOf(frame))) break;
    component ??= stack.some((f) => f.url.startsWith('node:'))
      ? 'node core (http, net, streams, timers)'
      : 'V8 builtins';
    // The write syscall itself (kernel time, and on a busy machine time preempted inside it) is no
    // library's CPU: its own line, whoever wrote (the log file's writes stay with logging).
    if (SOCKET_WRITE.test(leaf.callFrame.functionName) && leaf.callFrame.url === '' && !component.startsWith('logging'))
      component = SOCKET_WRITES;
    s.byComponent.set(component, (s.byComponent.get(component) ?? 0) + us);
    const selfKey = short(leaf.callFrame);
    add(s.self, selfKey, us, () => ({
      frame: leaf.callFrame,
      us: 0,
      component,
    }));
    for (const c of new Set(stack.map(componentOf).filter((c): c is string => c !== undefined)))
      s.inclusiveByComponent.set(c, (s.inclusiveByComponent.get(c) ?? 0) + us);
    for (const key of new Set(stack.map(short))) {
      const frame = stack.find((f) => short(f) === key)!;
      add(s.inclusive, key, us, () => ({ frame, us: 0 }));
    }
  }
  return s;
}

const profiles = Object.fromEntries(SIDES.map((side) => [side, loadProfile(side)]));
for (const row of Object.keys(windows.gateway)) {
  const summaries = Object.fromEntries(
    SIDES.filter((side) => windows[side][row]).map((side) => [side, summarise(profiles[side], windows[side][row])]),
  ) as Partial<Record<'gateway' | 'bare', Summary>>;
  console.log(`\n══ ${row} ══`);
  for (const [side, s] of Object.entries(summaries)) {
    const seconds = (windows[side as 'gateway'][row][1] - windows[side as 'gateway'][row][0]) / 1e6;
    console.log(
      `  ${side}: ${fmt(s.requests)} requests in ${fmt(seconds, 1)} s; CPU ${fmt(s.cpuUs / 1e6, 2)} s (${fmt((s.cpuUs / (s.cpuUs + s.idleUs)) * 100)} % busy) = ${fmt(s.cpuUs / s.requests)} µs per request`,
    );
  }
  const components = new Set(Object.values(summaries).flatMap((s) => [...s.byComponent.keys()]));
  const perRequest = (s: Summary | undefined, c: string) => (s ? (s.byComponent.get(c) ?? 0) / s.requests : 0);
  console.log(`\n  by component, self time, µs per request${summaries.bare ? ' (gateway | bare | difference)' : ''}:`);
  for (const c of [...components].sort((a, b) => perRequest(summaries.gateway, b) - perRequest(summaries.gateway, a))) {
    const g = perRequest(summaries.gateway, c);
    const b = perRequest(summaries.bare, c);
    const share = summaries.gateway
      ? ` ${fmt((g / (summaries.gateway.cpuUs / summaries.gateway.requests)) * 100).padStart(3)} %`
      : '';
    console.log(
      `    ${c.padEnd(58)} ${fmt(g).padStart(6)}${share}${summaries.bare ? ` | ${fmt(b).padStart(6)} | ${fmt(g - b).padStart(6)}` : ''}`,
    );
  }
  const inclusive = (s: Summary | undefined, c: string) => (s ? (s.inclusiveByComponent.get(c) ?? 0) / s.requests : 0);
  console.log(
    `\n  by component, inclusive (a frame of it anywhere on the synchronous stack), µs per request${summaries.bare ? ' (gateway | bare)' : ''}:`,
  );
  for (const c of [...components]
    .filter((c) => inclusive(summaries.gateway, c) + inclusive(summaries.bare, c) > 0)
    .sort((a, b) => inclusive(summaries.gateway, b) - inclusive(summaries.gateway, a)))
    console.log(
      `    ${c.padEnd(58)} ${fmt(inclusive(summaries.gateway, c)).padStart(6)}${summaries.bare ? ` | ${fmt(inclusive(summaries.bare, c)).padStart(6)}` : ''}`,
    );
  for (const [side, s] of Object.entries(summaries)) {
    console.log(`\n  ${side}: top ${TOP} functions by self time (µs per request):`);
    for (const e of [...s.self.values()].sort((a, b) => b.us - a.us).slice(0, TOP))
      console.log(
        `    ${fmt(e.us / s.requests).padStart(6)}  ${short(e.frame).slice(0, 110).padEnd(110)} [${e.component}]`,
      );
    console.log(
      `\n  ${side}: top ${TOP} functions by inclusive time (synchronous stacks, node core and V8 left out; µs per request):`,
    );
    for (const e of [...s.inclusive.values()]
      .filter((e) => componentOf(e.frame) !== undefined && !e.frame.functionName.startsWith('('))
      .sort((a, b) => b.us - a.us)
      .slice(0, TOP))
      console.log(
        `    ${fmt(e.us / s.requests).padStart(6)}  ${short(e.frame).slice(0, 110).padEnd(110)} [${componentOf(e.frame) ?? 'node core / V8'}]`,
      );
  }
}
