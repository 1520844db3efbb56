import { jest } from '@jest/globals';
import type { AuthenticatedCredential } from '@ais/db';
import { CredentialCache } from './credential-cache.js';

const credential = (id: string) => ({ id }) as unknown as AuthenticatedCredential;

describe('CredentialCache', () => {
  let clock = 0;
  const cache = () => new CredentialCache(750, () => clock);
  beforeEach(() => {
    clock = 1_000;
  });

  it('answers from one lookup until the TTL has passed, then looks up again', async () => {
    const c = cache();
    const load = jest.fn(async () => credential('a'));
    await c.get('k', load);
    clock += 749;
    await c.get('k', load);
    expect(load).toHaveBeenCalledTimes(1);
    clock += 1;
    await c.get('k', load);
    expect(load).toHaveBeenCalledTimes(2);
  });

  it('shares one lookup between concurrent misses', async () => {
    const c = cache();
    let resolve!: (v: AuthenticatedCredential) => void;
    const load = jest.fn(() => new Promise<AuthenticatedCredential>((r) => (resolve = r)));
    const both = Promise.all([c.get('k', load), c.get('k', load)]);
    resolve(credential('a'));
    expect(await both).toEqual([credential('a'), credential('a')]);
    expect(load).toHaveBeenCalledTimes(1);
  });

  it('forgets everything on clear (a change announced by any instance)', async () => {
    const c = cache();
    const load = jest.fn(async () => credential('a'));
    await c.get('k', load);
    c.clear();
    await c.get('k', load);
    expect(load).toHaveBeenCalledTimes(2);
  });

  it('does not keep a failed lookup', async () => {
    const c = cache();
    await expect(c.get('k', async () => Promise.reject(new Error('db down')))).rejects.toThrow('db down');
    await expect(c.get('k', async () => credential('b'))).resolves.toEqual(credential('b'));
  });

  it('keeps unknown keys (null) for the TTL too', async () => {
    const c = cache();
    const load = jest.fn(async () => null);
    await c.get('bad', load);
    await c.get('bad', load);
    expect(load).toHaveBeenCalledTimes(1);
  });
});
