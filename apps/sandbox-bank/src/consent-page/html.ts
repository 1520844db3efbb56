import { escapeHtml } from '../core/http.js';
import type { BankProfile } from '../data/banks.js';

const BRAND: Record<string, string> = { allstar: '#1d3f8f', alsalam: '#0b6e4f', saltbank: '#8a2432' };

/** A plain, accessible page shell: no scripts, real forms, stable field names. */
export function page(profile: BankProfile | null, title: string, body: string): string {
  const color = profile ? BRAND[profile.id] : '#333';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}${profile ? ` · ${escapeHtml(profile.name)} (sandbox)` : ''}</title>
<style>
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;background:#f4f5f7;color:#1c1c1c}
header{background:${color};color:#fff;padding:14px 24px;font-weight:600;letter-spacing:.02em}
header small{font-weight:400;opacity:.8;margin-left:8px}
main{max-width:780px;margin:24px auto;background:#fff;border-radius:8px;padding:24px 28px;box-shadow:0 1px 3px rgba(0,0,0,.1)}
h1{font-size:1.3rem;margin-top:0}
label{display:block;margin:12px 0 4px;font-weight:600}
input[type=text],input[type=password]{width:100%;box-sizing:border-box;padding:8px;border:1px solid #aaa;border-radius:4px;font-size:1rem}
button{margin-top:16px;margin-right:8px;padding:9px 18px;border-radius:4px;border:0;font-size:1rem;cursor:pointer;background:${color};color:#fff}
button.secondary{background:#e3e3e3;color:#222}
.error{background:#fde8e8;color:#8a1111;padding:10px;border-radius:4px;margin-bottom:12px}
.muted{color:#666;font-size:.9rem}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #eee;padding:6px;text-align:left;font-size:.92rem}
code{background:#f1f1f1;padding:1px 4px;border-radius:3px}
ul.accounts{list-style:none;padding:0}ul.accounts li{padding:8px 0;border-bottom:1px solid #eee}
</style></head>
<body><header>${profile ? escapeHtml(profile.name) : 'AIS Gateway sandbox banks'}<small>sandbox</small></header>
<main>${body}</main></body></html>`;
}

export function errorBox(message: string | undefined): string {
  return message ? `<div class="error" role="alert">${escapeHtml(message)}</div>` : '';
}
