// @ts-expect-error: a plain ES module of the scripts, without types
import { serviceSource } from './lib/containers.mjs';

describe('which services a test run uses', () => {
  it('takes the URLs given, else containers where Docker runs, else the local services', () => {
    expect(serviceSource({ DATABASE_URL: 'postgresql://db/x' }, true)).toBe('environment');
    expect(serviceSource({ NATS_URL: 'nats://n:4222' }, false)).toBe('environment');
    expect(serviceSource({}, true)).toBe('containers');
    expect(serviceSource({}, false)).toBe('local');
  });
});
