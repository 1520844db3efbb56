import { createTenant, startStack, waitForOnboarding, type RunningStack } from '@ais/testing';

const REDIRECT_URI = 'https://tenant.example/callback';

/**
 * Dedicated-account consents through the public API, black box (the apps as processes, the sandbox
 * banks over HTTP): Salt Bank (seed 002) takes the accounts a tenant names by IBAN; a provider without
 * them answers 400 naming the field, and so does an IBAN that is not one.
 */
describe('dedicated-account consents, black box: POST /v1/consents accounts', () => {
  let stack: RunningStack;
  let apiKey: string;

  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${stack.gatewayUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${apiKey}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };

  beforeAll(async () => {
    stack = await startStack({
      apps: ['sandbox-bank', 'connector-service', 'consent-service', 'gateway'],
      label: 'dedicated-accounts',
    });
    await waitForOnboarding(stack, ['saltbank', 'allstar']);
    ({ apiKey } = await createTenant(stack, { name: 'Dedicated', redirectUris: [REDIRECT_URI] }));
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('shows what Salt Bank serves: standing orders, dedicated-account consents and card accounts', async () => {
    const salt = await api('GET', '/v1/providers/saltbank');
    expect(salt.body.capabilities).toMatchObject({
      supportedPermissions: ['accounts', 'balances', 'transactions', 'standingOrders'],
      dedicatedAccountConsents: true,
      cardAccounts: true,
    });
    expect((await api('GET', '/v1/providers/allstar')).body.capabilities).toMatchObject({
      dedicatedAccountConsents: false,
    });
  });

  it('creates a Salt Bank consent for the IBAN named, keeps it and returns it on the consent', async () => {
    const psus = (await (await fetch(`${stack.sandboxUrl}/saltbank/sandbox/psus`)).json()) as {
      psus: { username: string; accounts: { identifiers: { scheme: string; identification: string }[] }[] }[];
    };
    const iban = psus.psus
      .find((p) => p.username === 'erika')!
      .accounts[0].identifiers.find((i) => i.scheme === 'iban')!.identification;
    const spaced = iban
      .replace(/(.{4})/g, '$1 ')
      .trim()
      .toLowerCase();
    const res = await api('POST', '/v1/consents', {
      providerId: 'saltbank',
      redirectUri: REDIRECT_URI,
      psuIpAddress: '203.0.113.7',
      accounts: [{ scheme: 'iban', identification: spaced }],
    });
    expect(res.status).toBe(201);
    expect(res.body.accounts).toEqual([{ scheme: 'iban', identification: iban }]);
    expect((await api('GET', `/v1/consents/${res.body.id}`)).body.accounts).toEqual([
      { scheme: 'iban', identification: iban },
    ]);
    const plain = await api('POST', '/v1/consents', {
      providerId: 'saltbank',
      redirectUri: REDIRECT_URI,
      psuIpAddress: '203.0.113.7',
    });
    expect(plain.status).toBe(201);
    expect(plain.body.accounts).toBeNull();
  });

  it('answers 400 naming accounts at a provider without dedicated-account consents', async () => {
    const res = await api('POST', '/v1/consents', {
      providerId: 'allstar',
      redirectUri: REDIRECT_URI,
      accounts: [{ scheme: 'iban', identification: 'DE89370400440532013000' }],
    });
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([expect.objectContaining({ field: 'accounts' })]);
  });

  it('answers 400 naming the field for an IBAN with wrong check digits or another scheme', async () => {
    const res = await api('POST', '/v1/consents', {
      providerId: 'saltbank',
      redirectUri: REDIRECT_URI,
      accounts: [
        { scheme: 'iban', identification: 'DE88370400440532013000' },
        { scheme: 'pan', identification: '5355221234561234' },
      ],
    });
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: { field: string }) => e.field).sort()).toEqual([
      'accounts.0.identification',
      'accounts.1.identification',
      'accounts.1.scheme',
    ]);
  });
});
