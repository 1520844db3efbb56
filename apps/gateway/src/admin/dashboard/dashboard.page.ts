/**
 * The operators' dashboard: a static page (no data in it) whose script (browser/dashboard.ts, an ES
 * module) asks for the admin token, keeps it in sessionStorage and calls the admin API with it as a
 * Bearer header. Everything it shows comes from JSON and is put in the page as text nodes, never as
 * markup, and its charts are drawn on canvases by uPlot; the CSP allows only this origin's script and
 * style, and Trusted Types leave no HTML sink usable.
 */

export const DASHBOARD_SCRIPT_PATH = '/admin/assets/dashboard.js';
export const DASHBOARD_STYLE_PATH = '/admin/assets/dashboard.css';
export const CHART_SCRIPT_PATH = '/admin/assets/uplot.js';
export const CHART_STYLE_PATH = '/admin/assets/uplot.css';

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

const chart = (id: string, title: string, note: string) => `
        <figure class="chart" id="${id}">
          <figcaption>${title} <span class="muted">${note}</span></figcaption>
          <div class="plot"></div>
          <details class="chart-data"></details>
        </figure>`;

const charts = `
    <section id="charts" class="panel">
      <h2>Over time</h2>
      <p class="note">Sync runs by the time they were queued, deliveries by their last attempt; API traffic of every gateway instance and queue depths, minute by minute. Drag across a chart to zoom, double-click to zoom out.</p>
      <div class="chart-controls">
        <label>Runs and webhooks <select id="chart-window"><option value="24h" selected>last 24 hours, hourly</option><option value="7d">last 7 days, 6-hourly</option></select></label>
        <label>Bank <select id="chart-bank"><option value="*" selected>All banks</option></select></label>
        <label>API and queues <select id="chart-minutes"><option value="1h" selected>last hour, per minute</option><option value="24h">last 24 hours, per minute</option></select></label>
        <label>Queue <select id="chart-queue"><option value="*" selected>All queues</option></select></label>
      </div>
      <div class="charts">${chart('chart-sync-runs', 'Sync runs', 'per bank, by outcome')}${chart(
        'chart-bank-pressure',
        'Bank 429s and budget pressure',
        'runs the bank rate-limited or a spent budget deferred; unattended calls on the right',
      )}${chart('chart-deliveries', 'Webhook deliveries', 'delivered, given up, failed attempts')}${chart(
        'chart-latency',
        'Commit → delivery latency',
        'p50 and p99 of the successful deliveries, ms',
      )}${chart('chart-api', 'API requests per minute', 'with 4xx and 5xx answers')}${chart(
        'chart-queues',
        'Queue depth',
        'sampled once a minute; the last point is now',
      )}
      </div>
    </section>`;

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
  <link rel="stylesheet" href="${CHART_STYLE_PATH}">
  <link rel="stylesheet" href="${DASHBOARD_STYLE_PATH}">
  <script src="${CHART_SCRIPT_PATH}" defer></script>
  <script type="module" src="${DASHBOARD_SCRIPT_PATH}"></script>
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
    <div id="dashboard" hidden>${section('stats', 'Overview')}${charts}${section('providers', 'Providers', 'Health per bank from its sync runs and its queue.')}${section(
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
