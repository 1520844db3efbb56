import type { Browser } from 'playwright-core';

export interface SandboxPsu {
  username: string;
  password: string;
  otp: string;
}

/** Drives a sandbox bank's consent page like an end user: login, OTP, account selection, decision. */
export async function actAsPsu(
  browser: Browser,
  authorisationUrl: string,
  psu: SandboxPsu,
  decision: 'approve' | 'deny',
  options: { wrongPasswordFirst?: boolean; captureCallback?: string } = {},
): Promise<string> {
  const context = await browser.newContext();
  const page = await context.newPage();
  let captured: string | null = null;
  if (options.captureCallback) {
    // Redirect targets are not interceptable, so take the bank's answer to the decision itself and
    // keep its Location (the redirect to our callback) unsent; the test replays or tampers with it.
    await page.route(/\/consent\/[^/]+\/accounts/, async (route) => {
      if (route.request().method() !== 'POST') return route.continue();
      const response = await route.fetch({ maxRedirects: 0 });
      const location = response.headers()['location'] ?? '';
      const url = new URL(location);
      if (url.hash.length > 1) url.search = url.hash.slice(1); // what the callback page does for fragment responses
      url.hash = '';
      captured = url.toString();
      await route.fulfill({ status: 200, contentType: 'text/html', body: '<p>captured</p>' });
    });
  }
  try {
    await page.goto(authorisationUrl);
    if (options.wrongPasswordFirst) {
      await page.fill('input[name=username]', psu.username);
      await page.fill('input[name=password]', 'wrong');
      await Promise.all([
        page.waitForLoadState(),
        page.locator('form button[type=submit], form input[type=submit]').first().click(),
      ]);
      await page.goBack();
    }
    await page.fill('input[name=username]', psu.username);
    await page.fill('input[name=password]', psu.password);
    await Promise.all([
      page.waitForURL(/.*/),
      page.locator('form button[type=submit], form input[type=submit]').first().click(),
    ]);
    await page.fill('input[name=otp]', psu.otp);
    await Promise.all([
      page.waitForURL(/.*/),
      page.locator('form button[type=submit], form input[type=submit]').first().click(),
    ]);
    await page.waitForSelector('input[name=accountIds]');
    const decided = options.captureCallback
      ? page.waitForResponse((r) => /\/consent\/[^/]+\/accounts/.test(r.url()) && r.request().method() === 'POST')
      : page.waitForURL((url) => !url.pathname.includes('/consent/'), { timeout: 30_000 });
    await Promise.all([decided, page.locator(`button[name=decision][value=${decision}]`).click()]);
    await page.waitForLoadState('load');
    if (options.captureCallback) {
      if (captured === null || !String(captured).startsWith(options.captureCallback))
        throw new Error(`the bank did not redirect to the callback (${String(captured)})`);
      return captured;
    }
    return page.url();
  } finally {
    await context.close();
  }
}
