import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AppError } from '@ais/domain';
import { DASHBOARD_STYLE } from './dashboard.style.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

/**
 * Where the compiled browser modules are: next to this file when it runs from dist/ (the swc build
 * compiles browser/*.ts with everything else), else, when it runs from its TypeScript source (Jest's
 * in-process tests), in dist/'s copy of this folder, which `npm test` builds before any test.
 */
export const BROWSER_DIRS = [
  path.join(here, 'browser'),
  path.resolve(here, '../../../../../dist/apps/gateway/src/admin/dashboard/browser'),
];

const JS = 'text/javascript; charset=utf-8';
const CSS = 'text/css; charset=utf-8';

export interface DashboardAsset {
  contentType: string;
  load(): string;
}

/** A compiled browser module, without the source-map comment (the maps are not served). */
const browserModule = (name: string): DashboardAsset => ({
  contentType: JS,
  load() {
    const file = BROWSER_DIRS.map((dir) => path.join(dir, name)).find((f) => existsSync(f));
    if (!file) throw new AppError('internal_error', `The dashboard's ${name} is not built: run npm run build.`);
    return readFileSync(file, 'utf8').replace(/\n\/\/# sourceMappingURL=\S+\s*$/, '\n');
  },
});

/** A file of an installed package (the chart library), as the package ships it. */
const packageFile = (specifier: string, contentType: string): DashboardAsset => ({
  contentType,
  load: () => readFileSync(require.resolve(specifier), 'utf8'),
});

/**
 * Everything the dashboard page loads, by its name under /admin/assets/: the page's own modules
 * (browser/*.ts, compiled), its stylesheet, and uPlot (the chart library, MIT, from node_modules; its
 * IIFE build defines the global `uPlot` that browser/charts.ts draws with). Nothing else is served.
 */
export const DASHBOARD_ASSETS: Record<string, DashboardAsset> = {
  'dashboard.js': browserModule('dashboard.js'),
  'api.js': browserModule('api.js'),
  'charts.js': browserModule('charts.js'),
  'dom.js': browserModule('dom.js'),
  'dashboard.css': { contentType: CSS, load: () => DASHBOARD_STYLE },
  'uplot.js': packageFile('uplot/dist/uPlot.iife.min.js', JS),
  'uplot.css': packageFile('uplot/dist/uPlot.min.css', CSS),
};

const loaded = new Map<string, string>();

/** The asset's content, read once per process. */
export function dashboardAsset(name: keyof typeof DASHBOARD_ASSETS): { contentType: string; body: string } {
  const asset = DASHBOARD_ASSETS[name];
  if (!asset) throw AppError.notFound('Asset');
  let body = loaded.get(name);
  if (body === undefined) {
    body = asset.load();
    loaded.set(name, body);
  }
  return { contentType: asset.contentType, body };
}
