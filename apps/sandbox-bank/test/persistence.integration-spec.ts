import { jest } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { Agent } from 'undici';
import { createTestDatabase, freePort, repoRoot, testEnv, type TestDatabase } from '@ais/testing';
import type { RunningSandbox } from '../src/sandbox.js';
import { AllstarTpp, REDIRECT } from './allstar-tpp.js';
import { AlSalamTpp } from './alsalam-tpp.js';
import {
  drivePsuPages,
  http,
  JSON_CT,
  PSUS,
  randomUUID,
  redirectParams,
  startTestSandbox,
  TEST_CLOCK,
} from './harness.js';
import { consentBody, SaltTpp } from './saltbank-tpp.js';

// Three sandboxes one after another on one database, real HTTP/mTLS and crypto, two child processes.
jest.setTimeout(120_000);

/** The same TPP, talking to another sandbox instance (new ports) with the credentials it already has. */
function rebindAllstar(tpp: AllstarTpp, s: RunningSandbox): AllstarTpp {
  return Object.assign(new AllstarTpp(s, tpp.keys, tpp.method), {
    clientId: tpp.clientId,
    clientSecret: tpp.clientSecret,
    softwareId: tpp.softwareId,
    orgId: tpp.orgId,
    mtls: tpp.mtls,
  });
}
function rebindAlSalam(tpp: AlSalamTpp, s: RunningSandbox): AlSalamTpp {
  return Object.assign(new AlSalamTpp(s, tpp.keys), { clientId: tpp.clientId });
}
function rebindSalt(tpp: SaltTpp, s: RunningSandbox): SaltTpp {
  return Object.assign(new SaltTpp(s), { clientId: tpp.clientId, qwac: tpp.qwac });
}

/** One query on its own connection. */
async function query<T extends pg.QueryResultRow>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

const put = (url: string, body: unknown) => http(url, { method: 'PUT', headers: JSON_CT, body: JSON.stringify(body) });
const post = (url: string, body: unknown) =>
  http(url, { method: 'POST', headers: JSON_CT, body: JSON.stringify(body) });

/** Everything a client can see of the sandbox's keys: bank JWKS, discovery's JWKS, directory JWKS, CA. */
async function publicKeys(s: RunningSandbox) {
  const discovery = (await http(`${s.url}/allstar/.well-known/openid-configuration`)).json;
  return {
    allstar: (await http(`${s.url}/allstar/jwks`)).json,
    discovery: (await http(discovery.jwks_uri)).json,
    alsalam: (await http(`${s.url}/alsalam/jwks`)).json,
    directory: (await http(`${s.url}/directory/jwks`)).json,
    ca: (await http(`${s.url}/directory/ca.pem`)).text,
  };
}

async function clocks(s: RunningSandbox) {
  const out: Record<string, { now: number; scale: number; real: number }> = {};
  for (const bank of ['allstar', 'alsalam', 'saltbank']) {
    const c = (await http(`${s.url}/${bank}/sandbox/clock`)).json;
    out[bank] = { now: Date.parse(c.now), scale: c.scale, real: Date.now() };
  }
  return out;
}

describe('a sandbox bank that remembers (state in PostgreSQL)', () => {
  let db: TestDatabase;
  const running: RunningSandbox[] = [];
  const start = async () => {
    const s = await startTestSandbox({ databaseUrl: db.url });
    running.push(s);
    return s;
  };
  const stop = async (s: RunningSandbox) => {
    await s.close();
    running.splice(running.indexOf(s), 1);
  };

  beforeAll(async () => {
    db = await createTestDatabase('sandboxstate');
  });
  afterAll(async () => {
    for (const s of running) await s.close();
    await db?.drop();
  });

  it('changes nothing a client can observe across a restart, and POST /sandbox/reset starts over', async () => {
    const first = await start();
    // Clocks first (tokens live on the bank clock): one set and scaled, one advanced.
    expect((await put(`${first.url}/sandbox/clock`, { now: '2026-03-11T09:00:00Z', scale: 1 })).status).toBe(200);
    expect((await put(`${first.url}/allstar/sandbox/clock`, { scale: 2 })).status).toBe(200);
    expect((await post(`${first.url}/saltbank/sandbox/clock/advance`, { hours: 5 })).status).toBe(200);

    const secret = await AllstarTpp.onboard(first, 'client_secret_basic');
    const keyJwt = await AllstarTpp.onboard(first, 'private_key_jwt');
    const tls = await AllstarTpp.onboard(first, 'tls_client_auth');
    const alsalam = await AlSalamTpp.onboard(first);
    const salt = await SaltTpp.onboard(first);

    const allstarConsent = await keyJwt.authorisedConsent();
    const boundConsent = await tls.authorisedConsent({ psu: PSUS.bob });
    const bhConsent = await alsalam.authorisedConsent();
    const bgConsent = await salt.validConsent(consentBody({}, '2026-03-11'), PSUS.max);
    const accountsBefore = await keyJwt.get('/accounts', allstarConsent.accessToken);
    expect(accountsBefore.status).toBe(200); // unattended: counted
    const boundAccountsBefore = await tls.get('/accounts', boundConsent.accessToken);
    expect(boundAccountsBefore.status).toBe(200);
    expect(
      (await patch(first, 'alsalam', { latencyMs: 1, pathContains: '/never-matches', unattendedPerDay: 7 })).status,
    ).toBe(200);
    // A PSU half-way through the consent page when the bank restarts.
    const pending = await secret.createConsent();
    const pendingStart = await http(await secret.authorizeUrl(pending.json.Data.ConsentId));
    expect(pendingStart.status).toBe(302);

    const keysBefore = await publicKeys(first);
    const countersBefore = (await http(`${first.url}/allstar/sandbox/counters`)).json;
    expect(countersBefore.counters).toHaveLength(2);
    expect(countersBefore.counters).toContainEqual(
      expect.objectContaining({
        consentId: allstarConsent.consentId,
        accountId: '*',
        resource: 'accounts',
        unattended: 1,
      }),
    );
    const faultsBefore = (await http(`${first.url}/alsalam/sandbox/faults`)).json;
    const consentsBefore = (await http(`${first.url}/allstar/sandbox/consents`)).json.consents;
    const clocksBefore = await clocks(first);
    await stop(first);
    await new Promise((r) => setTimeout(r, 1500)); // the clocks keep running while the bank is down

    const second = await start();
    expect(second.url).not.toBe(first.url);
    // Same keys, same CA, same discovery.
    expect(await publicKeys(second)).toEqual(keysBefore);
    // The clocks continued from their anchors, at their scale: set and scaled stay set and scaled.
    const clocksAfter = await clocks(second);
    for (const bank of ['allstar', 'alsalam', 'saltbank']) {
      const before = clocksBefore[bank];
      const after = clocksAfter[bank];
      expect(after.scale).toBe(before.scale);
      const expected = before.now + (after.real - before.real) * before.scale;
      expect(Math.abs(after.now - expected)).toBeLessThan(1000 * before.scale);
      expect(after.now - before.now).toBeGreaterThanOrEqual(1500 * before.scale - 50);
    }
    expect(clocksAfter.allstar.scale).toBe(2);
    expect(clocksAfter.saltbank.now - clocksAfter.alsalam.now).toBeGreaterThan(5 * 3_600_000 - 5_000);
    // Counters, faults and consents as they were.
    expect((await http(`${second.url}/allstar/sandbox/counters`)).json).toEqual(countersBefore);
    expect((await http(`${second.url}/alsalam/sandbox/faults`)).json).toEqual(faultsBefore);
    expect((await http(`${second.url}/allstar/sandbox/consents`)).json.consents).toEqual(consentsBefore);

    const secret2 = rebindAllstar(secret, second);
    const keyJwt2 = rebindAllstar(keyJwt, second);
    const tls2 = rebindAllstar(tls, second);
    const alsalam2 = rebindAlSalam(alsalam, second);
    const salt2 = rebindSalt(salt, second);
    // Registered clients: client_secret_basic, private_key_jwt and tls_client_auth with the certificate
    // issued before the restart (its agent trusts only the CA of before: the server's certificate
    // still chains to it).
    const clientToken = await secret2.clientToken();
    await keyJwt2.clientToken();
    await tls2.clientToken();
    await alsalam2.clientToken();
    // The consent is still Authorised with its accounts; the access token still reads them.
    const consent = await http(`${keyJwt2.aisBase()}/account-access-consents/${allstarConsent.consentId}`, {
      headers: { authorization: `Bearer ${await keyJwt2.clientToken()}` },
    });
    expect(consent.status).toBe(200);
    expect(consent.json.Data.Status).toBe('Authorised');
    const accountsAfter = await keyJwt2.get('/accounts', allstarConsent.accessToken, {
      'x-fapi-customer-ip-address': '10.0.0.1',
    });
    expect(accountsAfter.status).toBe(200);
    expect(accountsAfter.json.Data.Account.map((a: any) => a.AccountId)).toEqual(
      accountsBefore.json.Data.Account.map((a: any) => a.AccountId),
    );
    // The certificate-bound token, over mTLS with the same certificate.
    const bound = await tls2.get('/accounts', boundConsent.accessToken, { 'x-fapi-customer-ip-address': '10.0.0.1' });
    expect(bound.status).toBe(200);
    expect(bound.json.Data.Account).toEqual(boundAccountsBefore.json.Data.Account);
    // The refresh token works, and so does what it gives.
    const refreshed = await keyJwt2.tokenRequest({
      grant_type: 'refresh_token',
      refresh_token: allstarConsent.tokens.refresh_token,
    });
    expect(refreshed.status).toBe(200);
    expect(
      (await keyJwt2.get('/accounts', refreshed.json.access_token, { 'x-fapi-customer-ip-address': '10.0.0.1' }))
        .status,
    ).toBe(200);
    // Al Salam and Salt Bank tokens and consents (Salt Bank with the QWAC issued before).
    expect((await alsalam2.get('/accounts', bhConsent.token)).status).toBe(200);
    const bhRefresh = await alsalam2.tokenRequest({
      grant_type: 'refresh_token',
      refresh_token: bhConsent.tokens.refresh_token,
    });
    expect(bhRefresh.status).toBe(200);
    expect(
      (await salt2.get('/v1/accounts', bgConsent.token, bgConsent.consentId, { 'psu-ip-address': '1.1.1.1' })).status,
    ).toBe(200);
    expect(
      (await salt2.xs2a(`/v1/consents/${bgConsent.consentId}/status`, { headers: { 'x-request-id': randomUUID() } }))
        .json.consentStatus,
    ).toBe('valid');
    // The directory still knows the software statement; the PSU session goes on where it stopped.
    expect((await http(`${second.url}/directory/software/${keyJwt.softwareId}/jwks`)).json).toEqual(keyJwt.keys.jwks);
    const resumed = redirectParams(await drivePsuPages(second.url, pendingStart.location!, PSUS.alice));
    expect(resumed.get('state')).toBe('st-123');
    expect(
      (
        await secret2.tokenRequest({
          grant_type: 'authorization_code',
          code: resumed.get('code')!,
          redirect_uri: REDIRECT,
        })
      ).status,
    ).toBe(200);

    // POST /sandbox/reset: the bank starts over, with new keys and CA.
    const reset = await post(`${second.url}/sandbox/reset`, { clockStart: TEST_CLOCK, clockScale: 1 });
    expect(reset.status).toBe(200);
    expect(reset.json.banks.map((b: any) => b.scale)).toEqual([1, 1, 1]);
    for (const b of reset.json.banks) expect(Math.abs(Date.parse(b.now) - Date.parse(TEST_CLOCK))).toBeLessThan(5_000);
    expect((await secret2.tokenRequest({ grant_type: 'client_credentials', scope: 'accounts' })).status).toBe(401);
    expect((await keyJwt2.tokenRequest({ grant_type: 'client_credentials', scope: 'accounts' })).status).toBe(401);
    expect((await alsalam2.tokenRequest({ grant_type: 'client_credentials', scope: 'accounts' })).status).toBe(401);
    expect(
      (await keyJwt2.get('/accounts', allstarConsent.accessToken, { 'x-fapi-customer-ip-address': '10.0.0.1' })).status,
    ).toBe(401);
    expect((await secret2.get('/accounts', clientToken)).status).toBe(401);
    for (const bank of ['allstar', 'alsalam', 'saltbank']) {
      expect((await http(`${second.url}/${bank}/sandbox/consents`)).json.consents).toEqual([]);
      expect((await http(`${second.url}/${bank}/sandbox/counters`)).json.counters).toEqual([]);
      expect((await http(`${second.url}/${bank}/sandbox/faults`)).json.faults.latencyMs).toBe(0);
    }
    expect((await http(`${second.url}/directory/software/${keyJwt.softwareId}/jwks`)).status).toBe(404);
    const keysAfterReset = await publicKeys(second);
    expect(keysAfterReset.allstar).not.toEqual(keysBefore.allstar);
    expect(keysAfterReset.alsalam).not.toEqual(keysBefore.alsalam);
    expect(keysAfterReset.directory).not.toEqual(keysBefore.directory);
    expect(keysAfterReset.ca).not.toEqual(keysBefore.ca);
    // A new TPP onboards, with a certificate of the new CA, on the same mTLS listener.
    const fresh = await AllstarTpp.onboard(second, 'tls_client_auth');
    await fresh.clientToken();
    // A client that trusts only the old CA no longer accepts the listener's certificate.
    const oldCaOnly = new Agent({ connect: { ca: keysBefore.ca } });
    await expect(
      http(`${second.mtlsUrl}/allstar/.well-known/openid-configuration`, { dispatcher: oldCaOnly }),
    ).rejects.toThrow();
    await oldCaOnly.close();
    // State is written behind (debounced): stopping the bank writes what is left, then the tables say it.
    await stop(second);
    expect(await query(db.url, 'SELECT id FROM sandbox_bank.clients')).toEqual([{ id: fresh.clientId }]);
    expect(await query(db.url, 'SELECT id FROM sandbox_bank.consents')).toEqual([]);

    // The reset is what persists.
    const third = await start();
    expect(await publicKeys(third)).toEqual(keysAfterReset);
    await rebindAllstar(fresh, third).clientToken();
    expect(
      (await rebindAllstar(secret, third).tokenRequest({ grant_type: 'client_credentials', scope: 'accounts' })).status,
    ).toBe(401);
    await stop(third);
  });

  it('logs a failed write, keeps serving from memory and writes it with the next change', async () => {
    const s = await start();
    const admin = new pg.Client({ connectionString: db.url });
    await admin.connect();
    try {
      await admin.query('ALTER TABLE sandbox_bank.clients ADD CONSTRAINT no_writes CHECK (false) NOT VALID');
      const tpp = await AlSalamTpp.onboard(s);
      await new Promise((r) => setTimeout(r, 300)); // the write runs and fails
      await tpp.clientToken(); // the bank answers from memory
      const rows = async () =>
        (await admin.query('SELECT id FROM sandbox_bank.clients WHERE id = $1', [tpp.clientId])).rowCount;
      expect(await rows()).toBe(0);
      await admin.query('ALTER TABLE sandbox_bank.clients DROP CONSTRAINT no_writes');
      expect((await put(`${s.url}/alsalam/sandbox/clock`, { scale: 1 })).status).toBe(200); // any change
      await new Promise((r) => setTimeout(r, 300));
      expect(await rows()).toBe(1);
    } finally {
      await admin.end();
      await stop(s);
    }
  });

  it('the real process (dist/…/main.js) keeps its keys, CA and clients across a restart', async () => {
    const main = path.join(repoRoot, 'dist/apps/sandbox-bank/src/main.js');
    if (!existsSync(main))
      throw new Error(`${main} is missing: build first (npm test does; or npx swc apps libs -d dist)`);
    const own = await createTestDatabase('sandboxmain');
    const [port, mtlsPort] = [await freePort(), await freePort()];
    const base = `http://127.0.0.1:${port}`;
    const env = {
      ...(process.env as Record<string, string>),
      ...testEnv(),
      SANDBOX_DATABASE_URL: own.url,
      SANDBOX_HOST: '127.0.0.1',
      SANDBOX_PORT: String(port),
      SANDBOX_MTLS_PORT: String(mtlsPort),
      SANDBOX_PUBLIC_URL: base,
      SANDBOX_MTLS_PUBLIC_URL: `https://localhost:${mtlsPort}`,
      SANDBOX_CLOCK_START: TEST_CLOCK,
    };
    let child: ChildProcess | undefined;
    const launch = async () => {
      child = spawn(process.execPath, [main], { cwd: repoRoot, env, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
      const deadline = Date.now() + 60_000;
      while (Date.now() < deadline) {
        if (child.exitCode !== null) throw new Error(`sandbox exited with ${child.exitCode}: ${stderr}`);
        const ok = await fetch(`${base}/health/ready`)
          .then((r) => r.ok)
          .catch(() => false);
        if (ok) return;
        await new Promise((r) => setTimeout(r, 200));
      }
      throw new Error(`sandbox not ready: ${stderr}`);
    };
    const terminate = async () => {
      const c = child!;
      if (c.exitCode !== null || c.signalCode !== null) return;
      await new Promise<void>((resolve) => {
        c.once('exit', () => resolve());
        c.kill('SIGTERM');
      });
    };
    const fetchKeys = async () => ({
      allstar: (await http(`${base}/allstar/jwks`)).json,
      alsalam: (await http(`${base}/alsalam/jwks`)).json,
      directory: (await http(`${base}/directory/jwks`)).json,
      ca: (await http(`${base}/directory/ca.pem`)).text,
    });
    try {
      await launch();
      const before = await fetchKeys();
      const clockBefore = Date.parse((await http(`${base}/allstar/sandbox/clock`)).json.now);
      // A TPP onboarded at Allstar with a directory certificate (tls_client_auth), and one at Al Salam.
      const listener = { url: base, mtlsUrl: `https://localhost:${mtlsPort}` } as RunningSandbox;
      const tpp = await AllstarTpp.onboard(listener, 'tls_client_auth');
      const bh = await AlSalamTpp.onboard(listener);
      await tpp.clientToken();
      await terminate();

      await launch();
      expect(await fetchKeys()).toEqual(before);
      // SANDBOX_CLOCK_START only starts a new bank: the saved clock went on.
      expect(Date.parse((await http(`${base}/allstar/sandbox/clock`)).json.now)).toBeGreaterThan(clockBefore);
      expect((await http(`${base}/directory/software/${tpp.softwareId}/jwks`)).json).toEqual(tpp.keys.jwks);
      // The certificate of before, over mTLS (its agent trusts only the CA of before), and the clients.
      await rebindAllstar(tpp, listener).clientToken();
      await rebindAlSalam(bh, listener).clientToken();
      expect(
        (await query<{ id: string }>(own.url, 'SELECT id FROM sandbox_bank.clients ORDER BY id'))
          .map((r) => r.id)
          .sort(),
      ).toEqual([tpp.clientId, bh.clientId].sort());
    } finally {
      await terminate().catch(() => undefined);
      await own.drop();
    }
  });

  async function patch(s: RunningSandbox, bank: string, body: unknown) {
    return http(`${s.url}/${bank}/sandbox/faults`, { method: 'PATCH', headers: JSON_CT, body: JSON.stringify(body) });
  }
});
