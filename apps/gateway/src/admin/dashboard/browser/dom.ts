// Building the page from API data: every value becomes a text node or an attribute, never markup
// (the CSP's Trusted Types leave no HTML sink usable anyway).

export type Child = Node | string | number | null | undefined;
export type Attrs = Record<string, string | number | boolean | null | undefined>;

/** The element with that id; a missing one is a bug in the page, not a state to handle. */
export function byId<E extends HTMLElement = HTMLElement>(id: string): E {
  const node = document.getElementById(id);
  if (!node) throw new Error(`#${id} is missing from the page`);
  return node as E;
}

/** el('td', { class: 'num' }, [child, 'text', null]): strings become text nodes. */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  children: readonly Child[] = [],
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'disabled' || name === 'hidden' || name === 'open' || name === 'selected')
      node.toggleAttribute(name, Boolean(value));
    else node.setAttribute(name, String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.appendChild(typeof child === 'object' ? child : document.createTextNode(String(child)));
  }
  return node;
}

export const show = (value: string | number | boolean | null | undefined): string =>
  value === null || value === undefined || value === '' ? '—' : String(value);
export const num = (value: number | null | undefined): string =>
  typeof value === 'number' ? value.toLocaleString('en-GB') : show(value);
export const pct = (rate: number | null | undefined): string =>
  typeof rate === 'number' ? `${Math.round(rate * 100)}%` : '—';

export function age(seconds: number | null | undefined): string {
  if (typeof seconds !== 'number') return '—';
  if (seconds < 90) return `${seconds} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172800) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86400)} d`;
}

/** "2026-12-05 13:20:07 UTC (3 min ago)". */
export function when(iso: string | null | undefined): string {
  if (!iso) return '—';
  const t = new Date(iso);
  if (isNaN(t.getTime())) return show(iso);
  const ago = Math.max(0, Math.round((Date.now() - t.getTime()) / 1000));
  return `${t.toISOString().replace('T', ' ').slice(0, 19)} UTC (${age(ago)} ago)`;
}

/** Replaces the panel's body (the element with class "body" in the section). */
export function fill(id: string, content: Node | readonly Node[]): void {
  const body = byId(id).querySelector('.body');
  if (!body) throw new Error(`#${id} has no .body`);
  body.replaceChildren(...(content instanceof Node ? [content] : content));
}

export interface Column {
  label: string;
  num?: boolean;
}

export function table(columns: readonly (Column | string)[], rows: readonly Node[], empty = 'Nothing to show.'): Node {
  if (rows.length === 0) return el('p', { class: 'muted' }, [empty]);
  return el('table', {}, [
    el('thead', {}, [
      el(
        'tr',
        {},
        columns.map((c) =>
          typeof c === 'string' ? el('th', {}, [c]) : el('th', { class: c.num ? 'num' : null }, [c.label]),
        ),
      ),
    ]),
    el('tbody', {}, rows),
  ]);
}
