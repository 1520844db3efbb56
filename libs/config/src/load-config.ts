import type { ConfigSection } from './define-section.js';

export class ConfigError extends Error {
  constructor(readonly issues: string[]) {
    super(`Invalid configuration:\n  - ${issues.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

type SectionValues<S extends Record<string, ConfigSection<unknown>>> = {
  readonly [K in keyof S]: S[K] extends ConfigSection<infer T> ? T : never;
};

/**
 * Validates the environment once into a typed, nested object. Every problem is collected first, so a
 * misconfigured deployment learns about all bad variables in one start, each named.
 */
export function loadConfig<S extends Record<string, ConfigSection<unknown>>>(
  sections: S,
  source: Record<string, string | undefined> = process.env,
): SectionValues<S> {
  const issues: string[] = [];
  const out: Record<string, unknown> = {};
  for (const [key, section] of Object.entries(sections)) {
    const parsed = section.parse(source);
    if (parsed.ok) out[key] = parsed.value;
    else issues.push(...parsed.issues);
  }
  if (issues.length > 0) throw new ConfigError(issues);
  return Object.freeze(out) as SectionValues<S>;
}
