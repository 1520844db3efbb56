import { hashSecret } from '@ais/crypto';
import { issueApiKey, issueOAuthClient, looksLikeApiKey } from './credentials.js';
import { bearerToken } from './strategies.js';

describe('credentials', () => {
  it('issues API keys shown once: the stored form is a hash and the display prefix reveals nothing usable', () => {
    const key = issueApiKey();
    expect(key.secret).toMatch(/^sk_[A-Za-z0-9_-]{43}$/);
    expect(key.secretHash).toBe(hashSecret(key.secret));
    expect(key.publicId).toBe(`${key.secret.slice(0, 11)}…`);
    expect(key.secret.length - key.publicId.length).toBeGreaterThan(30);
    expect(issueApiKey().secret).not.toBe(key.secret);
  });

  it('issues OAuth clients with a public client_id and a hashed secret', () => {
    const client = issueOAuthClient();
    expect(client.publicId).toMatch(/^cli_[0-9a-z]{26}$/);
    expect(client.secret).toMatch(/^cs_/);
    expect(client.secretHash).toBe(hashSecret(client.secret));
  });

  it('tells API keys from access tokens', () => {
    expect(looksLikeApiKey(issueApiKey().secret)).toBe(true);
    expect(looksLikeApiKey('eyJhbGciOiJFUzI1NiJ9.e30.sig')).toBe(false);
    expect(looksLikeApiKey('sk_short')).toBe(false);
  });
});

describe('bearerToken', () => {
  it.each([
    ['Bearer abc.def', 'abc.def'],
    ['bearer sk_x  ', 'sk_x'],
    ['Basic dXNlcjpwYXNz', null],
    ['Bearer', null],
    ['Bearer a b', null],
    [undefined, null],
  ])('%p → %p', (header, expected) => {
    expect(bearerToken({ headers: header === undefined ? {} : { authorization: header } })).toBe(expected);
  });
});
