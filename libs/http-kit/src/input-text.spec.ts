import { isUnsafeText, unsafeTextAt } from './input-text.js';

describe('text that cannot be stored', () => {
  it('is a NUL or an unpaired surrogate, not other Unicode', () => {
    expect(isUnsafeText('a\u0000b')).toBe(true);
    expect(isUnsafeText('\ud800')).toBe(true);
    expect(isUnsafeText('x\udc00y')).toBe(true);
    expect(isUnsafeText('\udc00\ud800')).toBe(true);
    expect(isUnsafeText('😀 Zürich ٣ \u0001')).toBe(false);
  });

  it('is found anywhere in a parsed value, keys included, with its path', () => {
    expect(unsafeTextAt({ a: [1, { b: 'ok' }, { c: 'x\u0000' }] }, 'body')).toBe('body.a[2].c');
    expect(unsafeTextAt({ ['k\u0000']: 1 }, 'query')).toBe('query');
    expect(unsafeTextAt({ consentId: 'cons_1' }, 'path')).toBeUndefined();
    expect(unsafeTextAt(undefined, 'body')).toBeUndefined();
  });

  it('does not recurse: a value nested 100,000 deep is walked without a stack overflow', () => {
    let deep: unknown = 'bad\u0000';
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(unsafeTextAt(deep, 'body')).toMatch(/^body(\[0\]){100000}$/);
  });
});
