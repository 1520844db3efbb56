import { createHmac, timingSafeEqual } from 'node:crypto';
import type { DerivedKeys, KeyRing } from '@ais/crypto';
import { AppError } from '@ais/domain';
import { isCalendarDate } from './validation.js';

/** The longest cursor a list accepts (PageQueryDto's `cursor`); the codec never hands out a longer one. */
export const MAX_CURSOR_LENGTH = 512;

/** The key-ring purpose of the cursor signing keys (HKDF `info`): cursors are signed, never encrypted. */
export const CURSOR_KEY_PURPOSE = 'cursor';

/** Bytes of HMAC-SHA256 kept in a cursor: 128 bits, 22 base64url characters. */
const TAG_BYTES = 16;
const TAG_CHARS = Math.ceil((TAG_BYTES * 4) / 3);
const SHAPE = new RegExp(`^([A-Za-z0-9_-]+)\\.([A-Za-z0-9_-]{${TAG_CHARS}})$`);
const PG_BIGINT_MAX = 9_223_372_036_854_775_807n;

/**
 * One value of a cursor's position: how it is written into the cursor, and how it is read back. `read`
 * answers undefined for a value of the wrong type or format, so a position that reaches a query is
 * always one the list could have produced (a cursor is signed, and checked again all the same).
 */
export interface CursorField<T> {
  write(value: T): string | number;
  read(wire: unknown): T | undefined;
}

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

export const cursorFields = {
  /** A timestamp, as `toISOString()` writes it; read back as a Date that round-trips exactly. */
  instant: {
    write: (value: Date) => value.toISOString(),
    read: (wire: unknown) => {
      if (typeof wire !== 'string' || !ISO_INSTANT.test(wire)) return undefined;
      const date = new Date(wire);
      return !Number.isNaN(date.getTime()) && date.toISOString() === wire ? date : undefined;
    },
  } satisfies CursorField<Date>,

  /** A calendar date, YYYY-MM-DD, that exists. */
  calendarDate: {
    write: (value: string) => value,
    read: (wire: unknown) => (isCalendarDate(wire) ? wire : undefined),
  } satisfies CursorField<string>,

  /** A non-negative Postgres bigint (sequence, xid), as decimal digits. */
  bigint: {
    write: (value: bigint) => value.toString(),
    read: (wire: unknown) => {
      if (typeof wire !== 'string' || !/^(0|[1-9][0-9]{0,18})$/.test(wire)) return undefined;
      const value = BigInt(wire);
      return value <= PG_BIGINT_MAX ? value : undefined;
    },
  } satisfies CursorField<bigint>,

  /** A non-negative offset into a list. */
  offset: {
    write: (value: number) => value,
    read: (wire: unknown) => (typeof wire === 'number' && Number.isSafeInteger(wire) && wire >= 0 ? wire : undefined),
  } satisfies CursorField<number>,

  /** One of our prefixed ids (`acc_01JD…`): the prefix, an underscore, then letters and digits. */
  id(prefix: string): CursorField<string> {
    const shape = new RegExp(`^${prefix}_[0-9A-Za-z]{1,64}$`);
    return {
      write: (value) => value,
      read: (wire) => (typeof wire === 'string' && shape.test(wire) ? wire : undefined),
    };
  },

  /** A name of ours (a provider id, a queue name): lower-case letters, digits, `.`, `_`, `-`. */
  name: {
    write: (value: string) => value,
    read: (wire: unknown) => (typeof wire === 'string' && /^[a-z0-9][a-z0-9._-]{0,99}$/.test(wire) ? wire : undefined),
  } satisfies CursorField<string>,

  /** One of a fixed set of strings (e.g. a queue state). */
  oneOf<T extends string>(values: readonly T[]): CursorField<T> {
    return {
      write: (value) => value,
      read: (wire) => ((values as readonly unknown[]).includes(wire) ? (wire as T) : undefined),
    };
  },
};

type Fields = Record<string, CursorField<unknown>>;
export type CursorPosition<F extends Fields> = { [K in keyof F]: F[K] extends CursorField<infer T> ? T : never };

/** A list's cursor: its kind (so one list's cursor never feeds another) and the fields of its position. */
export interface CursorType<F extends Fields> {
  kind: string;
  fields: F;
}

export function defineCursor<F extends Fields>(kind: string, fields: F): CursorType<F> {
  return { kind, fields };
}

/**
 * Cursors are opaque to callers and authenticated: `base64url(JSON {k, p}).base64url(tag)`, where the
 * tag is HMAC-SHA256 (first 16 bytes) of the first part under a key derived from the key ring. A cursor
 * signed under any key still in the ring verifies, so a rotation does not break a client's paging; a
 * cursor that was changed, was not made here, belongs to another list or holds a position of the wrong
 * format is a 400 `invalid_cursor` before anything reaches a query.
 */
export class CursorCodec {
  constructor(private readonly keys: DerivedKeys) {
    if (keys.all.length === 0 || !keys.all.includes(keys.active))
      throw new Error('the active cursor key must be among all');
  }

  static fromKeyRing(ring: KeyRing): CursorCodec {
    return new CursorCodec(ring.derive(CURSOR_KEY_PURPOSE));
  }

  encode<F extends Fields>(type: CursorType<F>, position: CursorPosition<F>): string {
    const wire: Record<string, string | number> = {};
    for (const [name, field] of Object.entries(type.fields)) wire[name] = field.write(position[name]);
    const body = Buffer.from(JSON.stringify({ k: type.kind, p: wire }), 'utf8').toString('base64url');
    const cursor = `${body}.${tag(this.keys.active, body)}`;
    if (cursor.length > MAX_CURSOR_LENGTH) throw new Error(`a ${type.kind} cursor is longer than ${MAX_CURSOR_LENGTH}`);
    return cursor;
  }

  /** The position in `cursor`, or undefined without one (the first page). */
  decode<F extends Fields>(type: CursorType<F>, cursor: string | undefined): CursorPosition<F> | undefined {
    if (cursor === undefined) return undefined;
    const match = typeof cursor === 'string' && cursor.length <= MAX_CURSOR_LENGTH ? SHAPE.exec(cursor) : null;
    if (!match || !this.verifies(match[1], match[2]))
      throw invalidCursor('the cursor was changed or not made by this gateway');
    let parsed: unknown;
    try {
      parsed = JSON.parse(Buffer.from(match[1], 'base64url').toString('utf8'));
    } catch {
      throw invalidCursor('the cursor was changed or not made by this gateway');
    }
    const { k, p } = (parsed ?? {}) as { k?: unknown; p?: unknown };
    if (k !== type.kind) throw invalidCursor('the cursor belongs to another list');
    if (typeof p !== 'object' || p === null || Array.isArray(p)) throw invalidCursor('the cursor has no position');
    const wire = p as Record<string, unknown>;
    const names = Object.keys(type.fields);
    if (Object.keys(wire).length !== names.length) throw invalidCursor('the cursor position does not fit this list');
    const position: Record<string, unknown> = {};
    for (const name of names) {
      const value: unknown = Object.hasOwn(wire, name) ? type.fields[name].read(wire[name]) : undefined;
      if (value === undefined) throw invalidCursor('the cursor position does not fit this list');
      position[name] = value;
    }
    return position as CursorPosition<F>;
  }

  /** Whether `mac` is the tag of `body` under one of the keys (each compared in constant time). */
  private verifies(body: string, mac: string): boolean {
    const given = Buffer.from(mac, 'latin1');
    let ok = false;
    for (const key of this.keys.all) {
      const expected = Buffer.from(tag(key, body), 'latin1');
      ok = (expected.length === given.length && timingSafeEqual(expected, given)) || ok;
    }
    return ok;
  }
}

function tag(key: Buffer, body: string): string {
  return createHmac('sha256', key).update(body, 'utf8').digest().subarray(0, TAG_BYTES).toString('base64url');
}

function invalidCursor(message: string): AppError {
  return new AppError('invalid_cursor', 'The cursor is not valid for this list: send a nextCursor unchanged.', {}, [
    { field: 'cursor', message },
  ]);
}
