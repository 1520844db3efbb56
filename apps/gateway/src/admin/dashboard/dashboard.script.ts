/**
 * The dashboard's browser script, served as /admin/assets/dashboard.js. Plain ES2020, no build step.
 * Rules it keeps: the admin token lives in sessionStorage and leaves the page only as an
 * Authorization header of same-origin fetches (never in a URL, a cookie or a body); every value from
 * the API reaches the page through text nodes (no innerHTML: the CSP's Trusted Types would refuse it).
 * (Kept free of backticks and dollar-brace so it can live in this template literal.)
 */
export const DASHBOARD_SCRIPT = String.raw`(function () {
  'use strict';

  var TOKEN_KEY = 'ais.adminToken';
  var REFRESH_MS = 15000;
  var timer = null;
  var loading = false;

  function $(id) { return document.getElementById(id); }

  /** el('td', { class: 'num' }, [child, 'text', null]): strings become text nodes, never markup. */
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      var value = attrs[name];
      if (value === undefined || value === null || value === false) return;
      if (name === 'disabled' || name === 'hidden' || name === 'open') node[name] = Boolean(value);
      else node.setAttribute(name, String(value));
    });
    (children || []).forEach(function (child) {
      if (child === null || child === undefined) return;
      node.appendChild(typeof child === 'object' ? child : document.createTextNode(String(child)));
    });
    return node;
  }

  function show(value) { return value === null || value === undefined || value === '' ? '—' : String(value); }
  function num(value) { return typeof value === 'number' ? value.toLocaleString('en-GB') : show(value); }
  function pct(rate) { return typeof rate === 'number' ? Math.round(rate * 100) + '%' : '—'; }

  function age(seconds) {
    if (typeof seconds !== 'number') return '—';
    if (seconds < 90) return seconds + ' s';
    if (seconds < 5400) return Math.round(seconds / 60) + ' min';
    if (seconds < 172800) return Math.round(seconds / 3600) + ' h';
    return Math.round(seconds / 86400) + ' d';
  }

  function when(iso) {
    if (!iso) return '—';
    var t = new Date(iso);
    if (isNaN(t.getTime())) return show(iso);
    return t.toISOString().replace('T', ' ').slice(0, 19) + ' UTC (' + age(Math.max(0, Math.round((Date.now() - t.getTime()) / 1000))) + ' ago)';
  }

  function token() { try { return sessionStorage.getItem(TOKEN_KEY); } catch (e) { return null; } }

  function idempotencyKey() {
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return 'dash-' + Array.prototype.map.call(bytes, function (b) { return ('0' + b.toString(16)).slice(-2); }).join('');
  }

  function message(text, isError) {
    var box = $('message');
    box.textContent = text || '';
    box.className = 'message' + (isError ? ' error' : '');
    box.hidden = !text;
  }

  function Unauthorised() {}

  /** The one place the token leaves sessionStorage: an Authorization header on a same-origin request. */
  function api(method, path) {
    var headers = { Authorization: 'Bearer ' + token(), Accept: 'application/json' };
    if (method === 'POST') headers['Idempotency-Key'] = idempotencyKey();
    return fetch(path, { method: method, headers: headers, credentials: 'omit', cache: 'no-store', referrerPolicy: 'no-referrer', redirect: 'error' }).then(function (res) {
      return res.text().then(function (text) {
        var body = null;
        try { body = text ? JSON.parse(text) : null; } catch (e) { body = null; }
        if (res.status === 401) {
          signOut('The admin token was refused: enter it again.');
          throw new Unauthorised();
        }
        if (!res.ok) throw new Error((body && (body.detail || body.title)) || ('HTTP ' + res.status));
        return body;
      });
    });
  }

  function q(value) { return encodeURIComponent(value); }

  function table(headers, rows, empty) {
    if (!rows.length) return el('p', { class: 'muted' }, [empty || 'Nothing to show.']);
    return el('table', {}, [
      el('thead', {}, [el('tr', {}, headers.map(function (h) { return el('th', { class: h.num ? 'num' : null }, [h.label || h]); }))]),
      el('tbody', {}, rows),
    ]);
  }

  function fill(id, content) {
    var body = $(id).querySelector('.body');
    body.replaceChildren.apply(body, Array.isArray(content) ? content : [content]);
  }

  function failed(id, error) {
    if (error instanceof Unauthorised) return;
    fill(id, el('p', { class: 'error' }, ['Could not load: ' + (error && error.message ? error.message : String(error))]));
  }

  function card(title, big, lines, tone) {
    return el('div', { class: 'card' }, [
      el('h3', {}, [title]),
      el('div', { class: 'big ' + (tone || '') }, [big]),
      el('ul', {}, lines.map(function (line) { return el('li', { class: line[1] || null }, [line[0]]); })),
    ]);
  }

  function figure(f) { return f ? (f.estimated ? '≈ ' : '') + num(f.count) : '—'; }

  function renderStats(s) {
    var c = s.consents.byStatus;
    var h = s.syncRuns.lastHour;
    var d = s.syncRuns.last24h;
    var w = s.webhooks.deliveries;
    var e = s.webhooks.endpoints;
    var qt = s.queues;
    fill('stats', el('div', { class: 'cards' }, [
      card('Tenants', num(s.tenants.total), [[num(s.tenants.active) + ' active'], [num(s.tenants.suspended) + ' suspended', s.tenants.suspended ? 'warn' : '']]),
      card('Consents', num(s.consents.total), [
        [num(c.authorised) + ' authorised', 'ok'], [num(c.awaiting_authorisation) + ' awaiting authorisation'],
        [num(c.expired) + ' expired · ' + num(c.revoked) + ' revoked'], [num(c.failed) + ' failed · ' + num(c.rejected) + ' rejected', c.failed ? 'warn' : ''],
      ]),
      card('Providers', num(s.providers.total), [[num(s.providers.active) + ' active'], [num(s.providers.inactive) + ' inactive']]),
      card('Sync runs · last hour', num(h.total), [
        [num(h.succeeded) + ' succeeded', 'ok'], [num(h.failed) + ' failed', h.failed ? 'bad' : ''], [num(h.deferred) + ' deferred'], [num(h.queued + h.running) + ' queued or running'],
      ]),
      card('Sync runs · 24 h', num(d.total), [[num(d.succeeded) + ' succeeded', 'ok'], [num(d.failed) + ' failed', d.failed ? 'bad' : ''], [num(d.deferred) + ' deferred']]),
      card('Data stored', figure(s.data.transactions), [
        ['transactions' + (s.data.transactions.estimated ? ' (estimate)' : '')], [figure(s.data.accounts) + ' accounts' + (s.data.accounts.estimated ? ' (estimate)' : '')],
        [num(s.events.last24h) + ' events in 24 h'],
      ]),
      card('Webhook deliveries', num(w.pending) + ' pending', [
        ['oldest pending: ' + age(w.oldestPendingAgeSeconds), w.oldestPendingAgeSeconds > 600 ? 'warn' : ''], [num(w.failed) + ' failed', w.failed ? 'bad' : ''],
        [num(e.failing) + ' endpoints failing · ' + num(e.disabled) + ' disabled', e.failing ? 'warn' : ''],
      ], w.oldestPendingAgeSeconds > 600 ? 'warn' : ''),
      card('Queues', num(qt.waiting) + ' waiting', [
        [num(qt.active) + ' active · ' + num(qt.delayed) + ' delayed'], [num(qt.failed) + ' failed', qt.failed ? 'bad' : ''],
        [qt.paused.length ? 'paused: ' + qt.paused.join(', ') : 'none paused', qt.paused.length ? 'warn' : ''],
        [qt.backingOff.length ? 'backing off: ' + qt.backingOff.join(', ') : 'none backing off', qt.backingOff.length ? 'warn' : ''],
      ]),
    ]));
  }

  /** Rows that matter now, and the rest folded away (kept open across refreshes when the operator opened it). */
  function withFolded(id, shown, folded, render, foldedLabel) {
    var wasOpen = $(id).querySelector('details[open]') !== null;
    var content = [render(shown)];
    if (folded.length) content.push(el('details', { open: wasOpen }, [el('summary', {}, [foldedLabel(folded.length)]), render(folded)]));
    fill(id, content);
  }

  function renderProviders(page) {
    withFolded('providers', page.data.filter(function (p) { return p.status !== 'inactive'; }), page.data.filter(function (p) { return p.status === 'inactive'; }), providerTable, function (n) { return n + ' inactive provider(s)'; });
  }

  function providerTable(providers) {
    return table(
      ['Provider', 'Verdict', 'Registration', 'Last success', 'Last failure', { label: 'Runs 1 h', num: true }, { label: 'Failed 1 h', num: true }, { label: 'Runs 24 h', num: true }, { label: 'Failed 24 h', num: true }, { label: '429s 24 h', num: true }, 'Queue', ''],
      providers.map(function (p) {
        var reg = p.registration.present ? show(p.registration.tokenEndpointAuthMethod) : 'missing';
        var queue = p.queue.paused ? 'paused' : p.queue.backoffMs > 0 ? 'backing off ' + Math.ceil(p.queue.backoffMs / 1000) + ' s' : 'flowing';
        return el('tr', { 'data-provider': p.providerId }, [
          el('td', {}, [el('strong', {}, [p.name]), el('br'), el('code', {}, [p.providerId]), ' · ' + p.country + ' · ' + p.standard]),
          el('td', {}, [el('span', { class: 'badge ' + p.verdict }, [p.verdict]), p.reasons.length ? el('ul', { class: 'reasons' }, p.reasons.map(function (r) { return el('li', {}, [r]); })) : null]),
          el('td', { class: p.registration.present && !p.registration.rejectedSince ? '' : 'bad' }, p.registration.rejectedSince
            ? [reg, el('br'), (p.registration.rejected === 'certificate' ? 'certificate rejected since ' : 'rejected by the bank since ') + when(p.registration.rejectedSince)]
            : [reg]),
          el('td', {}, [when(p.lastSucceededAt)]),
          el('td', { class: 'detail' }, p.lastFailure ? [el('code', {}, [show(p.lastFailure.code)]), ' ' + when(p.lastFailure.at)] : ['—']),
          el('td', { class: 'num' }, [num(p.lastHour.runs)]),
          el('td', { class: 'num' + (p.lastHour.failed ? ' bad' : '') }, [num(p.lastHour.failed) + ' (' + pct(p.lastHour.failureRate) + ')']),
          el('td', { class: 'num' }, [num(p.last24h.runs)]),
          el('td', { class: 'num' + (p.last24h.failed ? ' bad' : '') }, [num(p.last24h.failed) + ' (' + pct(p.last24h.failureRate) + ')']),
          el('td', { class: 'num' + (p.budgetPressure.bankRateLimited24h ? ' warn' : '') }, [num(p.budgetPressure.bankRateLimited24h)]),
          el('td', { class: p.queue.paused || p.queue.backoffMs > 0 ? 'warn' : '' }, [queue + ' · ' + num(p.queue.waiting) + ' waiting']),
          el('td', {}, [el('button', { type: 'button', 'data-action': 'onboard', 'data-provider': p.providerId, title: 'Register the gateway at this bank' }, [p.registration.present ? 'Re-onboard' : 'Onboard'])]),
        ]);
      }),
      'No active providers.',
    );
  }

  function idle(qv) {
    var c = qv.counts;
    return qv.providerStatus === 'inactive' && !qv.paused && qv.backoffMs <= 0 && c.waiting + c.active + c.delayed + c.prioritized + c.failed === 0;
  }

  function renderQueues(page) {
    withFolded('queues', page.data.filter(function (qv) { return !idle(qv); }), page.data.filter(idle), queueTable, function (n) { return n + ' idle queue(s) of inactive providers'; });
  }

  function queueTable(queues) {
    return table(
      ['Queue', { label: 'Waiting', num: true }, { label: 'Active', num: true }, { label: 'Delayed', num: true }, { label: 'Failed', num: true }, { label: 'Completed', num: true }, 'State', 'Rate limit', { label: 'Workers', num: true }, ''],
      queues.map(function (qv) {
        var state = qv.paused ? 'paused' : qv.backoffMs > 0 ? 'backing off ' + Math.ceil(qv.backoffMs / 1000) + ' s' : 'running';
        var limit = qv.globalRateLimit ? qv.globalRateLimit.max + ' / ' + qv.globalRateLimit.durationMs + ' ms' : 'worker limiter';
        return el('tr', { 'data-queue': qv.name }, [
          el('td', {}, [el('code', {}, [qv.name])]),
          el('td', { class: 'num' }, [num(qv.counts.waiting + qv.counts.prioritized)]),
          el('td', { class: 'num' }, [num(qv.counts.active)]),
          el('td', { class: 'num' }, [num(qv.counts.delayed)]),
          el('td', { class: 'num' + (qv.counts.failed ? ' bad' : '') }, [num(qv.counts.failed)]),
          el('td', { class: 'num' }, [num(qv.counts.completed)]),
          el('td', { class: qv.paused || qv.backoffMs > 0 ? 'warn' : 'ok' }, [state]),
          el('td', {}, [limit]),
          el('td', { class: 'num' }, [show(qv.workers)]),
          el('td', {}, [qv.paused
            ? el('button', { type: 'button', class: 'primary', 'data-action': 'resume', 'data-queue': qv.name }, ['Resume'])
            : el('button', { type: 'button', class: 'danger', 'data-action': 'pause', 'data-queue': qv.name }, ['Pause'])]),
        ]);
      }),
      'No queues.',
    );
  }

  function renderFailedJobs(pages) {
    var rows = [];
    pages.forEach(function (entry) {
      entry.page.data.forEach(function (job) {
        rows.push(el('tr', { 'data-queue': entry.queue, 'data-job': job.id }, [
          el('td', {}, [el('code', {}, [entry.queue])]),
          el('td', {}, [el('code', {}, [job.id])]),
          el('td', {}, [job.name]),
          el('td', { class: 'num' }, [job.attemptsMade + ' / ' + job.maxAttempts]),
          el('td', { class: 'detail' }, [show(job.failedReason)]),
          el('td', {}, [when(job.finishedAt)]),
          el('td', {}, [el('button', { type: 'button', 'data-action': 'retry', 'data-queue': entry.queue, 'data-job': job.id }, ['Retry'])]),
        ]));
      });
    });
    fill('failed-jobs', table(['Queue', 'Job', 'Name', { label: 'Attempts', num: true }, 'Reason', 'Failed', ''], rows, 'No failed jobs.'));
  }

  function renderRuns(page) {
    fill('sync-runs', table(['Queued', 'Provider', 'Tenant', 'Consent', 'Trigger', 'Error', 'Detail'], page.data.map(function (r) {
      return el('tr', {}, [
        el('td', {}, [when(r.queuedAt)]), el('td', {}, [show(r.providerId)]), el('td', {}, [el('code', {}, [r.tenantId])]), el('td', {}, [el('code', {}, [r.consentId])]),
        el('td', {}, [r.trigger]), el('td', { class: 'bad' }, [r.error ? r.error.code : '—']), el('td', { class: 'detail' }, [r.error ? r.error.detail : '—']),
      ]);
    }), 'No failed runs.'));
  }

  function renderDeliveries(page) {
    fill('deliveries', table(['Created', 'Tenant', 'Webhook', 'Event', { label: 'Attempts', num: true }, { label: 'Last status', num: true }, 'Last error', 'Last attempt'], page.data.map(function (dl) {
      return el('tr', {}, [
        el('td', {}, [when(dl.createdAt)]), el('td', {}, [el('code', {}, [dl.tenantId])]), el('td', {}, [el('code', {}, [dl.webhookId])]), el('td', {}, [show(dl.eventType)]),
        el('td', { class: 'num' }, [num(dl.attempts)]), el('td', { class: 'num' }, [show(dl.lastResponseStatus)]), el('td', { class: 'detail' }, [show(dl.lastError)]), el('td', {}, [when(dl.lastAttemptAt)]),
      ]);
    }), 'No failed deliveries.'));
  }

  function renderTenants(page) {
    fill('tenants', table(['Name', 'Id', 'Status', { label: 'Rate limit / min', num: true }, 'Created'], page.data.map(function (t) {
      return el('tr', {}, [
        el('td', {}, [t.name]), el('td', {}, [el('code', {}, [t.id])]), el('td', { class: t.status === 'active' ? 'ok' : 'warn' }, [t.status]),
        el('td', { class: 'num' }, [num(t.rateLimitPerMinute)]), el('td', {}, [when(t.createdAt)]),
      ]);
    }), 'No tenants.'));
  }

  function renderAudit(page) {
    fill('audit', table(['When', 'Action', 'Target', 'Tenant', 'Request'], page.data.map(function (a) {
      return el('tr', {}, [
        el('td', {}, [when(a.createdAt)]), el('td', {}, [el('code', {}, [a.action])]), el('td', {}, [a.targetType + ' ', el('code', {}, [show(a.targetId)])]),
        el('td', {}, [show(a.tenantId)]), el('td', {}, [el('code', {}, [show(a.requestId)])]),
      ]);
    }), 'No operator actions yet.'));
  }

  function guard(id, promise, render) {
    return promise.then(render).catch(function (error) { failed(id, error); });
  }

  function load() {
    if (!token() || loading) return Promise.resolve();
    loading = true;
    var queues = api('GET', '/admin/queues');
    return Promise.all([
      guard('stats', api('GET', '/admin/stats'), renderStats),
      guard('providers', api('GET', '/admin/providers/health'), renderProviders),
      guard('queues', queues, renderQueues),
      guard('failed-jobs', queues.then(function (page) {
        return Promise.all(page.data.filter(function (qv) { return qv.counts.failed > 0; }).map(function (qv) {
          return api('GET', '/admin/queues/' + q(qv.name) + '/jobs?state=failed&limit=10').then(function (jobs) { return { queue: qv.name, page: jobs }; });
        }));
      }), renderFailedJobs),
      guard('sync-runs', api('GET', '/admin/sync-runs?status=failed&limit=15'), renderRuns),
      guard('deliveries', api('GET', '/admin/webhooks/deliveries?status=failed&limit=15'), renderDeliveries),
      guard('tenants', api('GET', '/admin/tenants?limit=50'), renderTenants),
      guard('audit', api('GET', '/admin/audit-log?limit=15'), renderAudit),
    ]).then(function () {
      $('updated').textContent = 'Updated ' + new Date().toLocaleTimeString('en-GB');
    }).finally(function () { loading = false; });
  }

  var ACTIONS = {
    retry: function (b) { return { path: '/admin/queues/' + q(b.getAttribute('data-queue')) + '/jobs/' + q(b.getAttribute('data-job')) + '/retry', done: 'Job ' + b.getAttribute('data-job') + ' is waiting again.' }; },
    pause: function (b) { return { path: '/admin/queues/' + q(b.getAttribute('data-queue')) + '/pause', confirm: 'Pause ' + b.getAttribute('data-queue') + '? No job will start until it is resumed.', done: b.getAttribute('data-queue') + ' is paused.' }; },
    resume: function (b) { return { path: '/admin/queues/' + q(b.getAttribute('data-queue')) + '/resume', done: b.getAttribute('data-queue') + ' is running again.' }; },
    onboard: function (b) { return { path: '/admin/providers/' + q(b.getAttribute('data-provider')) + '/onboard', confirm: 'Register the gateway at ' + b.getAttribute('data-provider') + ' now?', done: b.getAttribute('data-provider') + ' is registered.' }; },
  };

  function act(button) {
    var action = ACTIONS[button.getAttribute('data-action')];
    if (!action) return;
    var spec = action(button);
    if (spec.confirm && !window.confirm(spec.confirm)) return;
    button.disabled = true;
    api('POST', spec.path).then(function () {
      message(spec.done, false);
      return load();
    }).catch(function (error) {
      if (!(error instanceof Unauthorised)) message('Failed: ' + error.message, true);
      button.disabled = false;
    });
  }

  function schedule() {
    if (timer) clearInterval(timer);
    timer = null;
    if (token() && $('auto').checked) timer = setInterval(function () { if (!document.hidden) load(); }, REFRESH_MS);
  }

  function signIn(value) {
    try { sessionStorage.setItem(TOKEN_KEY, value); } catch (e) { message('This browser does not allow session storage: the dashboard cannot keep the token.', true); return; }
    enter();
  }

  function enter() {
    $('login').hidden = true;
    $('dashboard').hidden = false;
    $('controls').hidden = false;
    load();
    schedule();
  }

  function signOut(reason) {
    try { sessionStorage.removeItem(TOKEN_KEY); } catch (e) { /* nothing kept */ }
    if (timer) clearInterval(timer);
    timer = null;
    $('dashboard').hidden = true;
    $('controls').hidden = true;
    $('login').hidden = false;
    Array.prototype.forEach.call(document.querySelectorAll('#dashboard .body'), function (body) { body.replaceChildren(el('p', { class: 'muted' }, ['Loading…'])); });
    message(reason || '', Boolean(reason));
    $('token').focus();
  }

  document.addEventListener('DOMContentLoaded', function () {
    $('login').addEventListener('submit', function (event) {
      event.preventDefault();
      var input = $('token');
      var value = input.value.trim();
      input.value = '';
      if (value) { message('', false); signIn(value); }
    });
    $('refresh').addEventListener('click', function () { load(); });
    $('signout').addEventListener('click', function () { signOut(''); });
    $('auto').addEventListener('change', schedule);
    document.addEventListener('click', function (event) {
      var target = event.target instanceof Element ? event.target.closest('button[data-action]') : null;
      if (target) act(target);
    });
    if (token()) enter();
  });
})();
`;
