/**
 * The operators' dashboard: a static page (no data in it) whose script asks for the admin token,
 * keeps it in sessionStorage and calls the admin API with it as a Bearer header. Everything it shows
 * comes from JSON and is put in the page as text nodes, never as markup; the CSP allows only this
 * origin's script and style, and Trusted Types leave no HTML sink usable.
 */

export const DASHBOARD_SCRIPT_PATH = '/admin/assets/dashboard.js';
export const DASHBOARD_STYLE_PATH = '/admin/assets/dashboard.css';

export const DASHBOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  // data: for the empty favicon below (no image is ever made from API data).
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "require-trusted-types-for 'script'",
  "trusted-types 'none'",
].join('; ');

/** Headers of the page and its assets: no caching of anything an operator saw, no framing, no referrer. */
export const DASHBOARD_HEADERS: Record<string, string> = {
  'content-security-policy': DASHBOARD_CSP,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'cache-control': 'no-store',
};

const section = (id: string, title: string, note = '') => `
    <section id="${id}" class="panel">
      <h2>${title}</h2>${note ? `\n      <p class="note">${note}</p>` : ''}
      <div class="body"><p class="muted">Loading…</p></div>
    </section>`;

export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <meta name="referrer" content="no-referrer">
  <title>AIS Gateway · Operations</title>
  <link rel="icon" href="data:,">
  <link rel="stylesheet" href="${DASHBOARD_STYLE_PATH}">
  <script src="${DASHBOARD_SCRIPT_PATH}" defer></script>
</head>
<body>
  <header class="bar">
    <h1>AIS Gateway <span>Operations</span></h1>
    <div class="controls" id="controls" hidden>
      <span id="updated" class="muted" aria-live="polite"></span>
      <label><input type="checkbox" id="auto" checked> Auto-refresh (15 s)</label>
      <button type="button" id="refresh">Refresh</button>
      <button type="button" id="signout">Sign out</button>
    </div>
  </header>
  <main>
    <div id="message" class="message" role="status" aria-live="polite" hidden></div>
    <form id="login" class="login" method="post" autocomplete="off">
      <h2>Sign in</h2>
      <p>Paste the operators’ admin token (<code>ADMIN_TOKEN</code>). It stays in this tab only (session storage) and is sent as an <code>Authorization</code> header to the admin API.</p>
      <label for="token">Admin token</label>
      <input type="password" id="token" name="token" autocomplete="off" spellcheck="false" required minlength="1">
      <button type="submit">Open dashboard</button>
      <noscript><p class="error">The dashboard needs JavaScript.</p></noscript>
    </form>
    <div id="dashboard" hidden>${section('stats', 'Overview')}${section('providers', 'Providers', 'Health per bank from its sync runs and its queue.')}${section(
      'queues',
      'Queues',
      'Pause a bank’s queue during its incident; running jobs finish, no new one starts.',
    )}${section('failed-jobs', 'Failed jobs')}${section('sync-runs', 'Recent failed sync runs')}${section('deliveries', 'Failed webhook deliveries')}${section(
      'tenants',
      'Tenants',
    )}${section('audit', 'Recent operator actions')}
    </div>
  </main>
</body>
</html>
`;
