import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AppError, newId } from '@ais/domain';
import { IdParamsPipe, PARAM_FORMATS } from './id-params.pipe.js';

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? sourceFiles(path.join(dir, e.name))
      : e.name.endsWith('.ts') && !e.name.includes('spec')
        ? [path.join(dir, e.name)]
        : [],
  );
}

describe('path parameters are checked by format', () => {
  const pipe = new IdParamsPipe();
  const param = (data: string) => ({ type: 'param' as const, data });

  it('has a format for every path parameter of every gateway route', () => {
    const names = new Set<string>();
    for (const file of sourceFiles(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')))
      for (const m of readFileSync(file, 'utf8').matchAll(/@Param\('([^']+)'/g)) names.add(m[1]);
    expect(names.size).toBeGreaterThan(5);
    expect([...names].filter((n) => !(n in PARAM_FORMATS))).toEqual([]);
  });

  it('passes our own ids and provider, queue and job names', () => {
    expect(pipe.transform(newId('consent'), param('consentId'))).toMatch(/^cons_/);
    for (const [name, value] of [
      ['providerId', 'allstar'],
      ['queue', 'sync.allstar'],
      ['jobId', 'sync-cons_01JD8Z'],
      ['jobId', 'repeat:schedule-due-syncs:1796433899041'],
    ])
      expect(pipe.transform(value, param(name))).toBe(value);
  });

  it.each([
    ['consentId', 'acc_01JD8Z'], // another kind's id
    ['consentId', 'cons_'],
    ['consentId', 'cons_\u0000'],
    ['consentId', `cons_${'A'.repeat(65)}`],
    ['accountId', "acc_1' OR '1'='1"],
    ['providerId', 'All Star'],
    ['providerId', '%00'],
    ['webhookId', 'we_ü'],
  ])('answers %s = %j with 404 before any query', (name, value) => {
    expect(() => pipe.transform(value, param(name))).toThrow(AppError);
    try {
      pipe.transform(value, param(name));
    } catch (e) {
      expect((e as AppError).code).toBe('not_found');
    }
  });

  it('leaves bodies and queries to their DTOs', () => {
    expect(pipe.transform({ a: 1 }, { type: 'body' })).toEqual({ a: 1 });
    expect(pipe.transform('x\u0000', { type: 'query', data: 'cursor' })).toBe('x\u0000');
  });
});
