import { canonical } from './idempotency.interceptor.js';

describe('idempotency request identity', () => {
  it('treats bodies that differ only in key order as the same request', () => {
    expect(canonical({ b: 1, a: { d: [1, { y: 2, x: 1 }], c: null } })).toBe(
      canonical({ a: { c: null, d: [1, { x: 1, y: 2 }] }, b: 1 }),
    );
  });

  it('tells apart bodies that differ in a value, an array order or a type', () => {
    const base = canonical({ name: 'Acme', redirectUris: ['https://a', 'https://b'], limit: 1 });
    expect(canonical({ name: 'Acme ', redirectUris: ['https://a', 'https://b'], limit: 1 })).not.toBe(base);
    expect(canonical({ name: 'Acme', redirectUris: ['https://b', 'https://a'], limit: 1 })).not.toBe(base);
    expect(canonical({ name: 'Acme', redirectUris: ['https://a', 'https://b'], limit: '1' })).not.toBe(base);
    expect(canonical(null)).not.toBe(canonical({}));
  });
});
