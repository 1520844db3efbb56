import { z } from 'zod';
import { Rng } from './random.js';

/** Runtime fault knobs of one bank (control API). Rates are probabilities in [0, 1]. */
export const faultSchema = z
  .object({
    latencyMs: z.number().int().min(0).max(60_000).default(0),
    error500Rate: z.number().min(0).max(1).default(0),
    error503Rate: z.number().min(0).max(1).default(0),
    rateLimitRate: z.number().min(0).max(1).default(0),
    retryAfterSeconds: z.number().int().min(1).max(86_400).default(30),
    malformedJsonRate: z.number().min(0).max(1).default(0),
    schemaViolationRate: z.number().min(0).max(1).default(0),
    /**
     * Fail exactly the next N data-plane calls with this status (deterministic alternative to rates):
     * 500, 503, 429, or a refusal of the resource: 403 (the consent does not cover it) or 404 (no such
     * resource), each in the bank's own error format.
     */
    failNext: z
      .object({
        status: z.union([z.literal(500), z.literal(503), z.literal(429), z.literal(403), z.literal(404)]),
        count: z.number().int().min(1).max(1000),
      })
      .nullable()
      .default(null),
    /** Only calls whose path contains this string are affected (default: every data-plane call). */
    pathContains: z.string().nullable().default(null),
    tokenLifetimeSeconds: z.number().int().min(1).max(31_536_000).nullable().default(null),
    pageSize: z.number().int().min(1).max(10_000).nullable().default(null),
    /** OBIE banks: unattended calls allowed per consent, account and resource in a rolling 24 h. */
    unattendedPerDay: z.number().int().min(1).max(1000).default(4),
  })
  .strict();

export type Faults = z.infer<typeof faultSchema>;
/**
 * A PATCH names only the knobs it changes. Not `faultSchema.partial()`: zod 4 still fills the
 * defaults in for the fields a partial schema leaves out, which would reset every other knob.
 */
export const faultPatchSchema = z
  .object(
    Object.fromEntries(Object.entries(faultSchema.shape).map(([key, field]) => [key, field.unwrap().optional()])) as {
      [K in keyof typeof faultSchema.shape]: z.ZodOptional<ReturnType<(typeof faultSchema.shape)[K]['unwrap']>>;
    },
  )
  .strict();

/** The statuses a fault can answer with. */
export type InjectedStatus = 500 | 503 | 429 | 403 | 404;

export type InjectedFault =
  { kind: 'status'; status: InjectedStatus } | { kind: 'malformed' } | { kind: 'schema' } | null;

/** What the store keeps of a bank's faults: the knobs, the injected counts and the draw position. */
export interface FaultSnapshot {
  faults: Faults;
  injected: FaultState['injected'];
  rng: [number, number, number, number];
}

export class FaultState {
  faults: Faults = faultSchema.parse({});
  readonly injected = {
    status500: 0,
    status503: 0,
    status429: 0,
    status403: 0,
    status404: 0,
    malformedJson: 0,
    schemaViolation: 0,
  };
  private rng: Rng;
  /** Called after every change of the knobs, the counts or the draws (the store persists them). */
  onChange: () => void = () => undefined;

  constructor(private seed: string) {
    this.rng = new Rng(seed, 'faults');
  }

  patch(patch: Partial<Faults>): Faults {
    this.faults = faultSchema.parse({ ...this.faults, ...patch });
    this.onChange();
    return this.faults;
  }

  reset(): Faults {
    this.faults = faultSchema.parse({});
    this.onChange();
    return this.faults;
  }

  /** Back to a new bank's state (POST /sandbox/reset): default knobs, no counts, the first draw. */
  resetAll(seed = this.seed): void {
    this.seed = seed;
    this.rng = new Rng(seed, 'faults');
    for (const key of Object.keys(this.injected) as (keyof FaultState['injected'])[]) this.injected[key] = 0;
    this.reset();
  }

  snapshot(): FaultSnapshot {
    return { faults: structuredClone(this.faults), injected: { ...this.injected }, rng: this.rng.state };
  }

  restore(saved: FaultSnapshot): void {
    const parsed = faultSchema.safeParse(saved.faults);
    this.faults = parsed.success ? parsed.data : faultSchema.parse({});
    Object.assign(this.injected, saved.injected);
    if (Array.isArray(saved.rng) && saved.rng.length === 4) this.rng.state = saved.rng;
  }

  applies(path: string): boolean {
    return this.faults.pathContains === null || path.includes(this.faults.pathContains);
  }

  /** Decides, before the handler runs, whether this call fails outright. */
  drawStatus(path: string): InjectedFault {
    if (!this.applies(path)) return null;
    const f = this.faults;
    if (f.failNext || f.error500Rate > 0 || f.error503Rate > 0 || f.rateLimitRate > 0) this.onChange();
    if (f.failNext) {
      const status = f.failNext.status;
      f.failNext = f.failNext.count > 1 ? { status, count: f.failNext.count - 1 } : null;
      this.count(status);
      return { kind: 'status', status };
    }
    for (const [rate, status] of [
      [f.error500Rate, 500],
      [f.error503Rate, 503],
      [f.rateLimitRate, 429],
    ] as const) {
      if (rate > 0 && this.rng.next() < rate) {
        this.count(status);
        return { kind: 'status', status };
      }
    }
    return null;
  }

  /** Decides whether a successful JSON body is corrupted on the way out. */
  drawBody(path: string): InjectedFault {
    if (!this.applies(path)) return null;
    if (this.faults.malformedJsonRate > 0 || this.faults.schemaViolationRate > 0) this.onChange();
    if (this.faults.malformedJsonRate > 0 && this.rng.next() < this.faults.malformedJsonRate) {
      this.injected.malformedJson++;
      return { kind: 'malformed' };
    }
    if (this.faults.schemaViolationRate > 0 && this.rng.next() < this.faults.schemaViolationRate) {
      this.injected.schemaViolation++;
      return { kind: 'schema' };
    }
    return null;
  }

  private count(status: InjectedStatus): void {
    this.injected[`status${status}`]++;
  }
}

/** Breaks a body against the standard: money as a JSON number, a required field dropped. */
export function violateSchema(body: unknown): unknown {
  const seen = new Set<unknown>();
  let changed = false;
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object' && !seen.has(v)) {
      seen.add(v);
      const out: Record<string, unknown> = {};
      for (const [k, val] of Object.entries(v as Record<string, unknown>)) {
        if ((k === 'Amount' || k === 'amount') && typeof val === 'string') {
          out[k] = Number(val);
          changed = true;
        } else if (k === 'AccountId' || k === 'resourceId' || k === 'consentStatus' || k === 'Status') {
          changed = true;
        } else out[k] = walk(val);
      }
      return out;
    }
    return v;
  };
  const out = walk(body);
  return changed ? out : { unexpected: 'schema violation injected', original: body === undefined ? null : 'dropped' };
}
