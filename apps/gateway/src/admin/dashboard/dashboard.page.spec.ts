import { Script } from 'node:vm';
import { DASHBOARD_CSP, DASHBOARD_HTML } from './dashboard.page.js';
import { DASHBOARD_SCRIPT } from './dashboard.script.js';
import { DASHBOARD_STYLE } from './dashboard.style.js';

describe('dashboard page', () => {
  it('ships a script that parses and uses no HTML sink or dynamic code', () => {
    expect(() => new Script(DASHBOARD_SCRIPT)).not.toThrow();
    for (const sink of [
      'innerHTML',
      'outerHTML',
      'insertAdjacentHTML',
      'document.write',
      'eval(',
      'new Function',
      "setTimeout('",
      'localStorage.setItem',
      'document.cookie',
    ]) {
      expect({ sink, found: DASHBOARD_SCRIPT.includes(sink) }).toEqual({ sink, found: false });
    }
  });

  it('has no inline script, style or event handler for the CSP to allow', () => {
    expect(DASHBOARD_HTML).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(DASHBOARD_HTML).not.toMatch(/<style|\sstyle=/);
    expect(DASHBOARD_HTML).not.toMatch(/\son[a-z]+=/i);
    expect(DASHBOARD_HTML).not.toMatch(/https?:\/\//);
    expect(DASHBOARD_STYLE).not.toMatch(/url\(|@import/);
    expect(DASHBOARD_CSP).not.toMatch(/unsafe-|https?:|\*/);
  });
});
