import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { jest } from '@jest/globals';
import { request } from 'undici';
import { addDays, AppError, localDateOf } from '@ais/domain';
import {
  createConnector,
  InMemoryAccessGuard,
  InMemoryTokenSource,
  providerCatalogue,
  type ClientAuthMethod,
  type HttpExchange,
  type ProviderRegistration,
} from '../src/index.js';
import { callbackOf, PSU_IP, PSUS, REDIRECT_URI, Sandbox, TEST_RESILIENCE, type BankId, type Psu } from './sandbox.js';

// Issue 11: `npm start` gives the browser the sandbox at http://localhost:3100 (SANDBOX_PUBLIC_URL:
// discovery, issuer, token endpoints, paging links, SSAs) and the connectors http://127.0.0.1:3100
// (CONNECTOR_SANDBOX_URL). A bank knows itself by the name it advertises; a connector must work
// whichever name it was configured with: client-assertion audiences from what the bank advertises,
// next-page links on the bank's own (advertised) origins followed on the endpoint the connector uses.
jest.setTimeout(120_000);

const psu = { ipAddress: PSU_IP };

async function failure(p: Promise<unknown>): Promise<AppError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!(e instanceof AppError)) throw new Error(`expected an AppError, got ${String(e)}`);
  return e;
}

const BANKS: { bank: BankId; psu: Psu; method: ClientAuthMethod; timeZone: string; mtls: boolean; paged: boolean }[] = [
  // Allstar: DCR, private_key_jwt (aud = its token endpoint), certificate-bound tokens: data over mTLS.
  { bank: 'allstar', psu: PSUS.alice, method: 'private_key_jwt', timeZone: 'Europe/London', mtls: true, paged: true },
  // Al Salam: developer portal, private_key_jwt at as/token.oauth2, plain HTTP; bulk endpoints that
  // answer everything at once with `"Links": null` (seed 003): one call, no pages to follow.
  { bank: 'alsalam', psu: PSUS.fatima, method: 'private_key_jwt', timeZone: 'Asia/Bahrain', mtls: false, paged: false },
  // Salt Bank: developer portal, PKCE public client, XS2A over mTLS with the QWAC.
  { bank: 'saltbank', psu: PSUS.erika, method: 'none', timeZone: 'Europe/Berlin', mtls: true, paged: true },
];

describe.each([
  { advertised: 'localhost', connector: '127.0.0.1' },
  { advertised: '127.0.0.1', connector: 'localhost' },
])('the bank advertises $advertised, the connector calls $connector', ({ advertised, connector: connectorHost }) => {
  let sandbox: Sandbox;

  beforeAll(async () => {
    sandbox = await Sandbox.start({ hosts: { advertised, connector: connectorHost } });
  });
  afterAll(async () => {
    await sandbox.close();
  });

  it('the sandbox advertises one name and is called by the other', async () => {
    expect(new URL(sandbox.url).hostname).toBe(connectorHost);
    const discovery = (await sandbox.get('/allstar/.well-known/openid-configuration')).json;
    expect(new URL(discovery.issuer).hostname).toBe(advertised);
    expect(new URL(discovery.mtls_endpoint_aliases.token_endpoint).hostname).toBe(advertised);
  });

  it.each(BANKS)(
    '$bank: onboarding, consent, authorisation-code exchange and every page of transactions',
    async ({ bank, psu: user, method, timeZone, mtls, paged }) => {
      const registration = await sandbox.onboard(bank, method);
      expect(registration.tokenEndpointAuthMethod).toBe(method);
      const c = sandbox.connector(bank, registration);
      await sandbox.faults(bank, { pageSize: 5 });
      try {
        const consentId = `cns_${bank}_${advertised}`;
        const consent = await c.connector.createConsent({
          consentId,
          permissions: ['accounts', 'balances', 'transactions'],
          frequencyPerDay: 4,
          redirectUri: REDIRECT_URI,
          psu,
        });
        expect(consent.status).toBe('awaiting_authorisation');
        const auth = await c.connector.buildAuthorisation({
          externalConsentId: consent.externalConsentId,
          redirectUri: REDIRECT_URI,
          consentLinks: consent.links,
          psu,
        });
        // The browser is sent to the bank under the name the bank advertises.
        expect(new URL(auth.url).hostname).toBe(advertised);
        const location = await sandbox.psuApproves(auth.url, user);
        const tokens = await c.connector.exchangeCode({ session: auth.session, callback: callbackOf(location) });
        expect(tokens.externalConsentId).toBe(consent.externalConsentId);
        c.tokens.set(consentId, {
          accessToken: tokens.accessToken,
          tokenType: tokens.tokenType,
          externalConsentId: tokens.externalConsentId,
          expiresAt: tokens.accessTokenExpiresAt,
        });

        const ctx = { consentId, frequencyPerDay: 4, psu, authorisedAt: new Date().toISOString() };
        const accounts = await c.connector.listAccounts(ctx);
        expect(accounts.length).toBeGreaterThan(1);
        const today = localDateOf(new Date(), timeZone);
        const from = addDays(today, -30);
        const result = await c.connector.getTransactions(ctx, {
          accountIds: accounts.map((a) => a.externalId),
          from,
          to: today,
        });

        // Nothing lost or duplicated across the pages, against the sandbox's oracle.
        const oracle = await sandbox.summary(bank, user.username, from);
        for (const expected of oracle.accounts) {
          const got = result.find((r) => r.accountId === expected.accountId)!.transactions;
          expect({
            booked: got.filter((t) => t.status === 'booked').length,
            pending: got.filter((t) => t.status === 'pending').length,
          }).toEqual({ booked: expected.booked.count, pending: expected.pending.count });
          expect(new Set(got.map((t) => t.identityKey)).size).toBe(got.length);
        }

        // Several pages, each fetched where the connector talks to the bank: the mTLS endpoint for a
        // certificate-bound token / the QWAC, never the advertised name it was handed in Next links.
        const pages = c.exchanges.filter((e) => e.operation.endsWith('.transactions'));
        if (paged) expect(pages.length).toBeGreaterThan(accounts.length + 1);
        else expect(pages).toHaveLength(1);
        const base = `${mtls ? sandbox.mtlsUrl : sandbox.url}/${bank}/`;
        for (const e of c.exchanges.filter((x) => /\.(accounts|transactions)$/.test(x.operation)))
          expect(e.url.startsWith(base)).toBe(true);
        for (const e of pages) expect(e.status).toBe(200);
      } finally {
        await sandbox.resetFaults(bank);
        await c.close();
      }
    },
  );
});

/**
 * A hop between the connector and the bank that can rewrite the bank's Links.Next to another host:
 * the bank itself never links elsewhere, a compromised or misconfigured one might.
 */
class LinkRewriter {
  private constructor(
    private readonly server: Server,
    readonly url: string,
    private readonly state: { rewriteTo?: string },
  ) {}

  /** The origin Links.Next is rewritten to (undefined: the bank's links pass unchanged). */
  set rewriteTo(origin: string | undefined) {
    this.state.rewriteTo = origin;
  }

  static async start(target: string): Promise<LinkRewriter> {
    const state: { rewriteTo?: string } = {};
    const server = createServer((req: IncomingMessage, res: ServerResponse) => {
      void (async () => {
        const chunks: Buffer[] = [];
        for await (const chunk of req) chunks.push(chunk as Buffer);
        const headers = Object.fromEntries(
          Object.entries(req.headers).filter(([k]) => k !== 'host' && k !== 'connection' && k !== 'content-length'),
        ) as Record<string, string>;
        const upstream = await request(`${target}${req.url}`, {
          method: req.method as 'GET',
          headers,
          body: chunks.length ? Buffer.concat(chunks) : undefined,
        });
        let text = await upstream.body.text();
        if (state.rewriteTo && req.url?.includes('/transactions')) {
          const body = JSON.parse(text) as { Links?: { Next?: string } };
          if (body.Links?.Next) {
            const next = new URL(body.Links.Next);
            body.Links.Next = `${state.rewriteTo}${next.pathname}${next.search}`;
            text = JSON.stringify(body);
          }
        }
        res.writeHead(upstream.statusCode, {
          'content-type': String(upstream.headers['content-type'] ?? 'application/json'),
        });
        res.end(text);
      })().catch((e: unknown) => {
        res.writeHead(502);
        res.end(String(e));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    return new LinkRewriter(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`, state);
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

describe('a Next link to a host that is not the bank', () => {
  let sandbox: Sandbox;
  let hop: LinkRewriter;
  let registration: ProviderRegistration;

  beforeAll(async () => {
    sandbox = await Sandbox.start({ hosts: { advertised: 'localhost', connector: '127.0.0.1' } });
    hop = await LinkRewriter.start(sandbox.url);
    // Allstar without a transport certificate: its data over plain HTTP, through the hop.
    const onboarding = sandbox.connector('allstar', undefined);
    try {
      registration = await onboarding.connector.onboard({
        redirectUris: [REDIRECT_URI],
        tpp: await sandbox.tppIdentity({ transport: false }),
        tokenEndpointAuthMethod: 'client_secret_basic',
      });
    } finally {
      await onboarding.close();
    }
  });
  afterAll(async () => {
    await hop.close();
    await sandbox.close();
  });

  it('is refused as bank_invalid_response, and the access token never goes there', async () => {
    // The connector reaches Allstar through the hop: a third name for the bank (another port too).
    const row = providerCatalogue({ sandboxUrl: hop.url, sandboxMtlsUrl: sandbox.mtlsUrl }).find(
      (p) => p.id === 'allstar',
    )!;
    const exchanges: HttpExchange[] = [];
    const tokens = new InMemoryTokenSource();
    const connector = createConnector(row, registration, {
      accessGuard: new InMemoryAccessGuard(),
      tokenSource: tokens,
      resilience: TEST_RESILIENCE,
      observer: (e) => exchanges.push(e),
    });
    await sandbox.faults('allstar', { pageSize: 5 });
    try {
      const consent = await connector.createConsent({
        consentId: 'foreign',
        permissions: ['accounts', 'transactions'],
        frequencyPerDay: 4,
        redirectUri: REDIRECT_URI,
        psu,
      });
      const auth = await connector.buildAuthorisation({
        externalConsentId: consent.externalConsentId,
        redirectUri: REDIRECT_URI,
        consentLinks: consent.links,
        psu,
      });
      const set = await connector.exchangeCode({
        session: auth.session,
        callback: callbackOf(await sandbox.psuApproves(auth.url, PSUS.bob)),
      });
      tokens.set('foreign', {
        accessToken: set.accessToken,
        tokenType: set.tokenType,
        externalConsentId: set.externalConsentId,
        expiresAt: set.accessTokenExpiresAt,
      });
      const ctx = { consentId: 'foreign', frequencyPerDay: 4, psu };
      const [account] = await connector.listAccounts(ctx);
      const today = localDateOf(new Date(), 'Europe/London');
      const query = { accountIds: [account.externalId], from: addDays(today, -30), to: today };

      // As the bank sent them (its advertised origin), the pages are followed, through the hop.
      const all = await connector.getTransactions(ctx, query);
      expect(all[0].transactions.length).toBeGreaterThan(5);
      expect(
        exchanges
          .filter((x) => x.operation === 'obie.transactions')
          .every((x) => x.url.startsWith(`${hop.url}/allstar/`)),
      ).toBe(true);

      hop.rewriteTo = 'http://bank-impostor.example';
      exchanges.length = 0;
      const e = await failure(connector.getTransactions(ctx, query));
      expect(e.code).toBe('bank_invalid_response');
      expect(e.message).toMatch(/another host/);
      expect(exchanges.filter((x) => x.operation === 'obie.transactions')).toHaveLength(1);
      expect(exchanges.some((x) => x.url.includes('bank-impostor'))).toBe(false);
    } finally {
      hop.rewriteTo = undefined;
      await sandbox.resetFaults('allstar');
      await connector.close();
    }
  });
});
