import { AppError } from '@ais/domain';
import { MAX_PAGES, decodePageCursor, encodePageCursor, nextPageCursor } from './paging.js';

const loop = () => new AppError('bank_invalid_response', 'loop');

describe('page cursors', () => {
  it('carry the call, the bank’s next URL and the page count between instances', () => {
    const c = { call: 1, next: 'https://bank.example/open-banking/v3.1/aisp/transactions?page=2', pages: 3 };
    expect(decodePageCursor(encodePageCursor(c))).toEqual(c);
    expect(decodePageCursor(undefined)).toEqual({ call: 0, pages: 0 });
  });

  it('refuse what this connector did not issue', () => {
    for (const bad of [
      'not-base64!',
      Buffer.from('{"call":-1,"pages":0}').toString('base64url'),
      Buffer.from('{"call":0,"pages":0,"x":1}').toString('base64url'),
    ])
      expect(() => decodePageCursor(bad)).toThrow(expect.objectContaining({ code: 'validation_failed' }) as Error);
  });

  it('move to the next call after the last page of one, and end after the last call', () => {
    const at = { call: 0, pages: 4 };
    expect(decodePageCursor(nextPageCursor(at, 2, undefined, 'u', loop)!)).toEqual({ call: 1, pages: 0 });
    expect(nextPageCursor({ call: 1, pages: 0 }, 2, undefined, 'u', loop)).toBeNull();
    expect(decodePageCursor(nextPageCursor(at, 2, 'https://b/p5', 'https://b/p4', loop)!)).toEqual({
      call: 0,
      next: 'https://b/p5',
      pages: 5,
    });
  });

  it('stop a bank that links a page to itself or past the page limit', () => {
    expect(() => nextPageCursor({ call: 0, pages: 0 }, 1, 'https://b/p', 'https://b/p', loop)).toThrow('loop');
    expect(() => nextPageCursor({ call: 0, pages: MAX_PAGES - 1 }, 1, 'https://b/n', 'https://b/p', loop)).toThrow(
      'loop',
    );
  });
});
