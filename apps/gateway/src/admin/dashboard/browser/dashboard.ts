// The operators' dashboard (GET /admin), served as /admin/assets/dashboard.js, an ES module. It asks
// for the admin token, keeps it in sessionStorage and calls the admin API with it as a Bearer header
// (api.ts); everything from the API reaches the page as text nodes (dom.ts), and the charts are drawn
// with uPlot (charts.ts).
import { Unauthorised, api, forgetToken, keepToken, onRefused, q, token } from './api.js';
import { clearCharts, loadCharts, wireCharts } from './charts.js';
import { age, byId, el, fill, num, pct, show, table, when, type Column } from './dom.js';
import type {
  AdminSyncRun,
  AuditEntry,
  Delivery,
  Job,
  Page,
  ProviderHealth,
  QueueInfo,
  Stats,
  Tenant,
} from './views.js';

const REFRESH_MS = 15_000;
let timer: number | null = null;
let loading = false;

function message(text: string, isError = false): void {
  const box = byId('message');
  box.textContent = text;
  box.className = `message${isError ? ' error' : ''}`;
  box.hidden = !text;
}

function failed(id: string, error: unknown): void {
  if (error instanceof Unauthorised) return;
  fill(id, el('p', { class: 'error' }, [`Could not load: ${error instanceof Error ? error.message : String(error)}`]));
}

type Line = [string, string?];

function card(title: string, big: string, lines: Line[], tone = ''): HTMLElement {
  return el('div', { class: 'card' }, [
    el('h3', {}, [title]),
    el('div', { class: `big ${tone}` }, [big]),
    el(
      'ul',
      {},
      lines.map(([text, tone]) => el('li', { class: tone || null }, [text])),
    ),
  ]);
}

const figure = (f: { count: number; estimated: boolean } | null): string =>
  f ? `${f.estimated ? '≈ ' : ''}${num(f.count)}` : '—';
const count = (byStatus: Record<string, number>, status: string): number => byStatus[status] ?? 0;

function renderStats(s: Stats): void {
  const c = s.consents.byStatus;
  const h = s.syncRuns.lastHour;
  const d = s.syncRuns.last24h;
  const w = s.webhooks.deliveries;
  const e = s.webhooks.endpoints;
  const qt = s.queues;
  const late = (w.oldestPendingAgeSeconds ?? 0) > 600;
  fill(
    'stats',
    el('div', { class: 'cards' }, [
      card('Tenants', num(s.tenants.total), [
        [`${num(s.tenants.active)} active`],
        [`${num(s.tenants.suspended)} suspended`, s.tenants.suspended ? 'warn' : ''],
      ]),
      card('Consents', num(s.consents.total), [
        [`${num(count(c, 'authorised'))} authorised`, 'ok'],
        [`${num(count(c, 'awaiting_authorisation'))} awaiting authorisation`],
        [`${num(count(c, 'expired'))} expired · ${num(count(c, 'revoked'))} revoked`],
        [`${num(count(c, 'failed'))} failed · ${num(count(c, 'rejected'))} rejected`, count(c, 'failed') ? 'warn' : ''],
      ]),
      card('Providers', num(s.providers.total), [
        [`${num(s.providers.active)} active`],
        [`${num(s.providers.inactive)} inactive`],
      ]),
      card('Sync runs · last hour', num(h.total), [
        [`${num(h.succeeded)} succeeded`, 'ok'],
        [`${num(h.failed)} failed`, h.failed ? 'bad' : ''],
        [`${num(h.deferred)} deferred`],
        [`${num(h.queued + h.running)} queued or running`],
      ]),
      card('Sync runs · 24 h', num(d.total), [
        [`${num(d.succeeded)} succeeded`, 'ok'],
        [`${num(d.failed)} failed`, d.failed ? 'bad' : ''],
        [`${num(d.deferred)} deferred`],
      ]),
      card('Data stored', figure(s.data.transactions), [
        [`transactions${s.data.transactions.estimated ? ' (estimate)' : ''}`],
        [`${figure(s.data.accounts)} accounts${s.data.accounts.estimated ? ' (estimate)' : ''}`],
        [`${num(s.events.last24h)} events in 24 h`],
      ]),
      card(
        'Webhook deliveries',
        `${num(w.pending)} pending`,
        [
          [`oldest pending: ${age(w.oldestPendingAgeSeconds)}`, late ? 'warn' : ''],
          [`${num(w.failed)} failed`, w.failed ? 'bad' : ''],
          [`${num(e.failing)} endpoints failing · ${num(e.disabled)} disabled`, e.failing ? 'warn' : ''],
        ],
        late ? 'warn' : '',
      ),
      card('Queues', `${num(qt.waiting)} waiting`, [
        [`${num(qt.active)} active · ${num(qt.delayed)} delayed`],
        [`${num(qt.failed)} failed`, qt.failed ? 'bad' : ''],
        [qt.paused.length ? `paused: ${qt.paused.join(', ')}` : 'none paused', qt.paused.length ? 'warn' : ''],
        [
          qt.backingOff.length ? `backing off: ${qt.backingOff.join(', ')}` : 'none backing off',
          qt.backingOff.length ? 'warn' : '',
        ],
      ]),
    ]),
  );
}

/** Rows that matter now, and the rest folded away (kept open across refreshes when the operator opened it). */
function withFolded<T>(
  id: string,
  shown: T[],
  folded: T[],
  render: (rows: T[]) => Node,
  foldedLabel: (n: number) => string,
): void {
  const wasOpen = byId(id).querySelector('details[open]') !== null;
  const content: Node[] = [render(shown)];
  if (folded.length)
    content.push(el('details', { open: wasOpen }, [el('summary', {}, [foldedLabel(folded.length)]), render(folded)]));
  fill(id, content);
}

const n = (label: string): Column => ({ label, num: true });

function providerTable(providers: ProviderHealth[]): Node {
  return table(
    [
      'Provider',
      'Verdict',
      'Registration',
      'Last success',
      'Last failure',
      n('Runs 1 h'),
      n('Failed 1 h'),
      n('Runs 24 h'),
      n('Failed 24 h'),
      n('429s 24 h'),
      'Queue',
      '',
    ],
    providers.map((p) => {
      const reg = p.registration.present ? show(p.registration.tokenEndpointAuthMethod) : 'missing';
      const queue = p.queue.paused
        ? 'paused'
        : p.queue.backoffMs > 0
          ? `backing off ${Math.ceil(p.queue.backoffMs / 1000)} s`
          : 'flowing';
      const rejected = p.registration.rejectedSince;
      return el('tr', { 'data-provider': p.providerId }, [
        el('td', {}, [
          el('strong', {}, [p.name]),
          el('br'),
          el('code', {}, [p.providerId]),
          ` · ${p.country} · ${p.standard}`,
        ]),
        el('td', {}, [
          el('span', { class: `badge ${p.verdict}` }, [p.verdict]),
          p.reasons.length
            ? el(
                'ul',
                { class: 'reasons' },
                p.reasons.map((r) => el('li', {}, [r])),
              )
            : null,
        ]),
        el(
          'td',
          { class: p.registration.present && !rejected ? '' : 'bad' },
          rejected
            ? [
                reg,
                el('br'),
                `${p.registration.rejected === 'certificate' ? 'certificate rejected since ' : 'rejected by the bank since '}${when(rejected)}`,
              ]
            : [reg],
        ),
        el('td', {}, [when(p.lastSucceededAt)]),
        el(
          'td',
          { class: 'detail' },
          p.lastFailure ? [el('code', {}, [show(p.lastFailure.code)]), ` ${when(p.lastFailure.at)}`] : ['—'],
        ),
        el('td', { class: 'num' }, [num(p.lastHour.runs)]),
        el('td', { class: `num${p.lastHour.failed ? ' bad' : ''}` }, [
          `${num(p.lastHour.failed)} (${pct(p.lastHour.failureRate)})`,
        ]),
        el('td', { class: 'num' }, [num(p.last24h.runs)]),
        el('td', { class: `num${p.last24h.failed ? ' bad' : ''}` }, [
          `${num(p.last24h.failed)} (${pct(p.last24h.failureRate)})`,
        ]),
        el('td', { class: `num${p.budgetPressure.bankRateLimited24h ? ' warn' : ''}` }, [
          num(p.budgetPressure.bankRateLimited24h),
        ]),
        el('td', { class: p.queue.paused || p.queue.backoffMs > 0 ? 'warn' : '' }, [
          `${queue} · ${num(p.queue.waiting)} waiting`,
        ]),
        el('td', {}, [
          el(
            'button',
            {
              type: 'button',
              'data-action': 'onboard',
              'data-provider': p.providerId,
              title: 'Register the gateway at this bank',
            },
            [p.registration.present ? 'Re-onboard' : 'Onboard'],
          ),
        ]),
      ]);
    }),
    'No active providers.',
  );
}

function renderProviders(page: Page<ProviderHealth>): void {
  withFolded(
    'providers',
    page.data.filter((p) => p.status !== 'inactive'),
    page.data.filter((p) => p.status === 'inactive'),
    providerTable,
    (k) => `${k} inactive provider(s)`,
  );
}

function idle(qv: QueueInfo): boolean {
  const c = qv.counts;
  return (
    qv.providerStatus === 'inactive' &&
    !qv.paused &&
    qv.backoffMs <= 0 &&
    c.waiting + c.active + c.delayed + c.prioritized + c.failed === 0
  );
}

function queueTable(queues: QueueInfo[]): Node {
  return table(
    [
      'Queue',
      n('Waiting'),
      n('Active'),
      n('Delayed'),
      n('Failed'),
      n('Completed'),
      'State',
      'Rate limit',
      n('Workers'),
      '',
    ],
    queues.map((qv) => {
      const state = qv.paused
        ? 'paused'
        : qv.backoffMs > 0
          ? `backing off ${Math.ceil(qv.backoffMs / 1000)} s`
          : 'running';
      const limit = qv.globalRateLimit
        ? `${qv.globalRateLimit.max} / ${qv.globalRateLimit.durationMs} ms`
        : 'worker limiter';
      return el('tr', { 'data-queue': qv.name }, [
        el('td', {}, [el('code', {}, [qv.name])]),
        el('td', { class: 'num' }, [num(qv.counts.waiting + qv.counts.prioritized)]),
        el('td', { class: 'num' }, [num(qv.counts.active)]),
        el('td', { class: 'num' }, [num(qv.counts.delayed)]),
        el('td', { class: `num${qv.counts.failed ? ' bad' : ''}` }, [num(qv.counts.failed)]),
        el('td', { class: 'num' }, [num(qv.counts.completed)]),
        el('td', { class: qv.paused || qv.backoffMs > 0 ? 'warn' : 'ok' }, [state]),
        el('td', {}, [limit]),
        el('td', { class: 'num' }, [show(qv.workers)]),
        el('td', {}, [
          qv.paused
            ? el('button', { type: 'button', class: 'primary', 'data-action': 'resume', 'data-queue': qv.name }, [
                'Resume',
              ])
            : el('button', { type: 'button', class: 'danger', 'data-action': 'pause', 'data-queue': qv.name }, [
                'Pause',
              ]),
        ]),
      ]);
    }),
    'No queues.',
  );
}

function renderQueues(page: Page<QueueInfo>): void {
  withFolded(
    'queues',
    page.data.filter((qv) => !idle(qv)),
    page.data.filter(idle),
    queueTable,
    (k) => `${k} idle queue(s) of inactive providers`,
  );
}

function renderFailedJobs(pages: { queue: string; page: Page<Job> }[]): void {
  const rows = pages.flatMap((entry) =>
    entry.page.data.map((job) =>
      el('tr', { 'data-queue': entry.queue, 'data-job': job.id }, [
        el('td', {}, [el('code', {}, [entry.queue])]),
        el('td', {}, [el('code', {}, [job.id])]),
        el('td', {}, [job.name]),
        el('td', { class: 'num' }, [`${job.attemptsMade} / ${job.maxAttempts}`]),
        el('td', { class: 'detail' }, [show(job.failedReason)]),
        el('td', {}, [when(job.finishedAt)]),
        el('td', {}, [
          el('button', { type: 'button', 'data-action': 'retry', 'data-queue': entry.queue, 'data-job': job.id }, [
            'Retry',
          ]),
        ]),
      ]),
    ),
  );
  fill('failed-jobs', table(['Queue', 'Job', 'Name', n('Attempts'), 'Reason', 'Failed', ''], rows, 'No failed jobs.'));
}

function renderRuns(page: Page<AdminSyncRun>): void {
  fill(
    'sync-runs',
    table(
      ['Queued', 'Provider', 'Tenant', 'Consent', 'Trigger', 'Error', 'Detail'],
      page.data.map((r) =>
        el('tr', {}, [
          el('td', {}, [when(r.queuedAt)]),
          el('td', {}, [show(r.providerId)]),
          el('td', {}, [el('code', {}, [r.tenantId])]),
          el('td', {}, [el('code', {}, [r.consentId])]),
          el('td', {}, [r.trigger]),
          el('td', { class: 'bad' }, [r.error ? r.error.code : '—']),
          el('td', { class: 'detail' }, [r.error ? r.error.detail : '—']),
        ]),
      ),
      'No failed runs.',
    ),
  );
}

function renderDeliveries(page: Page<Delivery>): void {
  fill(
    'deliveries',
    table(
      ['Created', 'Tenant', 'Webhook', 'Event', n('Attempts'), n('Last status'), 'Last error', 'Last attempt'],
      page.data.map((dl) =>
        el('tr', {}, [
          el('td', {}, [when(dl.createdAt)]),
          el('td', {}, [el('code', {}, [dl.tenantId])]),
          el('td', {}, [el('code', {}, [dl.webhookId])]),
          el('td', {}, [show(dl.eventType)]),
          el('td', { class: 'num' }, [num(dl.attempts)]),
          el('td', { class: 'num' }, [show(dl.lastResponseStatus)]),
          el('td', { class: 'detail' }, [show(dl.lastError)]),
          el('td', {}, [when(dl.lastAttemptAt)]),
        ]),
      ),
      'No failed deliveries.',
    ),
  );
}

function renderTenants(page: Page<Tenant>): void {
  fill(
    'tenants',
    table(
      ['Name', 'Id', 'Status', n('Rate limit / min'), 'Created'],
      page.data.map((t) =>
        el('tr', {}, [
          el('td', {}, [t.name]),
          el('td', {}, [el('code', {}, [t.id])]),
          el('td', { class: t.status === 'active' ? 'ok' : 'warn' }, [t.status]),
          el('td', { class: 'num' }, [num(t.rateLimitPerMinute)]),
          el('td', {}, [when(t.createdAt)]),
        ]),
      ),
      'No tenants.',
    ),
  );
}

function renderAudit(page: Page<AuditEntry>): void {
  fill(
    'audit',
    table(
      ['When', 'Action', 'Target', 'Tenant', 'Request'],
      page.data.map((a) =>
        el('tr', {}, [
          el('td', {}, [when(a.createdAt)]),
          el('td', {}, [el('code', {}, [a.action])]),
          el('td', {}, [`${a.targetType} `, el('code', {}, [show(a.targetId)])]),
          el('td', {}, [show(a.tenantId)]),
          el('td', {}, [el('code', {}, [show(a.requestId)])]),
        ]),
      ),
      'No operator actions yet.',
    ),
  );
}

async function guard<T>(id: string, promise: Promise<T>, render: (value: T) => void): Promise<void> {
  try {
    render(await promise);
  } catch (error) {
    failed(id, error);
  }
}

async function load(): Promise<void> {
  if (!token() || loading) return;
  loading = true;
  try {
    const queues = api<Page<QueueInfo>>('GET', '/admin/queues');
    await Promise.all([
      guard('stats', api<Stats>('GET', '/admin/stats'), renderStats),
      loadCharts().catch(() => undefined), // each chart shows its own failure
      guard('providers', api<Page<ProviderHealth>>('GET', '/admin/providers/health'), renderProviders),
      guard('queues', queues, renderQueues),
      guard(
        'failed-jobs',
        queues.then((page) =>
          Promise.all(
            page.data
              .filter((qv) => qv.counts.failed > 0)
              .map(async (qv) => ({
                queue: qv.name,
                page: await api<Page<Job>>('GET', `/admin/queues/${q(qv.name)}/jobs?state=failed&limit=10`),
              })),
          ),
        ),
        renderFailedJobs,
      ),
      guard('sync-runs', api<Page<AdminSyncRun>>('GET', '/admin/sync-runs?status=failed&limit=15'), renderRuns),
      guard(
        'deliveries',
        api<Page<Delivery>>('GET', '/admin/webhooks/deliveries?status=failed&limit=15'),
        renderDeliveries,
      ),
      guard('tenants', api<Page<Tenant>>('GET', '/admin/tenants?limit=50'), renderTenants),
      guard('audit', api<Page<AuditEntry>>('GET', '/admin/audit-log?limit=15'), renderAudit),
    ]);
    byId('updated').textContent = `Updated ${new Date().toLocaleTimeString('en-GB')}`;
  } finally {
    loading = false;
  }
}

interface Action {
  path: string;
  confirm?: string;
  done: string;
}

const ACTIONS: Record<string, (b: Element) => Action> = {
  retry: (b) => ({
    path: `/admin/queues/${q(attr(b, 'data-queue'))}/jobs/${q(attr(b, 'data-job'))}/retry`,
    done: `Job ${attr(b, 'data-job')} is waiting again.`,
  }),
  pause: (b) => ({
    path: `/admin/queues/${q(attr(b, 'data-queue'))}/pause`,
    confirm: `Pause ${attr(b, 'data-queue')}? No job will start until it is resumed.`,
    done: `${attr(b, 'data-queue')} is paused.`,
  }),
  resume: (b) => ({
    path: `/admin/queues/${q(attr(b, 'data-queue'))}/resume`,
    done: `${attr(b, 'data-queue')} is running again.`,
  }),
  onboard: (b) => ({
    path: `/admin/providers/${q(attr(b, 'data-provider'))}/onboard`,
    confirm: `Register the gateway at ${attr(b, 'data-provider')} now?`,
    done: `${attr(b, 'data-provider')} is registered.`,
  }),
};

const attr = (element: Element, name: string): string => element.getAttribute(name) ?? '';

async function act(button: HTMLButtonElement): Promise<void> {
  const action = ACTIONS[attr(button, 'data-action')];
  if (!action) return;
  const spec = action(button);
  if (spec.confirm && !window.confirm(spec.confirm)) return;
  button.disabled = true;
  try {
    await api('POST', spec.path);
    message(spec.done);
    await load();
  } catch (error) {
    if (!(error instanceof Unauthorised))
      message(`Failed: ${error instanceof Error ? error.message : String(error)}`, true);
    button.disabled = false;
  }
}

function schedule(): void {
  if (timer !== null) window.clearInterval(timer);
  timer = null;
  if (token() && byId<HTMLInputElement>('auto').checked)
    timer = window.setInterval(() => {
      if (!document.hidden) void load();
    }, REFRESH_MS);
}

function enter(): void {
  byId('login').hidden = true;
  byId('dashboard').hidden = false;
  byId('controls').hidden = false;
  void load();
  schedule();
}

function signIn(value: string): void {
  if (!keepToken(value)) {
    message('This browser does not allow session storage: the dashboard cannot keep the token.', true);
    return;
  }
  enter();
}

function signOut(reason = ''): void {
  forgetToken();
  if (timer !== null) window.clearInterval(timer);
  timer = null;
  byId('dashboard').hidden = true;
  byId('controls').hidden = true;
  byId('login').hidden = false;
  for (const body of document.querySelectorAll('#dashboard .body'))
    body.replaceChildren(el('p', { class: 'muted' }, ['Loading…']));
  clearCharts();
  message(reason, Boolean(reason));
  byId('token').focus();
}

function start(): void {
  onRefused(signOut);
  byId('login').addEventListener('submit', (event) => {
    event.preventDefault();
    const input = byId<HTMLInputElement>('token');
    const value = input.value.trim();
    input.value = '';
    if (value) {
      message('');
      signIn(value);
    }
  });
  byId('refresh').addEventListener('click', () => void load());
  byId('signout').addEventListener('click', () => signOut());
  byId('auto').addEventListener('change', schedule);
  wireCharts(() => void loadCharts().catch(() => undefined));
  document.addEventListener('click', (event) => {
    const target = event.target instanceof Element ? event.target.closest('button[data-action]') : null;
    if (target instanceof HTMLButtonElement) void act(target);
  });
  if (token()) enter();
}

// A module runs after the document is parsed (modules are deferred).
start();
