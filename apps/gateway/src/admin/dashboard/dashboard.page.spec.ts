import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DASHBOARD_CSP, DASHBOARD_HTML } from './dashboard.page.js';
import { DASHBOARD_ASSETS } from './dashboard.assets.js';
import { DASHBOARD_STYLE } from './dashboard.style.js';

const browserDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'browser');
const modules = readdirSync(browserDir).filter((f) => f.endsWith('.ts'));

describe('dashboard page', () => {
  it('ships browser modules that use no HTML sink, dynamic code or other storage', () => {
    expect(modules.sort()).toEqual(['api.ts', 'charts.ts', 'dashboard.ts', 'dom.ts', 'views.ts']);
    for (const file of modules) {
      const source = readFileSync(path.join(browserDir, file), 'utf8');
      for (const sink of [
        'innerHTML',
        'outerHTML',
        'insertAdjacentHTML',
        'document.write',
        'eval(',
        'new Function',
        "setTimeout('",
        'localStorage',
        'document.cookie',
        'createContextualFragment',
      ]) {
        expect({ file, sink, found: source.includes(sink) }).toEqual({ file, sink, found: false });
      }
    }
  });

  it('serves every module the browser code imports, and nothing it does not list', () => {
    const served = Object.keys(DASHBOARD_ASSETS);
    for (const file of modules) {
      const source = readFileSync(path.join(browserDir, file), 'utf8');
      // Runtime imports only: `import type` is erased by the build.
      for (const [, target] of source.matchAll(/^import (?!type )[^;]*? from '\.\/([a-z-]+\.js)';$/gm))
        expect({ file, imports: target, served: served.includes(target) }).toEqual({
          file,
          imports: target,
          served: true,
        });
    }
    expect(served.sort()).toEqual(
      ['api.js', 'charts.js', 'dashboard.css', 'dashboard.js', 'dom.js', 'uplot.css', 'uplot.js'].sort(),
    );
  });

  it('has no inline script, style or event handler for the CSP to allow', () => {
    expect(DASHBOARD_HTML).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(DASHBOARD_HTML).not.toMatch(/<style|\sstyle=/);
    expect(DASHBOARD_HTML).not.toMatch(/\son[a-z]+=/i);
    expect(DASHBOARD_HTML).not.toMatch(/https?:\/\//);
    expect(DASHBOARD_STYLE).not.toMatch(/url\(|@import/);
    expect(DASHBOARD_CSP).not.toMatch(/unsafe-|https?:|\*/);
  });

  it('loads the chart library before its own module, from this origin', () => {
    const scripts = [...DASHBOARD_HTML.matchAll(/<script ([^>]*)><\/script>/g)].map((m) => m[1]);
    expect(scripts).toEqual(['src="/admin/assets/uplot.js" defer', 'type="module" src="/admin/assets/dashboard.js"']);
  });
});
