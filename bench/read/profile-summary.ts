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
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  classifier,
  fmt,
  onlyProfileIn,
  short,
  summarise as summariseProfile,
  type CpuProfile,
  type ProfileSummary,
} from '../lib/cpu-profile.js';

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
/** Frames skipped on the way up (they count for their caller): node core, V8 builtins, shared utilities. */
const componentOf = classifier({
  list: COMPONENTS,
  neutral: /^node:|^$|node_modules\/(decimal\.js|undici)\//,
  key: (frame) => `${frame.url}:${frame.functionName}`,
  special: (frame) =>
    frame.url === '' && /^(JSON\.)?stringify$|^JSONStringify/.test(frame.functionName)
      ? 'serialisation (views, money, cursors, JSON)'
      : undefined,
});

type Windows = Record<'gateway' | 'bare', Record<string, [number, number, number]>>;
const windows = JSON.parse(readFileSync(path.join(dir, 'windows.json'), 'utf8')) as Windows;

const loadProfile = (side: string): CpuProfile => onlyProfileIn(path.join(dir, side));

interface Summary extends ProfileSummary {
  requests: number;
}

function summarise(profile: CpuProfile, window: [number, number, number]): Summary {
  const [from, to, requests] = window;
  if (from < profile.startTime || to > profile.endTime)
    throw new Error(
      `window ${from}-${to} is outside the profile (${profile.startTime}-${profile.endTime}): not the same clock?`,
    );
  const labels = {
    nodeCore: 'node core (http, net, streams, timers)',
    socketWrites: 'socket writes (syscalls to Postgres, Redis, HTTP clients)',
  };
  return { requests, ...summariseProfile(profile, componentOf, labels, { from, to, inclusive: true }) };
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
