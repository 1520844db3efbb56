import { bankError } from '@ais/connectors';
import { AppError } from '@ais/domain';
import { CachedTokenSource, TOKEN_REUSE_MAX_MS, type VaultToken } from './cached-token-source.js';

const T0 = Date.parse('2026-03-10T10:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();

/** A vault that hands out token-1, token-2… and counts how often it was asked. */
function vault(answer: (n: number) => Partial<VaultToken> = () => ({})) {
  let asked = 0;
  return {
    get asked() {
      return asked;
    },
    async getAccessToken(): Promise<VaultToken> {
      asked += 1;
      await Promise.resolve();
      return {
        accessToken: `token-${asked}`,
        tokenType: 'Bearer',
        externalConsentId: 'ext-1',
        expiresAt: iso(T0 + 320_000),
        refreshAt: iso(T0 + 200_000),
        ...answer(asked),
      };
    },
  };
}

function clock() {
  let now = T0;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

/** A call with a reused token that the bank answers with `error`: how often it ran, and whether the token is kept. */
async function refusedOnce(error: AppError): Promise<{ calls: number; kept: boolean }> {
  const tokens = new CachedTokenSource(vault(), clock().now);
  await tokens.getAccessToken('cns_1');
  let calls = 0;
  await expect(
    tokens.run('cns_1', async () => {
      calls += 1;
      throw error;
    }),
  ).rejects.toBe(error);
  return { calls, kept: tokens.holds('cns_1') };
}

const refused = (httpStatus: number) =>
  bankError('bank_unauthorised', 'The bank did not accept the access token.', {
    providerId: 'allstar',
    detail: { httpStatus, operation: 'obie.transactions' },
  });

describe('CachedTokenSource', () => {
  it('reuses the vault’s token until the vault would refresh it, then asks again', async () => {
    const v = vault();
    const c = clock();
    const tokens = new CachedTokenSource(v, c.now);
    for (let page = 0; page < 5; page++) expect((await tokens.getAccessToken('cns_1')).accessToken).toBe('token-1');
    expect(v.asked).toBe(1);
    c.advance(200_000 - 1);
    expect((await tokens.getAccessToken('cns_1')).accessToken).toBe('token-1');
    c.advance(1);
    expect((await tokens.getAccessToken('cns_1')).accessToken).toBe('token-2');
    expect(v.asked).toBe(2);
  });

  it('keeps tokens per consent and hands out no more than the connector needs', async () => {
    const v = vault();
    const tokens = new CachedTokenSource(v, clock().now);
    const a = await tokens.getAccessToken('cns_a');
    const b = await tokens.getAccessToken('cns_b');
    expect([a.accessToken, b.accessToken]).toEqual(['token-1', 'token-2']);
    expect(a).toEqual({
      accessToken: 'token-1',
      tokenType: 'Bearer',
      externalConsentId: 'ext-1',
      expiresAt: iso(T0 + 320_000),
    });
  });

  it('shares one trip to the vault among concurrent asks for a consent', async () => {
    const v = vault();
    const tokens = new CachedTokenSource(v, clock().now);
    const answers = await Promise.all(Array.from({ length: 6 }, () => tokens.getAccessToken('cns_1')));
    expect(new Set(answers.map((a) => a.accessToken))).toEqual(new Set(['token-1']));
    expect(v.asked).toBe(1);
  });

  it('asks every time when the vault does not say when it refreshes, and never reuses a token past its refresh point or the maximum', async () => {
    const silent = vault(() => ({ refreshAt: undefined }));
    const t1 = new CachedTokenSource(silent, clock().now);
    await t1.getAccessToken('cns_1');
    await t1.getAccessToken('cns_1');
    expect(silent.asked).toBe(2);

    const past = vault((n) => ({ refreshAt: n === 1 ? iso(T0 - 1) : iso(T0 + 60_000) }));
    const t2 = new CachedTokenSource(past, clock().now);
    await t2.getAccessToken('cns_1');
    await t2.getAccessToken('cns_1');
    await t2.getAccessToken('cns_1');
    expect(past.asked).toBe(2);

    const c2 = clock();
    const longLived = vault(() => ({ refreshAt: iso(T0 + 3_480_000), expiresAt: iso(T0 + 3_600_000) }));
    const t21 = new CachedTokenSource(longLived, c2.now);
    await t21.getAccessToken('cns_1');
    c2.advance(TOKEN_REUSE_MAX_MS);
    await t21.getAccessToken('cns_1');
    expect(longLived.asked).toBe(2);

    const c = clock();
    const never = vault(() => ({ refreshAt: null, expiresAt: null }));
    const t3 = new CachedTokenSource(never, c.now);
    await t3.getAccessToken('cns_1');
    c.advance(TOKEN_REUSE_MAX_MS - 1);
    await t3.getAccessToken('cns_1');
    expect(never.asked).toBe(1);
    c.advance(1);
    await t3.getAccessToken('cns_1');
    expect(never.asked).toBe(2);

    const c4 = clock();
    const noRefreshToken = vault(() => ({ refreshAt: null, expiresAt: iso(T0 + 30_000) }));
    const t4 = new CachedTokenSource(noRefreshToken, c4.now);
    await t4.getAccessToken('cns_1');
    c4.advance(30_000);
    await t4.getAccessToken('cns_1');
    expect(noRefreshToken.asked).toBe(2);
  });

  it('drops a reused token the bank refuses and runs the call once more with the vault’s', async () => {
    const v = vault();
    const tokens = new CachedTokenSource(v, clock().now);
    await tokens.getAccessToken('cns_1');
    const sent: string[] = [];
    const result = await tokens.run('cns_1', async () => {
      const token = await tokens.getAccessToken('cns_1');
      sent.push(token.accessToken);
      if (token.accessToken === 'token-1') throw refused(401);
      return 'pages';
    });
    expect(result).toBe('pages');
    expect(sent).toEqual(['token-1', 'token-2']);
    expect(v.asked).toBe(2);
  });

  it('runs the call once more at most, and not at all when its token came straight from the vault', async () => {
    const v = vault();
    const tokens = new CachedTokenSource(v, clock().now);
    await tokens.getAccessToken('cns_1');
    let calls = 0;
    const always = () =>
      tokens.run('cns_1', async () => {
        calls += 1;
        await tokens.getAccessToken('cns_1');
        throw refused(401);
      });
    await expect(always()).rejects.toMatchObject({ code: 'bank_unauthorised' });
    expect(calls).toBe(2);
    expect(v.asked).toBe(2);
    // token-2 was refused too: forgotten, and this call starts from the vault.
    expect(tokens.holds('cns_1')).toBe(false);
    await expect(always()).rejects.toMatchObject({ code: 'bank_unauthorised' });
    expect(calls).toBe(3);
    expect(v.asked).toBe(3);
  });

  it('forgets the token of a consent the bank says is revoked or expired, without running the call again', async () => {
    for (const code of ['consent_revoked', 'consent_expired'] as const) {
      const error = bankError(code, 'The consent is no longer authorised at the bank.', {
        providerId: 'allstar',
        detail: { httpStatus: 401 },
      });
      expect(await refusedOnce(error)).toEqual({ calls: 1, kept: false });
    }
  });

  it('runs the call once more when the bank revoked the reused token’s bank consent but the vault holds a newer one', async () => {
    const v = vault((n) => ({ externalConsentId: n === 1 ? 'ext-old' : 'ext-new' }));
    const tokens = new CachedTokenSource(v, clock().now);
    await tokens.getAccessToken('cns_1');
    const sent: string[] = [];
    const result = await tokens.run('cns_1', async () => {
      const token = await tokens.getAccessToken('cns_1');
      sent.push(token.externalConsentId);
      if (token.externalConsentId === 'ext-old')
        throw bankError('consent_revoked', 'The consent is no longer authorised at the bank.', {
          providerId: 'allstar',
          detail: { httpStatus: 401 },
        });
      return 'accounts';
    });
    expect(result).toBe('accounts');
    expect(sent).toEqual(['ext-old', 'ext-new']);
    expect(v.asked).toBe(2);
  });

  it('keeps the token when the bank refuses something else (our registration, a permission, a 5xx)', async () => {
    const others = [
      bankError('bank_unauthorised', 'invalid client', {
        providerId: 'allstar',
        detail: { httpStatus: 401, bankCode: 'invalid_client' },
      }),
      bankError('bank_forbidden_permission', 'no permission', { providerId: 'allstar', detail: { httpStatus: 403 } }),
      bankError('bank_unauthorised', 'forbidden', { providerId: 'allstar', detail: { httpStatus: 403 } }),
      bankError('bank_unavailable', 'down', { providerId: 'allstar', detail: { httpStatus: 503 } }),
      new AppError('budget_exhausted', 'spent'),
    ];
    for (const error of others) expect(await refusedOnce(error)).toEqual({ calls: 1, kept: true });
  });

  it('forgets the tokens of a bank consent, and keeps nothing the vault answered after it was forgotten', async () => {
    const v = vault();
    const tokens = new CachedTokenSource(v, clock().now);
    await tokens.getAccessToken('cns_1');
    tokens.forgetExternal('ext-other');
    expect(tokens.holds('cns_1')).toBe(true);
    tokens.forgetExternal('ext-1');
    expect(tokens.holds('cns_1')).toBe(false);

    const asking = tokens.getAccessToken('cns_1');
    tokens.forget('cns_1');
    expect((await asking).accessToken).toBe('token-2');
    expect(tokens.holds('cns_1')).toBe(false);
  });

  it('keeps nothing when the vault refuses', async () => {
    let asked = 0;
    const tokens = new CachedTokenSource(
      {
        getAccessToken: async () => {
          asked += 1;
          throw new AppError('consent_revoked', 'The consent has been revoked.');
        },
      },
      clock().now,
    );
    await expect(tokens.getAccessToken('cns_1')).rejects.toMatchObject({ code: 'consent_revoked' });
    await expect(tokens.getAccessToken('cns_1')).rejects.toMatchObject({ code: 'consent_revoked' });
    expect(asked).toBe(2);
  });
});
