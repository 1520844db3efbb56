import { AppError } from '@ais/domain';
import { bankError, rateLimitedError, withoutBankDetail } from './bank-error.js';
import { parseBgError } from './berlin-group/bg.errors.js';
import { parseOAuthError } from './oauth/oauth.errors.js';
import { parseObieError } from './obie/obie.errors.js';

const now = new Date('2026-03-10T10:00:00Z');
const TOKEN = 'eyJhbGciOiJQUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLXZhbHVl';

describe('bank errors', () => {
  it('keep the raw detail for operators, scrubbed of secrets, and never put bank text in the tenant-facing detail', () => {
    const body = JSON.stringify({
      Code: '403 Forbidden',
      Message: `token ${TOKEN} refused for IBAN GB33BUKB20201555555555`,
      Errors: [{ ErrorCode: 'UK.OBIE.Resource.ConsentMismatch', Message: 'not granted' }],
      access_token: 'secret-token',
    });
    const errors = [
      parseObieError(
        'allstar',
        'obie.balances',
        { status: 403, headers: { 'x-fapi-interaction-id': 'i-1' }, text: body, attempts: 1 },
        now,
      ),
      parseBgError(
        'saltbank',
        'bg.balances',
        {
          status: 401,
          headers: {},
          text: JSON.stringify({
            tppMessages: [
              { category: 'ERROR', code: 'CONSENT_INVALID', text: `Bearer ${TOKEN} does not cover balances` },
            ],
          }),
          attempts: 1,
        },
        now,
      ),
      parseOAuthError(
        'alsalam',
        'obie.exchangeCode',
        {
          status: 400,
          headers: {},
          text: JSON.stringify({ error: 'invalid_grant', error_description: `code for ${TOKEN}` }),
          attempts: 1,
        },
        now,
      ),
    ];
    for (const e of errors) {
      const everything = JSON.stringify({ detail: e.detail, extensions: e.extensions });
      expect(everything).not.toContain(TOKEN);
      expect(everything).not.toContain('secret-token');
      expect(e.detail).not.toMatch(/GB33|Bearer|refused for/);
      expect(e.extensions.bank).toBeDefined();
      const safe = withoutBankDetail(e);
      expect(safe).toBeInstanceOf(AppError);
      expect(safe.extensions.bank).toBeUndefined();
      expect(JSON.stringify(safe.extensions)).not.toMatch(/GB33|CONSENT_INVALID|ConsentMismatch|invalid_grant/);
      expect(safe.code).toBe(e.code);
    }
  });

  it('keep the safe extensions a tenant needs: retryAt and retryAfterSeconds', () => {
    const e = withoutBankDetail(rateLimitedError('saltbank', 30, now, { httpStatus: 429, body: 'slow down' }));
    expect(e.extensions).toEqual({
      providerId: 'saltbank',
      retryAt: '2026-03-10T10:00:30.000Z',
      retryAfterSeconds: 30,
    });
    expect(withoutBankDetail(bankError('bank_unavailable', 'down', { providerId: 'x' })).extensions).toEqual({
      providerId: 'x',
    });
  });

  it('read a 429 the same under every standard: Retry-After in seconds or as an HTTP date, else the standard default', () => {
    const answer = (status: number, retryAfter?: string, text = '') => ({
      status,
      headers: (retryAfter === undefined ? {} : { 'retry-after': retryAfter }) as Record<string, string>,
      text,
      attempts: 1,
    });
    const mappers = [
      { parse: parseObieError, fallback: 60 },
      { parse: parseBgError, fallback: 3600 },
      { parse: parseOAuthError, fallback: 60 },
    ];
    for (const { parse, fallback } of mappers) {
      const seconds = parse('p', 'op', answer(429, '120'), now);
      expect(seconds.code).toBe('bank_rate_limited');
      expect(seconds.extensions.retryAfterSeconds).toBe(120);
      const date = parse('p', 'op', answer(429, 'Tue, 10 Mar 2026 10:05:00 GMT'), now);
      expect(date.extensions).toMatchObject({ retryAt: '2026-03-10T10:05:00.000Z', retryAfterSeconds: 300 });
      expect(parse('p', 'op', answer(429), now).extensions.retryAfterSeconds).toBe(fallback);
      const outage = parse('p', 'op', answer(503, '30', '<html>down</html>'), now);
      expect(outage.code).toBe('bank_unavailable');
      expect(outage.extensions.retryAfterSeconds).toBe(30);
    }
    // Berlin Group's own "slow down" code, whatever the HTTP status.
    const exceeded = parseBgError(
      'saltbank',
      'bg.transactions',
      answer(400, undefined, JSON.stringify({ tppMessages: [{ category: 'ERROR', code: 'ACCESS_EXCEEDED' }] })),
      now,
    );
    expect(exceeded.code).toBe('bank_rate_limited');
  });
});
