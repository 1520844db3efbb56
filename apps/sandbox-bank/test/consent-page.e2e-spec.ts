import { jest } from '@jest/globals';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '@ais/testing';
import type { RunningSandbox } from '../src/sandbox.js';
import { AllstarTpp, REDIRECT } from './allstar-tpp.js';
import { http, redirectParams, startTestSandbox } from './harness.js';
import { SaltTpp, SALT_REDIRECT } from './saltbank-tpp.js';

jest.setTimeout(120_000);

/**
 * The PSU consent page in a real browser (Debian chromium via playwright-core). The client's redirect
 * URI is on an unreachable host, so each test stops the navigation there and reads the URL.
 */
describe('PSU consent page in a real browser', () => {
  let s: RunningSandbox;
  let browser: Browser;
  let allstar: AllstarTpp;

  beforeAll(async () => {
    // With the mTLS listener: Salt Bank's XS2A API (the consent) wants the TPP's QWAC.
    s = await startTestSandbox();
    browser = await launchChromium();
    allstar = await AllstarTpp.onboard(s);
  });
  afterAll(async () => {
    await browser?.close();
    await s?.close();
  });

  /**
   * Opens the authorisation URL; the redirect to the client is answered locally (its host does not
   * exist) and `redirected` resolves with the browser's URL there, fragment included (OIDC hybrid flow).
   */
  async function open(url: string, redirectPrefix: string): Promise<{ page: Page; redirected: () => Promise<string> }> {
    const page = await browser.newPage();
    await page.route(`${redirectPrefix}**`, (route) =>
      route.fulfill({ status: 200, contentType: 'text/html', body: '<p>back at the TPP</p>' }),
    );
    await page.goto(url);
    const redirected = async () => {
      await page.waitForURL((u) => u.href.startsWith(redirectPrefix));
      return page.url();
    };
    return { page, redirected };
  }

  async function allstarAuthUrl(): Promise<{ url: string; consentId: string }> {
    const consent = await allstar.createConsent();
    return { url: await allstar.authorizeUrl(consent.json.Data.ConsentId), consentId: consent.json.Data.ConsentId };
  }

  it('rejects a wrong password and a wrong OTP, then approves the selected accounts', async () => {
    const { url, consentId } = await allstarAuthUrl();
    const { page, redirected } = await open(url, REDIRECT);
    await page.fill('#username', 'alice');
    await page.fill('#password', 'not-the-password');
    await page.click('button[value=login]');
    await page.getByRole('alert').waitFor();
    expect(await page.getByRole('alert').textContent()).toContain('Wrong username or password');

    await page.fill('#username', 'alice');
    await page.fill('#password', 'alice-pass');
    await page.click('button[value=login]');
    await page.fill('#otp', '000000');
    await page.click('button[value=verify]');
    expect(await page.getByRole('alert').textContent()).toContain('Wrong one-time password');
    await page.fill('#otp', '123456');
    await page.click('button[value=verify]');

    const boxes = page.locator('input[name=accountIds]');
    expect(await boxes.count()).toBe(3);
    await boxes.nth(2).uncheck();
    await page.click('button[value=approve]');
    const final = await redirected();
    const params = redirectParams(final);
    expect(params.get('code')).toBeTruthy();
    expect(params.get('id_token')).toBeTruthy();
    expect(params.get('state')).toBe('st-123');

    const tokens = await allstar.tokenRequest({
      grant_type: 'authorization_code',
      code: params.get('code')!,
      redirect_uri: REDIRECT,
    });
    const accounts = await allstar.get('/accounts', tokens.json.access_token);
    expect(accounts.json.Data.Account).toHaveLength(2);
    const cc = await allstar.clientToken();
    const consent = await http(`${allstar.aisBase()}/account-access-consents/${consentId}`, {
      headers: { authorization: `Bearer ${cc}` },
    });
    expect(consent.json.Data.Status).toBe('Authorised');
    await page.close();
  });

  it('redirects with error=access_denied when the PSU denies', async () => {
    const { url } = await allstarAuthUrl();
    const { page, redirected } = await open(url, REDIRECT);
    await page.fill('#username', 'bob');
    await page.fill('#password', 'bob-pass');
    await page.click('button[value=login]');
    await page.fill('#otp', '234567');
    await page.click('button[value=verify]');
    await page.click('button[value=deny]');
    const params = redirectParams(await redirected());
    expect(params.get('error')).toBe('access_denied');
    expect(params.get('state')).toBe('st-123');
    await page.close();
  });

  it('asks again when no account is selected, and works the same at a Berlin Group bank', async () => {
    const salt = await SaltTpp.onboard(s);
    const consent = await salt.createConsent();
    const q = new URLSearchParams({
      response_type: 'code',
      client_id: salt.clientId,
      scope: `AIS:${consent.json.consentId}`,
      state: 'bg',
      redirect_uri: SALT_REDIRECT,
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
    });
    const { page, redirected } = await open(`${s.url}/saltbank/oauth/authorize?${q.toString()}`, SALT_REDIRECT);
    await page.fill('#username', 'erika');
    await page.fill('#password', 'erika-pass');
    await page.click('button[value=login]');
    await page.fill('#otp', '555555');
    await page.click('button[value=verify]');
    const boxes = page.locator('input[name=accountIds]');
    for (let i = 0; i < (await boxes.count()); i++) await boxes.nth(i).uncheck();
    await page.click('button[value=approve]');
    expect(await page.getByRole('alert').textContent()).toContain('Select at least one account');
    await page.locator('input[name=accountIds]').first().check();
    await page.click('button[value=approve]');
    expect(new URL(await redirected()).searchParams.get('code')).toBeTruthy();
    await page.close();
  });

  it('shows the sandbox PSUs on the bank’s landing page', async () => {
    const page = await browser.newPage();
    await page.goto(`${s.url}/alsalam`);
    expect(await page.locator('table.psus').textContent()).toContain('fatima-pass');
    await page.close();
  });
});
