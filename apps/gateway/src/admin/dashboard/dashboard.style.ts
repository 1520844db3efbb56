/** The dashboard's stylesheet (served from this origin: the CSP allows no inline style); uPlot's own comes before it. */
export const DASHBOARD_STYLE = `
:root { --bg: #f5f6f8; --panel: #fff; --ink: #1d2330; --muted: #667085; --line: #e3e6eb; --ok: #137a3a; --warn: #a15c00; --bad: #b42318; --accent: #2457c5; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: var(--bg); }
.bar { display: flex; align-items: center; justify-content: space-between; gap: 1rem; padding: .75rem 1.25rem; background: #111827; color: #fff; position: sticky; top: 0; z-index: 1; }
.bar h1 { font-size: 1.05rem; margin: 0; } .bar h1 span { font-weight: 400; opacity: .75; }
.controls { display: flex; align-items: center; gap: .75rem; flex-wrap: wrap; } .controls .muted { color: #cbd5e1; }
main { padding: 1rem 1.25rem 3rem; max-width: 1500px; margin: 0 auto; }
button { font: inherit; border: 1px solid var(--line); background: #fff; color: var(--ink); border-radius: 6px; padding: .3rem .7rem; cursor: pointer; }
button:hover { border-color: var(--accent); } button:disabled { opacity: .5; cursor: progress; }
button.danger { color: var(--bad); } button.primary { background: var(--accent); border-color: var(--accent); color: #fff; }
.login { max-width: 34rem; margin: 3rem auto; background: var(--panel); border: 1px solid var(--line); border-radius: 10px; padding: 1.5rem; }
.login input { display: block; width: 100%; margin: .4rem 0 1rem; padding: .5rem; font: inherit; border: 1px solid var(--line); border-radius: 6px; }
.panel { background: var(--panel); border: 1px solid var(--line); border-radius: 10px; padding: 1rem 1.25rem; margin: 0 0 1rem; overflow-x: auto; }
.panel h2 { font-size: 1rem; margin: 0 0 .5rem; } .note, .muted { color: var(--muted); } .note { margin: 0 0 .75rem; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(13.5rem, 1fr)); gap: .75rem; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: .6rem .8rem; }
.card h3 { margin: 0 0 .3rem; font-size: .8rem; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); }
.card .big { font-size: 1.5rem; font-weight: 600; } .card ul { list-style: none; margin: .2rem 0 0; padding: 0; }
table { border-collapse: collapse; width: 100%; } th, td { text-align: left; padding: .35rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-size: .78rem; text-transform: uppercase; letter-spacing: .03em; color: var(--muted); font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; } td code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: .85em; }
.badge { display: inline-block; padding: .05rem .45rem; border-radius: 999px; font-size: .78rem; font-weight: 600; border: 1px solid currentColor; }
.healthy, .ok { color: var(--ok); } .degraded, .warn { color: var(--warn); } .down, .bad, .error { color: var(--bad); } .inactive { color: var(--muted); }
.message { border-radius: 8px; padding: .6rem .9rem; margin-bottom: 1rem; background: #eef4ff; border: 1px solid #c7d7fe; }
.message.error { background: #fef3f2; border-color: #fecdca; }
details > summary { cursor: pointer; color: var(--muted); margin: .6rem 0 .3rem; }
.reasons { margin: 0; padding-left: 1rem; } .detail { max-width: 32rem; overflow-wrap: anywhere; }
.chart-controls { display: flex; flex-wrap: wrap; gap: .5rem 1.25rem; margin: 0 0 .75rem; }
.chart-controls select { font: inherit; margin-left: .35rem; padding: .2rem .3rem; border: 1px solid var(--line); border-radius: 6px; background: #fff; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(28rem, 1fr)); gap: 1rem; }
.chart { margin: 0; border: 1px solid var(--line); border-radius: 8px; padding: .6rem .8rem; min-width: 0; }
.chart figcaption { font-weight: 600; margin-bottom: .3rem; } .chart figcaption .muted { font-weight: 400; font-size: .85em; }
.chart .plot { min-height: 220px; } .chart .u-legend { font-size: .8rem; }
.chart-data table { font-size: .8rem; } .chart-data summary { font-size: .8rem; }
`;
