import { jsonDepthExceeds } from './json-body.js';

const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);

describe('jsonDepthExceeds', () => {
  it('counts nested objects and arrays up to the limit and not one level more', () => {
    expect(jsonDepthExceeds(nested(32), 32)).toBe(false);
    expect(jsonDepthExceeds(nested(33), 32)).toBe(true);
    expect(jsonDepthExceeds('{"a":{"b":[{"c":1}]}}', 4)).toBe(false);
    expect(jsonDepthExceeds('{"a":{"b":[{"c":1}]}}', 3)).toBe(true);
  });

  it('counts depth, not the number of brackets: siblings do not add up', () => {
    expect(jsonDepthExceeds(JSON.stringify(Array.from({ length: 1000 }, () => ({ a: [1] }))), 3)).toBe(false);
  });

  it('ignores brackets inside strings, escaped quotes included', () => {
    expect(jsonDepthExceeds(JSON.stringify({ text: '[[[[{{{{' }), 1)).toBe(false);
    expect(jsonDepthExceeds(JSON.stringify({ text: 'say \\"[[[[\\" and "{{{{"' }), 1)).toBe(false);
    expect(jsonDepthExceeds(`{"a\\\\":[[1]]}`, 2)).toBe(true); // the key ends in a backslash; the string ends
  });

  it('scans a body 10,000 levels deep without recursion, and stops at the limit', () => {
    expect(jsonDepthExceeds(nested(10_000), 32)).toBe(true);
    expect(jsonDepthExceeds('{"a":'.repeat(1_000_000), 32)).toBe(true);
  });
});
