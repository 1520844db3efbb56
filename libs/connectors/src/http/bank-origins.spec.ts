import { advertisedOrigins, configuredOrigins, nextPageUrl } from './bank-origins.js';

// The gateway calls the bank at 127.0.0.1; the bank advertises itself as localhost (npm start).
const endpoints = {
  baseUrl: 'http://127.0.0.1:3100/allstar',
  mtlsBaseUrl: 'https://127.0.0.1:3443/allstar',
  discoveryUrl: 'http://127.0.0.1:3100/allstar/.well-known/openid-configuration',
  resourceBaseUrl: 'http://127.0.0.1:3100/allstar/open-banking/v3.1/aisp',
  mtlsResourceBaseUrl: 'https://127.0.0.1:3443/allstar/open-banking/v3.1/aisp',
};
const discovery = {
  issuer: 'http://localhost:3100/allstar',
  token_endpoint: 'http://localhost:3100/allstar/token',
  authorization_endpoint: 'http://localhost:3100/allstar/authorize',
  token_endpoint_auth_methods_supported: ['private_key_jwt'],
  tls_client_certificate_bound_access_tokens: true,
  mtls_endpoint_aliases: { token_endpoint: 'https://localhost:3443/allstar/token' },
};
const origins = new Set([...configuredOrigins(endpoints), ...advertisedOrigins(discovery)]);
const current = `${endpoints.mtlsResourceBaseUrl}/accounts/a1/transactions`;
const mtls = {
  current,
  origins,
  bases: [endpoints.resourceBaseUrl, endpoints.mtlsResourceBaseUrl],
  use: endpoints.mtlsResourceBaseUrl,
};

describe('bank origins and next-page links', () => {
  it('knows the bank by its configured and its advertised origins (issuer, endpoints, mTLS aliases)', () => {
    expect([...origins].sort()).toEqual([
      'http://127.0.0.1:3100',
      'http://localhost:3100',
      'https://127.0.0.1:3443',
      'https://localhost:3443',
    ]);
  });

  it('follows a link on any of the bank origins on the API base in use, so a certificate-bound token stays on mTLS', () => {
    const expected = `${endpoints.mtlsResourceBaseUrl}/accounts/a1/transactions?page=2&snapshot=1`;
    for (const origin of [
      'http://localhost:3100',
      'https://localhost:3443',
      'http://127.0.0.1:3100',
      'https://127.0.0.1:3443',
    ]) {
      expect(
        nextPageUrl(`${origin}/allstar/open-banking/v3.1/aisp/accounts/a1/transactions?page=2&snapshot=1`, mtls),
      ).toBe(expected);
    }
    // A relative link resolves against the page it came from.
    expect(nextPageUrl('/allstar/open-banking/v3.1/aisp/accounts/a1/transactions?page=2&snapshot=1', mtls)).toBe(
      expected,
    );
    // Without a certificate the plain base is the one in use.
    expect(
      nextPageUrl('https://localhost:3443/allstar/open-banking/v3.1/aisp/accounts?page=2', {
        ...mtls,
        use: endpoints.resourceBaseUrl,
      }),
    ).toBe(`${endpoints.resourceBaseUrl}/accounts?page=2`);
  });

  it('refuses a link to any other host, scheme or port, or one carrying credentials', () => {
    for (const link of [
      'http://bank-impostor.example/allstar/open-banking/v3.1/aisp/accounts?page=2',
      'https://localhost:3444/allstar/open-banking/v3.1/aisp/accounts?page=2',
      'https://localhost:3100/allstar/open-banking/v3.1/aisp/accounts?page=2',
      'http://127.0.0.2:3100/allstar/open-banking/v3.1/aisp/accounts?page=2',
      'http://user:pw@localhost:3100/allstar/open-banking/v3.1/aisp/accounts?page=2',
      '//bank-impostor.example/allstar/accounts',
      'javascript:alert(1)',
      'http://[::1',
    ]) {
      expect(nextPageUrl(link, mtls)).toBeUndefined();
    }
    // Only what the bank is configured with: the advertised localhost is not the bank's yet.
    expect(
      nextPageUrl('http://localhost:3100/allstar/open-banking/v3.1/aisp/accounts?page=2', {
        ...mtls,
        origins: configuredOrigins(endpoints),
      }),
    ).toBeUndefined();
  });

  it('keeps the path of a link of the bank outside the API base, on the origin in use', () => {
    expect(nextPageUrl('http://localhost:3100/other/path?page=2', mtls)).toBe(
      'https://127.0.0.1:3443/other/path?page=2',
    );
  });
});
