// The dashboard's charts, drawn with uPlot from the admin API's time series (GET /admin/timeseries/*).
// Each chart also gets a table of its numbers (for screen readers, copying, and the browser test): the
// table and the plot are made from the same arrays.
import type UPlot from 'uplot';
import { Unauthorised, api, q } from './api.js';
import { byId, el, num } from './dom.js';
import type {
  ApiTrafficSeries,
  Buckets,
  QueueDepthSeries,
  QueueSeries,
  SyncRunSeries,
  WebhookSeries,
} from './views.js';

/** uPlot's global, from /admin/assets/uplot.js (its IIFE build, a classic script the page loads before this module). */
declare const uPlot: typeof UPlot;

type Values = readonly (number | null)[];

interface SeriesSpec {
  label: string;
  color: string;
  values: Values;
  /** The right-hand axis instead of the left one. */
  right?: boolean;
  /**
   * Drawn as a part of one stacked bar per bucket (parts of a whole: runs by outcome), the first series
   * listed on top; the others are lines. The legend and the table show each series' own values.
   */
  stacked?: boolean;
}

interface ChartSpec {
  /** The figure's id in the page. */
  id: string;
  /** Unit of the left axis (and the right one's label, when a series uses it). */
  unit: string;
  rightUnit?: string;
  answer: Buckets;
  series: SeriesSpec[];
}

const COLORS = {
  ok: '#137a3a',
  bad: '#b42318',
  warn: '#c27803',
  info: '#2457c5',
  violet: '#7a3ec2',
};

const HEIGHT = 220;
interface Chart {
  plot: UPlot;
  /** The series' labels and the bucket size: another shape makes a new plot, the same one takes new data. */
  shape: string;
  spec: ChartSpec;
}

const plots = new Map<string, Chart>();
const resizing = new ResizeObserver((entries) => {
  for (const entry of entries) {
    const id = (entry.target as HTMLElement).closest('figure')?.id;
    const chart = id ? plots.get(id) : undefined;
    const width = Math.floor(entry.contentRect.width);
    if (chart && width > 0 && width !== chart.plot.width) chart.plot.setSize({ width, height: HEIGHT });
  }
});

const seconds = (iso: string): number => Date.parse(iso) / 1000;

/** "2026-12-05 13:00" (UTC), the bucket's start. */
const stamp = (iso: string): string => iso.replace('T', ' ').slice(0, 16);

const figure = (v: number | null | undefined, unit = ''): string =>
  v === null || v === undefined ? '—' : `${num(Math.round(v * 10) / 10)}${unit}`;

/** Sum of several series, bucket by bucket; null where every one of them is null. */
function sum(series: readonly Values[], length: number): (number | null)[] {
  return Array.from({ length }, (_, i) => {
    let total: number | null = null;
    for (const s of series) {
      const v = s[i];
      if (v !== null && v !== undefined) total = (total ?? 0) + v;
    }
    return total;
  });
}

/**
 * What uPlot draws for each series: a stacked one is drawn as its bar's top, i.e. its value plus those
 * of the stacked series listed after it (the bars are drawn tallest first, so each part shows).
 */
function drawnValues(series: readonly SeriesSpec[]): Values[] {
  return series.map((s, i) => {
    if (!s.stacked) return s.values;
    const below = series.slice(i).filter((b) => b.stacked);
    return sum(
      below.map((b) => b.values),
      s.values.length,
    );
  });
}

/** Draws (or redraws) a chart and its table of numbers in the figure with the spec's id. */
function draw(spec: ChartSpec): void {
  const box = byId(spec.id);
  const area = box.querySelector<HTMLElement>('.plot');
  if (!area) throw new Error(`#${spec.id} has no .plot`);
  const times = spec.answer.buckets.map(seconds);
  const data = [times, ...drawnValues(spec.series).map((v) => v.slice())] as UPlot.AlignedData;
  const shape = JSON.stringify([spec.series.map((s) => s.label), spec.answer.bucketSeconds]);
  const existing = plots.get(spec.id);
  if (existing && existing.shape === shape) {
    existing.spec = spec;
    existing.plot.setData(data);
  } else {
    existing?.plot.destroy();
    const chart = { spec, shape } as Chart;
    chart.plot = new uPlot(options(chart, Math.max(320, Math.floor(area.clientWidth))), data, area);
    plots.set(spec.id, chart);
    resizing.observe(area);
  }
  box.setAttribute('data-points', String(times.length));
  box.querySelector('.chart-error')?.remove();
  numbers(box, spec);
}

function options(chart: Chart, width: number): UPlot.Options {
  const { spec } = chart;
  const unit = spec.unit === 'ms' ? ' ms' : '';
  const right = spec.series.some((s) => s.right);
  const step = spec.answer.bucketSeconds;
  const bars = uPlot.paths.bars?.({ size: [0.7, 48], align: 0 });
  // The legend shows a series' own value at the cursor, not the top of its part of the stack.
  const own =
    (i: number) =>
    (_u: UPlot, _v: number | null, _s: number, idx: number | null): string =>
      idx === null ? '—' : figure(chart.spec.series[i]?.values[idx], unit);
  return {
    width,
    height: HEIGHT,
    // Axes in UTC, like the buckets, the legend and the tables.
    tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
    cursor: { drag: { x: true, y: false } },
    legend: { live: true },
    scales: {
      // Half a bucket either side, so the first and last bars show whole.
      x: { time: true, range: (_u, min, max) => [min - step / 2, max + step / 2] },
      y: { range: (_u, _min, max) => [0, Math.max(spec.unit === 'ms' ? 10 : 1, Math.ceil((max ?? 0) * 1.1))] },
      ...(right ? { r: { range: (_u, _min, max) => [0, Math.max(1, Math.ceil((max ?? 0) * 1.1))] } } : {}),
    },
    series: [
      {
        label: 'Bucket',
        value: (_u, v: number | null) => (v === null ? '—' : stamp(new Date(v * 1000).toISOString())),
      },
      ...spec.series.map((s, i): UPlot.Series =>
        s.stacked && bars
          ? {
              label: s.label,
              stroke: s.color,
              fill: s.color,
              width: 0,
              paths: bars,
              points: { show: false },
              value: own(i),
            }
          : {
              label: s.label,
              stroke: s.color,
              width: 2,
              scale: s.right ? 'r' : 'y',
              spanGaps: false,
              points: { show: true, size: 5, fill: s.color },
              value: own(i),
            },
      ),
    ],
    axes: [
      { space: step >= 3600 ? 60 : 50 },
      { scale: 'y', label: spec.unit, size: 56 },
      ...(right
        ? [{ scale: 'r', side: 1 as const, label: spec.rightUnit ?? '', grid: { show: false }, size: 56 }]
        : []),
    ],
  };
}

/** The chart's numbers as a table: one row per bucket with anything in it. */
function numbers(box: HTMLElement, spec: ChartSpec): void {
  const details = box.querySelector('details.chart-data');
  if (!details) return;
  const rows = spec.answer.buckets.flatMap((start, i) => {
    const values = spec.series.map((s) => s.values[i] ?? null);
    if (values.every((v) => v === null || v === 0)) return [];
    return [
      el('tr', { 'data-bucket': start }, [
        el('td', {}, [stamp(start)]),
        ...values.map((v) => el('td', { class: 'num' }, [v === null ? '—' : String(v)])),
      ]),
    ];
  });
  details.replaceChildren(
    el('summary', {}, [`Numbers (${rows.length} of ${spec.answer.buckets.length} buckets have any)`]),
    rows.length
      ? el('table', {}, [
          el('thead', {}, [
            el('tr', {}, [
              el('th', {}, ['Bucket (UTC)']),
              ...spec.series.map((s) => el('th', { class: 'num' }, [s.label])),
            ]),
          ]),
          el('tbody', {}, rows),
        ])
      : el('p', { class: 'muted' }, ['Nothing in this window.']),
  );
}

function broken(id: string, error: unknown): void {
  const box = byId(id);
  box.querySelector('.chart-error')?.remove();
  box.appendChild(
    el('p', { class: 'error chart-error' }, [
      `Could not load: ${error instanceof Error ? error.message : String(error)}`,
    ]),
  );
}

/** Keeps a select's options in step with the data, and the operator's choice while it still exists. */
function choices(select: HTMLSelectElement, offered: readonly [string, string][]): string {
  const kept = select.value;
  const want = JSON.stringify(offered);
  if (select.getAttribute('data-choices') !== want) {
    select.replaceChildren(...offered.map(([value, label]) => el('option', { value }, [label])));
    select.setAttribute('data-choices', want);
  }
  select.value = offered.some(([value]) => value === kept) ? kept : (offered[0]?.[0] ?? '');
  return select.value;
}

// The last answers, so that choosing another bank or queue redraws without asking again.
let runs: SyncRunSeries | null = null;
let queues: QueueSeries | null = null;

function drawRuns(): void {
  if (!runs) return;
  const answer = runs;
  const length = answer.buckets.length;
  const bank = choices(byId<HTMLSelectElement>('chart-bank'), [
    ['*', 'All banks'],
    ...answer.providers.map((p): [string, string] => [p.providerId, p.name]),
  ]);
  const chosen = bank === '*' ? answer.providers : answer.providers.filter((p) => p.providerId === bank);
  const total = (pick: (p: SyncRunSeries['providers'][number]) => number[]) =>
    sum(chosen.map(pick), length).map((v) => v ?? 0);
  draw({
    id: 'chart-sync-runs',
    unit: 'runs',
    answer,
    series: [
      { label: 'Succeeded', color: COLORS.ok, values: total((p) => p.succeeded), stacked: true },
      { label: 'Failed', color: COLORS.bad, values: total((p) => p.failed), stacked: true },
      { label: 'Deferred', color: COLORS.warn, values: total((p) => p.deferred), stacked: true },
      { label: 'In flight', color: COLORS.info, values: total((p) => p.inFlight), stacked: true },
    ],
  });
  draw({
    id: 'chart-bank-pressure',
    unit: 'runs',
    rightUnit: 'calls',
    answer,
    series: [
      { label: 'Bank 429s', color: COLORS.bad, values: total((p) => p.bankRateLimited), stacked: true },
      { label: 'Budget spent', color: COLORS.warn, values: total((p) => p.budgetExhausted), stacked: true },
      { label: 'Unattended calls', color: COLORS.info, values: total((p) => p.unattendedCalls), right: true },
    ],
  });
}

function drawWebhooks(answer: WebhookSeries): void {
  draw({
    id: 'chart-deliveries',
    unit: 'deliveries',
    answer,
    series: [
      { label: 'Delivered', color: COLORS.ok, values: answer.delivered, stacked: true },
      { label: 'Given up', color: COLORS.bad, values: answer.failed, stacked: true },
      { label: 'Failed attempts', color: COLORS.warn, values: answer.failedAttempts },
    ],
  });
  draw({
    id: 'chart-latency',
    unit: 'ms',
    answer,
    series: [
      { label: 'p50', color: COLORS.info, values: answer.latencyP50Ms },
      { label: 'p99', color: COLORS.violet, values: answer.latencyP99Ms },
    ],
  });
}

function drawApi(answer: ApiTrafficSeries): void {
  draw({
    id: 'chart-api',
    unit: 'per minute',
    answer,
    series: [
      { label: 'Requests', color: COLORS.info, values: answer.requests },
      { label: '4xx', color: COLORS.warn, values: answer.clientErrors },
      { label: '5xx', color: COLORS.bad, values: answer.serverErrors },
    ],
  });
}

function drawQueues(): void {
  if (!queues) return;
  const answer = queues;
  const choice = choices(byId<HTMLSelectElement>('chart-queue'), [
    ['*', 'All queues'],
    ...answer.queues.map((qv): [string, string] => [qv.name, qv.name]),
  ]);
  const chosen = choice === '*' ? answer.queues : answer.queues.filter((qv) => qv.name === choice);
  const total = (state: keyof QueueDepthSeries['current']) =>
    sum(
      chosen.map((qv) => qv[state]),
      answer.buckets.length,
    );
  draw({
    id: 'chart-queues',
    unit: 'jobs',
    answer,
    series: [
      { label: 'Waiting', color: COLORS.info, values: total('waiting') },
      { label: 'Active', color: COLORS.ok, values: total('active') },
      { label: 'Delayed', color: COLORS.warn, values: total('delayed') },
      { label: 'Failed', color: COLORS.bad, values: total('failed') },
    ],
  });
}

async function guarded<T>(ids: string[], load: Promise<T>, render: (answer: T) => void): Promise<void> {
  try {
    render(await load);
  } catch (error) {
    if (!(error instanceof Unauthorised)) for (const id of ids) broken(id, error);
    throw error;
  }
}

/** Loads every series for the chosen windows and draws the charts; rejects if any failed (after showing it). */
export async function loadCharts(): Promise<void> {
  const history = q(byId<HTMLSelectElement>('chart-window').value);
  const recent = q(byId<HTMLSelectElement>('chart-minutes').value);
  const results = await Promise.allSettled([
    guarded(
      ['chart-sync-runs', 'chart-bank-pressure'],
      api<SyncRunSeries>('GET', `/admin/timeseries/sync-runs?window=${history}`),
      (answer) => {
        runs = answer;
        drawRuns();
      },
    ),
    guarded(
      ['chart-deliveries', 'chart-latency'],
      api<WebhookSeries>('GET', `/admin/timeseries/webhooks?window=${history}`),
      drawWebhooks,
    ),
    guarded(['chart-api'], api<ApiTrafficSeries>('GET', `/admin/timeseries/api-requests?window=${recent}`), drawApi),
    guarded(['chart-queues'], api<QueueSeries>('GET', `/admin/timeseries/queues?window=${recent}`), (answer) => {
      queues = answer;
      drawQueues();
    }),
  ]);
  const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failure) throw failure.reason;
}

/** The chart controls: windows reload, a bank or queue choice redraws from the last answers. */
export function wireCharts(reload: () => void): void {
  byId('chart-window').addEventListener('change', reload);
  byId('chart-minutes').addEventListener('change', reload);
  byId('chart-bank').addEventListener('change', drawRuns);
  byId('chart-queue').addEventListener('change', drawQueues);
}

/** Signing out: no chart (nor its data) stays on the page. */
export function clearCharts(): void {
  for (const [id, { plot }] of plots) {
    plot.destroy();
    byId(id).querySelector('details.chart-data')?.replaceChildren();
  }
  plots.clear();
  resizing.disconnect();
  runs = null;
  queues = null;
}
