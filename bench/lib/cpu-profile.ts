// Reading V8 CPU profiles (node --cpu-prof, the inspector's Profiler): what bench/read's and bench/sync's
// profile summaries share. Each sample is the time until the next one; it goes to the innermost frame
// that a component claims (frames of node core, V8 builtins and the utilities in `neutral` count for
// their caller), and the write syscalls get a line of their own whoever wrote (kernel time, and on a
// busy machine time preempted inside them, is no library's CPU), except a logger's.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';

export interface CallFrame {
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

/** A frame's component, or undefined for frames that count for their caller. */
export type Classify = (frame: CallFrame) => string | undefined;

export interface Components {
  /** Tried in order on each frame; the first that matches names it. */
  list: [string, RegExp][];
  /** Frames skipped on the way up (they count for their caller), by URL. */
  neutral: RegExp;
  /** What a pattern is tested against (default: the frame's URL). */
  key?: (frame: CallFrame) => string;
  /** Decided before the list (e.g. V8's own JSON.stringify, which has no URL). */
  special?: (frame: CallFrame) => string | undefined;
}

export function classifier({ list, neutral, key = (f) => f.url, special }: Components): Classify {
  return (frame) => {
    if (frame.functionName === '(garbage collector)') return 'GC';
    if (frame.functionName === '(program)') return 'V8 (program: compiler, runtime, ICs)';
    const decided = special?.(frame);
    if (decided) return decided;
    if (neutral.test(frame.url)) return undefined;
    const where = key(frame);
    for (const [name, pattern] of list) if (pattern.test(where)) return name;
    return 'other libraries';
  };
}

const SOCKET_WRITE = /^(writev|writeBuffer|writeUtf8String|writeLatin1String|writeAsciiString)$/;

export interface SummaryLabels {
  /** A sample with node core on its stack and no component. */
  nodeCore: string;
  /** The write syscalls' own line. */
  socketWrites: string;
}

export interface ProfileSummary {
  cpuUs: number;
  idleUs: number;
  seconds: number;
  byComponent: Map<string, number>;
  self: Map<string, { frame: CallFrame; us: number; component: string }>;
  /** With `inclusive`: per function, the samples with it anywhere on the (synchronous) stack. */
  inclusive: Map<string, { frame: CallFrame; us: number }>;
  /** With `inclusive`: per component, the samples with a frame of it anywhere on the stack. */
  inclusiveByComponent: Map<string, number>;
}

/** A frame as one line: function, file (from node_modules/, dist/ or tmp/<dir>/ on) and line. */
export const short = (f: CallFrame) =>
  `${f.functionName || '(anonymous)'} ${f.url.replace(/^file:\/\/.*?\/(node_modules|dist|tmp\/[^/]+)\//, '$1/')}${f.url ? `:${f.lineNumber + 1}` : ''}`;

export const fmt = (n: number, d = 0) =>
  n.toLocaleString('en-GB', { maximumFractionDigits: d, minimumFractionDigits: d });

/** The samples of `profile` between `from` and `to` (µs, the profile's clock; default all of it). */
export function summarise(
  profile: CpuProfile,
  classify: Classify,
  labels: SummaryLabels,
  opts: { from?: number; to?: number; inclusive?: boolean } = {},
): ProfileSummary {
  const { from = profile.startTime, to = profile.endTime } = opts;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const s: ProfileSummary = {
    cpuUs: 0,
    idleUs: 0,
    seconds: (to - from) / 1e6,
    byComponent: new Map(),
    self: new Map(),
    inclusive: new Map(),
    inclusiveByComponent: new Map(),
  };
  const stackOf = (leafId: number): CallFrame[] => {
    const stack: CallFrame[] = [];
    for (let id: number | undefined = leafId; id !== undefined; id = parent.get(id)) {
      const frame = byId.get(id)!.callFrame;
      if (frame.functionName !== '(root)') stack.push(frame);
    }
    return stack;
  };
  // A sample's component depends on its stack only: once per profile node.
  const componentOfNode = new Map<number, string>();
  const componentOf = (leafId: number, stack: CallFrame[]): string => {
    const known = componentOfNode.get(leafId);
    if (known) return known;
    let component: string | undefined;
    for (const frame of stack) if ((component = classify(frame))) break;
    component ??= stack.some((f) => f.url.startsWith('node:')) ? labels.nodeCore : 'V8 builtins';
    const leaf = stack[0];
    if (leaf && SOCKET_WRITE.test(leaf.functionName) && leaf.url === '' && !component.startsWith('logging'))
      component = labels.socketWrites;
    componentOfNode.set(leafId, component);
    return component;
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
    const us = profile.timeDeltas[i + 1] ?? profile.timeDeltas[i];
    const leaf = byId.get(profile.samples[i])!;
    if (leaf.callFrame.functionName === '(idle)') {
      s.idleUs += us;
      continue;
    }
    s.cpuUs += us;
    const stack = componentOfNode.has(leaf.id) && !opts.inclusive ? [] : stackOf(leaf.id);
    const component = componentOf(leaf.id, stack);
    s.byComponent.set(component, (s.byComponent.get(component) ?? 0) + us);
    add(s.self, short(leaf.callFrame), us, () => ({ frame: leaf.callFrame, us: 0, component }));
    if (!opts.inclusive) continue;
    for (const c of new Set(stack.map(classify).filter((c): c is string => c !== undefined)))
      s.inclusiveByComponent.set(c, (s.inclusiveByComponent.get(c) ?? 0) + us);
    for (const key of new Set(stack.map(short))) {
      const frame = stack.find((f) => short(f) === key)!;
      add(s.inclusive, key, us, () => ({ frame, us: 0 }));
    }
  }
  return s;
}

export function loadProfile(file: string): CpuProfile {
  return JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
}

/** The one profile in `dir` (node --cpu-prof writes one file per process). */
export function onlyProfileIn(dir: string): CpuProfile {
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')) : [];
  if (files.length !== 1) throw new Error(`${dir}: expected one .cpuprofile, found ${files.length}`);
  return loadProfile(path.join(dir, files[0]));
}
