import { withoutTrailingSlash } from './http.js';

describe('withoutTrailingSlash (routes tolerate a trailing slash)', () => {
  it.each([
    ['/allstar/', '/allstar'],
    ['/allstar', '/allstar'],
    ['/', '/'],
    ['/saltbank/v1/accounts/?withBalance=true', '/saltbank/v1/accounts?withBalance=true'],
    ['/allstar/open-banking/v3.1/aisp/accounts?x=a/', '/allstar/open-banking/v3.1/aisp/accounts?x=a/'],
    ['/?x=1', '/?x=1'],
    ['/alsalam//', '/alsalam/'],
  ])('%s → %s', (input, expected) => {
    expect(withoutTrailingSlash(input)).toBe(expected);
  });
});
