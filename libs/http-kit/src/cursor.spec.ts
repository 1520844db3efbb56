import { createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { KeyRing } from '@ais/crypto';
import { AppError } from '@ais/domain';
import { CursorCodec, MAX_CURSOR_LENGTH, cursorFields, defineCursor } from './cursor.js';

const k1 = randomBytes(32);
const k2 = randomBytes(32);
const ring = (keys: Array<[string, Buffer]>, active: string) => new KeyRing(new Map(keys), active);

const ACCOUNTS = defineCursor('accounts', { c: cursorFields.instant, i: cursorFields.id('acc') });
const CHANGES = defineCursor('changes', { x: cursorFields.bigint, n: cursorFields.bigint });
const TRANSACTIONS = defineCursor('transactions', { d: cursorFields.calendarDate, i: cursorFields.id('txn') });
const JOBS = defineCursor('queue-jobs:sync.allstar', {
  s: cursorFields.oneOf(['failed', 'waiting'] as const),
  o: cursorFields.offset,
});

const position = { c: new Date('2026-03-01T10:20:30.456Z'), i: 'acc_01JD8ZQ2V9X4K7M3N5P6R8S0TA' };

/** What decode threw: the code and the field message, or undefined if it did not throw. */
function refusal(decode: () => unknown): { code: string; message: string } | undefined {
  try {
    decode();
  } catch (error) {
    if (error instanceof AppError) return { code: error.code, message: error.fieldErrors[0]?.message ?? '' };
    throw error;
  }
  return undefined;
}

/** A cursor with this payload, signed the way the codec signs (so only the payload is wrong). */
function forge(key: Buffer, payload: unknown): string {
  const cursorKey = Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), 'ais-gateway/cursor/v1', 32));
  const body = Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url');
  const tag = createHmac('sha256', cursorKey).update(body).digest().subarray(0, 16).toString('base64url');
  return `${body}.${tag}`;
}

describe('CursorCodec', () => {
  const codec = CursorCodec.fromKeyRing(ring([['k1', k1]], 'k1'));

  it('round-trips a position with its types: a Date, a bigint, a calendar date, a state and an offset', () => {
    expect(codec.decode(ACCOUNTS, codec.encode(ACCOUNTS, position))).toEqual(position);
    const change = { x: 9_223_372_036_854_775_807n, n: 0n };
    expect(codec.decode(CHANGES, codec.encode(CHANGES, change))).toEqual(change);
    const day = { d: '2024-02-29', i: 'txn_5' };
    expect(codec.decode(TRANSACTIONS, codec.encode(TRANSACTIONS, day))).toEqual(day);
    expect(codec.decode(JOBS, codec.encode(JOBS, { s: 'waiting', o: 40 }))).toEqual({ s: 'waiting', o: 40 });
    expect(codec.decode(ACCOUNTS, undefined)).toBeUndefined();
  });

  it('hands out URL-safe text well under the length limit, the same for the same position', () => {
    const cursor = codec.encode(ACCOUNTS, position);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{22}$/);
    expect(cursor.length).toBeLessThanOrEqual(MAX_CURSOR_LENGTH);
    expect(codec.encode(ACCOUNTS, position)).toBe(cursor);
  });

  it('refuses a cursor with any one character changed, in the position or in the tag', () => {
    const cursor = codec.encode(ACCOUNTS, position);
    for (let i = 0; i < cursor.length; i++) {
      if (cursor[i] === '.') continue;
      const tampered = cursor.slice(0, i) + (cursor[i] === 'A' ? 'B' : 'A') + cursor.slice(i + 1);
      expect(refusal(() => codec.decode(ACCOUNTS, tampered))?.code).toBe('invalid_cursor');
    }
  });

  it('refuses an unsigned cursor (the old format) and one whose position was re-encoded', () => {
    const unsigned = Buffer.from(JSON.stringify({ k: 'changes', p: { x: "1'", n: '0' } })).toString('base64url');
    expect(refusal(() => codec.decode(CHANGES, unsigned))?.code).toBe('invalid_cursor');
    const [, tag] = codec.encode(CHANGES, { x: 1n, n: 0n }).split('.');
    const edited = Buffer.from(JSON.stringify({ k: 'changes', p: { x: "1'", n: '0' } })).toString('base64url');
    expect(refusal(() => codec.decode(CHANGES, `${edited}.${tag}`))?.code).toBe('invalid_cursor');
  });

  it('refuses text that is not a cursor at all', () => {
    for (const text of [
      '',
      '.',
      'abc',
      'a.b',
      '!!!.AAAAAAAAAAAAAAAAAAAAAA',
      `${'A'.repeat(600)}.${'A'.repeat(22)}`,
      '%00',
    ]) {
      expect(refusal(() => codec.decode(ACCOUNTS, text))?.code).toBe('invalid_cursor');
    }
  });

  it('refuses a cursor signed with a key that is not in the ring', () => {
    const other = CursorCodec.fromKeyRing(ring([['k2', k2]], 'k2'));
    expect(refusal(() => codec.decode(ACCOUNTS, other.encode(ACCOUNTS, position)))?.code).toBe('invalid_cursor');
  });

  it('still accepts a cursor signed under an older key of the ring after a rotation, and signs new ones with the new key', () => {
    const before = codec.encode(ACCOUNTS, position);
    const rotated = CursorCodec.fromKeyRing(
      ring(
        [
          ['k1', k1],
          ['k2', k2],
        ],
        'k2',
      ),
    );
    expect(rotated.decode(ACCOUNTS, before)).toEqual(position);
    const after = rotated.encode(ACCOUNTS, position);
    expect(after).not.toBe(before);
    // Once the old key leaves the ring, its cursors stop verifying; the new key's still do.
    const retired = CursorCodec.fromKeyRing(ring([['k2', k2]], 'k2'));
    expect(refusal(() => retired.decode(ACCOUNTS, before))?.code).toBe('invalid_cursor');
    expect(retired.decode(ACCOUNTS, after)).toEqual(position);
  });

  it('refuses a genuine cursor of another list, and a queue cursor on another queue', () => {
    const consents = defineCursor('consents', ACCOUNTS.fields);
    expect(refusal(() => codec.decode(consents, codec.encode(ACCOUNTS, position)))).toEqual({
      code: 'invalid_cursor',
      message: 'the cursor belongs to another list',
    });
    const otherQueue = defineCursor('queue-jobs:sync.saltbank', JOBS.fields);
    expect(refusal(() => codec.decode(otherQueue, codec.encode(JOBS, { s: 'failed', o: 20 })))?.code).toBe(
      'invalid_cursor',
    );
  });

  it('checks every position value’s type and format even when the signature is good', () => {
    const bad: Array<[ReturnType<typeof defineCursor>, Record<string, unknown>]> = [
      [ACCOUNTS, { c: '2026-13-01T00:00:00.000Z', i: position.i }], // month 13
      [ACCOUNTS, { c: '2026-02-30T00:00:00.000Z', i: position.i }], // a day that does not exist
      [ACCOUNTS, { c: 'yesterday', i: position.i }],
      [ACCOUNTS, { c: 1767225600000, i: position.i }], // a number, not an instant
      [ACCOUNTS, { c: position.c.toISOString(), i: "acc_1' OR 1=1" }],
      [ACCOUNTS, { c: position.c.toISOString(), i: 'cons_01JD8ZQ2V9X4K7M3N5P6R8S0TA' }], // another kind of id
      [ACCOUNTS, { c: position.c.toISOString() }], // a field missing
      [ACCOUNTS, { c: position.c.toISOString(), i: position.i, extra: 1 }], // a field too many
      [CHANGES, { x: "1'", n: '0' }],
      [CHANGES, { x: '-1', n: '0' }],
      [CHANGES, { x: '9223372036854775808', n: '0' }], // past Postgres bigint
      [CHANGES, { x: 1, n: '0' }],
      [TRANSACTIONS, { d: '2025-02-29', i: 'txn_5' }],
      [JOBS, { s: 'meta', o: 0 }],
      [JOBS, { s: 'failed', o: -20 }],
      [JOBS, { s: 'failed', o: 1.5 }],
    ];
    for (const [type, p] of bad) {
      expect([p, refusal(() => codec.decode(type, forge(k1, { k: type.kind, p })))?.code]).toEqual([
        p,
        'invalid_cursor',
      ]);
    }
    for (const payload of [
      null,
      [],
      'accounts',
      { k: 'accounts' },
      { k: 'accounts', p: [] },
      { k: 'accounts', p: 'x' },
    ]) {
      expect(refusal(() => codec.decode(ACCOUNTS, forge(k1, payload)))?.code).toBe('invalid_cursor');
    }
    // The forging helper signs like the codec: a well-formed position passes.
    expect(
      codec.decode(ACCOUNTS, forge(k1, { k: 'accounts', p: { c: position.c.toISOString(), i: position.i } })),
    ).toEqual(position);
  });

  it('answers a 400 problem code that names the cursor field', () => {
    const error = (() => {
      try {
        codec.decode(ACCOUNTS, 'nope');
      } catch (e) {
        return e as AppError;
      }
    })();
    expect(error).toBeInstanceOf(AppError);
    expect(error!.code).toBe('invalid_cursor');
    expect(error!.fieldErrors.map((f) => f.field)).toEqual(['cursor']);
  });
});
