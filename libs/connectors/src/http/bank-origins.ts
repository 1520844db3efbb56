import type { ProviderEndpoints } from '../provider.js';

/**
 * Which hosts are the bank, and where to fetch a page the bank links to.
 *
 * A bank names itself in what it sends (discovery, issuer, token endpoints, paging links) by the
 * host it advertises; the gateway may be configured to reach the same bank by another name
 * (`npm start`: the browser gets http://localhost:3100, the connectors http://127.0.0.1:3100), and
 * a bank serves the same API on a plain and a mutual-TLS host. A next-page link is the bank's when
 * its origin is one the bank is configured with or advertises; it is then fetched on the API base
 * the connector actually uses (so a certificate-bound token travels over mTLS); any other host is
 * refused, the access token never goes there.
 */

function origin(url: string): string | undefined {
  try {
    const u = new URL(url);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.origin : undefined;
  } catch {
    return undefined;
  }
}

/** The origins of every absolute http(s) URL given (anything else is ignored). */
export function originsOf(urls: Iterable<unknown>): Set<string> {
  const out = new Set<string>();
  for (const u of urls) {
    const o = typeof u === 'string' ? origin(u) : undefined;
    if (o) out.add(o);
  }
  return out;
}

/** The origins a provider is configured with (base URLs, resource bases, OAuth endpoints, portal). */
export function configuredOrigins(endpoints: ProviderEndpoints): Set<string> {
  return originsOf(Object.values(endpoints));
}

/**
 * The origins a bank advertises in its authorisation-server metadata: the issuer, every endpoint,
 * the mTLS aliases (RFC 8705 §5) and any other URL-valued member (e.g. resource base URLs).
 */
export function advertisedOrigins(metadata: object): Set<string> {
  const values: unknown[] = [];
  for (const v of Object.values(metadata)) {
    if (typeof v === 'string') values.push(v);
    else if (v && typeof v === 'object' && !Array.isArray(v)) values.push(...Object.values(v));
  }
  return originsOf(values);
}

function trimSlash(path: string): string {
  return path.endsWith('/') ? path.slice(0, -1) : path;
}

export interface NextLinkContext {
  /** The page the link came from (a relative link resolves against it). */
  current: string;
  /** Origins that are the bank's (configured and advertised). */
  origins: ReadonlySet<string>;
  /** The bank's API bases, plain and mTLS (e.g. …/open-banking/v3.1/aisp). */
  bases: readonly (string | undefined)[];
  /** The API base the connector calls (the mTLS one when the token is certificate-bound). */
  use: string;
}

/**
 * The URL to fetch for a bank's next-page link, or undefined when the link points at a host that
 * is not the bank's. A link under one of the bank's API bases is re-rooted on `use` (same path below
 * the base, same query); any other link of the bank's is fetched on `use`'s origin.
 */
export function nextPageUrl(link: string, ctx: NextLinkContext): string | undefined {
  let target: URL;
  try {
    target = new URL(link, ctx.current);
  } catch {
    return undefined;
  }
  if ((target.protocol !== 'http:' && target.protocol !== 'https:') || target.username || target.password)
    return undefined;
  if (!ctx.origins.has(target.origin)) return undefined;
  const paths = ctx.bases
    .filter((b): b is string => typeof b === 'string' && origin(b) !== undefined)
    .map((b) => trimSlash(new URL(b).pathname))
    .sort((a, b) => b.length - a.length);
  const use = trimSlash(ctx.use);
  for (const p of paths) {
    if (target.pathname === p || target.pathname.startsWith(`${p}/`))
      return `${use}${target.pathname.slice(p.length)}${target.search}`;
  }
  return `${new URL(use).origin}${target.pathname}${target.search}`;
}

/** Whether two absolute URLs share scheme, host and port (false when either is not a URL). */
export function sameOrigin(a: string, b: string): boolean {
  const oa = origin(a);
  return oa !== undefined && oa === origin(b);
}
