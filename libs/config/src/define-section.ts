import { z } from 'zod';

/** A configuration section: a zod object over environment variable names, mapped to a typed value. */
export interface ConfigSection<T> {
  readonly name: string;
  parse(env: Record<string, string | undefined>): { ok: true; value: T } | { ok: false; issues: string[] };
}

export function defineSection<S extends z.ZodRawShape, T>(
  name: string,
  shape: S,
  map: (vars: z.infer<z.ZodObject<S>>) => T,
  refine?: (vars: z.infer<z.ZodObject<S>>) => string[],
): ConfigSection<T> {
  const schema = z.object(shape);
  return {
    name,
    parse(env) {
      const picked: Record<string, string | undefined> = {};
      for (const key of Object.keys(shape)) {
        const raw = env[key];
        picked[key] = raw === undefined || raw.trim() === '' ? undefined : raw.trim();
      }
      const result = schema.safeParse(picked);
      if (!result.success) {
        return {
          ok: false,
          issues: result.error.issues.map((issue) => `${String(issue.path[0] ?? name)}: ${issue.message}`),
        };
      }
      const extra = refine?.(result.data) ?? [];
      if (extra.length > 0) return { ok: false, issues: extra };
      return { ok: true, value: map(result.data) };
    },
  };
}

/** Helpers for common variable kinds, with messages that say what is expected. */
export const env = {
  port: (fallback: number) => z.coerce.number().int().min(1).max(65535).default(fallback),
  int: (fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER) =>
    z.coerce.number().int().min(min).max(max).default(fallback),
  url: (fallback?: string) => (fallback === undefined ? z.url() : z.url().default(fallback)),
  bool: (fallback: boolean) =>
    z
      .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'expected true or false' })
      .default(fallback ? 'true' : 'false')
      .transform((v) => v === 'true' || v === '1' || v === 'yes'),
  list: (fallback = '') =>
    z
      .string()
      .default(fallback)
      .transform((v) =>
        v
          .split(',')
          .map((s) => s.trim())
          .filter((s) => s.length > 0),
      ),
};
