import { randomBytes } from 'node:crypto';
import { KeyRing } from './key-ring.js';
import { hashSecret, safeEqual, generateSecret } from './secrets.js';

const k1 = randomBytes(32);
const k2 = randomBytes(32);

describe('KeyRing', () => {
  it('round-trips text and JSON under the active key', () => {
    const ring = new KeyRing(new Map([['k1', k1]]), 'k1');
    const sealed = ring.sealJson({ access_token: 'abc', n: 1 }, 'cons_1');
    expect(sealed.startsWith('v1.k1.')).toBe(true);
    expect(sealed).not.toContain('abc');
    expect(ring.openJson(sealed, 'cons_1')).toEqual({ access_token: 'abc', n: 1 });
  });

  it('refuses a ciphertext moved to another owner (AAD mismatch)', () => {
    const ring = new KeyRing(new Map([['k1', k1]]), 'k1');
    const sealed = ring.seal('secret', 'cons_1');
    expect(() => ring.open(sealed, 'cons_2')).toThrow();
  });

  it('detects tampering', () => {
    const ring = new KeyRing(new Map([['k1', k1]]), 'k1');
    const parts = ring.seal('secret').split('.');
    parts[3] = Buffer.from('x' + Buffer.from(parts[3], 'base64url').toString('latin1'), 'latin1').toString('base64url');
    expect(() => ring.open(parts.join('.'))).toThrow();
  });

  it('opens values sealed under an older key after rotation and flags them for re-encryption', () => {
    const old = new KeyRing(new Map([['k1', k1]]), 'k1');
    const sealed = old.seal('token');
    const rotated = new KeyRing(
      new Map([
        ['k1', k1],
        ['k2', k2],
      ]),
      'k2',
    );
    expect(rotated.openText(sealed)).toBe('token');
    expect(rotated.needsRotation(sealed)).toBe(true);
    expect(rotated.needsRotation(rotated.seal('token'))).toBe(false);
  });

  it('names the missing key when a key was retired too early', () => {
    const ring = new KeyRing(new Map([['k2', k2]]), 'k2');
    const sealed = new KeyRing(new Map([['k1', k1]]), 'k1').seal('x');
    expect(() => ring.open(sealed)).toThrow(/"k1"/);
  });

  it('derives one key per ring key and purpose, the active one first, never the encryption key itself', () => {
    const ring = new KeyRing(
      new Map([
        ['k1', k1],
        ['k2', k2],
      ]),
      'k2',
    );
    const cursor = ring.derive('cursor');
    expect(cursor.all).toHaveLength(2);
    expect(cursor.all[0]).toEqual(cursor.active);
    expect(cursor.active).toEqual(new KeyRing(new Map([['k2', k2]]), 'k2').derive('cursor').active);
    expect(cursor.all[1]).toEqual(new KeyRing(new Map([['k1', k1]]), 'k1').derive('cursor').active);
    expect(cursor.active).toHaveLength(32);
    expect(cursor.active.equals(k2)).toBe(false);
    expect(ring.derive('other').active.equals(cursor.active)).toBe(false);
  });
});

describe('secrets', () => {
  it('generates prefixed secrets with 256 bits and hashes them deterministically', () => {
    const a = generateSecret('sk_');
    expect(a).toMatch(/^sk_[A-Za-z0-9_-]{43}$/);
    expect(hashSecret(a)).toBe(hashSecret(a));
    expect(hashSecret(a)).not.toBe(hashSecret(generateSecret('sk_')));
    expect(safeEqual('abc', 'abc')).toBe(true);
    expect(safeEqual('abc', 'abd')).toBe(false);
  });
});
