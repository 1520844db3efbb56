import { BlockList, isIP } from 'node:net';
import { parseAllowedTargets, type AllowedTarget } from '@ais/config';
import { AllowList, type ResolvedEntry } from './allow-list.js';

/**
 * Where webhooks may go (SSRF protection). Public unicast addresses only, over https; loopback,
 * private, link-local, CGNAT, cloud metadata, multicast, reserved and documentation ranges (and their
 * IPv6 equivalents, including IPv4 embedded in IPv6) are refused, unless WEBHOOK_ALLOWED_PRIVATE_TARGETS
 * allows the address on the port connected to (`127.0.0.1:3900`, `10.0.0.0/8:8080`, `fd00::/8`, …).
 * Plain http is accepted only for allowed address/port pairs.
 *
 * Everything is decided on the address a connection goes to and its port, never on how the URL spells
 * the host: the URL parser (WHATWG) already reads `2130706433`, `127.1` and `0x7f.0.0.1` as 127.0.0.1,
 * an IPv4-mapped IPv6 address matches its IPv4 address, names are resolved first, and a URL without
 * a port connects to its scheme's (443 or 80). So an alias of an allowed target is allowed and an alias
 * of a refused one is refused.
 *
 * The gateway checks a URL when an endpoint is created or changed; the dispatcher checks the
 * addresses the host resolves to on every attempt and connects only to an address it checked.
 */

/** Cloud metadata services: refused even inside an allowed CIDR unless the address itself is listed. */
const METADATA = ['169.254.169.254', '169.254.170.2', 'fd00:ec2::254', '100.100.100.200', '192.0.0.192'];

const REFUSED_V4: [string, number, string][] = [
  ['0.0.0.0', 8, 'unspecified ("this network")'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'carrier-grade NAT'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local'],
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'IETF protocol assignments'],
  ['192.0.2.0', 24, 'documentation'],
  ['192.88.99.0', 24, '6to4 relay'],
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'benchmarking'],
  ['198.51.100.0', 24, 'documentation'],
  ['203.0.113.0', 24, 'documentation'],
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved'],
];

/** IPv6 outside 2000::/3 is not global unicast; inside it, these are not reachable destinations either. */
const REFUSED_V6_IN_GLOBAL: [string, number, string][] = [
  ['2001::', 23, 'IETF protocol assignments (incl. Teredo)'],
  ['2001:db8::', 32, 'documentation'],
  ['2002::', 16, '6to4 (embeds an IPv4 address)'],
  ['3fff::', 20, 'documentation'],
];
const NAMED_V6: [string, number, string][] = [
  ['::', 128, 'unspecified'],
  ['::1', 128, 'loopback'],
  ['64:ff9b::', 96, 'NAT64 (embeds an IPv4 address)'],
  ['64:ff9b:1::', 48, 'NAT64 local use'],
  ['100::', 64, 'discard-only'],
  ['fc00::', 7, 'unique local (private)'],
  ['fe80::', 10, 'link-local'],
  ['fec0::', 10, 'site-local'],
  ['ff00::', 8, 'multicast'],
];

function blockListOf(entries: [string, number, string][], family: 'ipv4' | 'ipv6'): [BlockList, string][] {
  return entries.map(([net, prefix, label]) => {
    const list = new BlockList();
    list.addSubnet(net, prefix, family);
    return [list, label];
  });
}
const refusedV4 = blockListOf(REFUSED_V4, 'ipv4');
const namedV6 = blockListOf(NAMED_V6, 'ipv6');
const refusedV6InGlobal = blockListOf(REFUSED_V6_IN_GLOBAL, 'ipv6');
const globalUnicastV6 = new BlockList();
globalUnicastV6.addSubnet('2000::', 3, 'ipv6');

/** Expands an IPv6 address into its 8 groups (numbers); null for anything else. */
function ipv6Groups(address: string): number[] | null {
  if (isIP(address) !== 6) return null;
  let text = address.toLowerCase().split('%')[0];
  const v4Tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4Tail) {
    const [a, b, c, d] = v4Tail[1].split('.').map(Number);
    text = text.slice(0, -v4Tail[1].length) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail ? tail.split(':') : [];
  const fill = tail === undefined ? [] : new Array(8 - headGroups.length - tailGroups.length).fill('0');
  return [...headGroups, ...fill, ...tailGroups].map((g) => parseInt(g, 16));
}

/** The IPv4 address carried by an IPv4-mapped (::ffff:a.b.c.d) or IPv4-compatible (::a.b.c.d) address. */
function embeddedIPv4(address: string): string | null {
  const g = ipv6Groups(address);
  if (!g || g.slice(0, 5).some((x) => x !== 0) || (g[5] !== 0xffff && g[5] !== 0)) return null;
  if (g[5] === 0 && g[6] === 0) return null; // ::, ::1 and friends are not IPv4-compatible addresses
  return [g[6] >> 8, g[6] & 255, g[7] >> 8, g[7] & 255].join('.');
}

/** One spelling per address (IPv6 groups expanded), for set membership. */
function canonical(address: string): string {
  const groups = ipv6Groups(address);
  return groups ? groups.map((g) => g.toString(16)).join(':') : address;
}
const METADATA_ADDRESSES = new Set(METADATA.map(canonical));

/** Why an address is not a public destination, or null when it is one. */
export function refusedRange(input: string): string | null {
  const address = input.split('%')[0]; // an IPv6 zone id names an interface, not a destination
  const family = isIP(address);
  if (family === 4) {
    if (METADATA_ADDRESSES.has(address)) return 'cloud metadata';
    for (const [list, label] of refusedV4) if (list.check(address, 'ipv4')) return label;
    return null;
  }
  if (family === 6) {
    const v4 = embeddedIPv4(address);
    if (v4 !== null) return refusedRange(v4);
    if (METADATA_ADDRESSES.has(canonical(address))) return 'cloud metadata';
    for (const [list, label] of namedV6) if (list.check(address, 'ipv6')) return label;
    if (!globalUnicastV6.check(address, 'ipv6')) return 'not global unicast';
    for (const [list, label] of refusedV6InGlobal) if (list.check(address, 'ipv6')) return label;
    return null;
  }
  return 'not an IP address';
}

export function stripBrackets(hostname: string): string {
  return hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
}

/** Where a URL connects: its scheme, its host (without IPv6 brackets) and its port (the scheme's default when it has none). */
export interface WebhookTarget {
  protocol: 'http:' | 'https:';
  host: string;
  port: number;
}

export function targetOf(url: URL): WebhookTarget {
  const protocol = url.protocol === 'http:' ? 'http:' : 'https:';
  const port = url.port ? Number(url.port) : protocol === 'https:' ? 443 : 80;
  return { protocol, host: stripBrackets(url.hostname), port };
}

/** `address:port`, with brackets for IPv6. */
export const addressWithPort = (address: string, port: number) =>
  isIP(address) === 6 ? `[${address}]:${port}` : `${address}:${port}`;

/**
 * `scheme`: plain http to a target the allow-list does not name. `address`: the address is not a
 * public destination and the allow-list does not name it on this port.
 */
export type Verdict = { ok: true } | { ok: false; reason: string; kind: 'address' | 'scheme' };

export class TargetPolicy {
  private readonly allowList: AllowList;
  /** The allow-list's host:port entries: resolved whenever a target is checked, so they follow DNS. */
  readonly names: readonly { host: string; port: number; entry: string }[];

  /** `allowed`: WEBHOOK_ALLOWED_PRIVATE_TARGETS, as the config parsed it. */
  constructor(allowed: readonly AllowedTarget[] = []) {
    this.allowList = AllowList.of(allowed);
    this.names = allowed.flatMap((t) => (t.kind === 'host' ? [{ host: t.host, port: t.port, entry: t.entry }] : []));
  }

  /** From the variable's entries as written; throws on a bad entry, naming the variable. */
  static fromEntries(entries: readonly string[]): TargetPolicy {
    const { targets, errors } = parseAllowedTargets(entries);
    if (errors.length > 0) throw new Error(`WEBHOOK_ALLOWED_PRIVATE_TARGETS: ${errors.join('; ')}`);
    return new TargetPolicy(targets);
  }

  /** The allow-list as of now: with the addresses its host entries resolve to (`lookup` never rejects for them). */
  async currentAllowList(lookup: (host: string) => Promise<{ address: string; family: number }[]>): Promise<AllowList> {
    if (this.names.length === 0) return this.allowList;
    const resolved = await Promise.all(
      this.names.map(async ({ host, port, entry }): Promise<ResolvedEntry[]> => {
        // A name that does not resolve allows nothing (for now); it is looked up again on the next check.
        const addresses = await lookup(host).catch(() => []);
        return addresses.map(({ address, family }) => ({ address, family, port, entry }));
      }),
    );
    return this.allowList.withResolved(resolved.flat());
  }

  /**
   * May a request go to `address` on `target.port` over `target.protocol`? `allowList`: this policy's,
   * with its host entries resolved (currentAllowList); without it, host entries allow nothing.
   */
  checkAddress(
    input: string,
    target: Pick<WebhookTarget, 'protocol' | 'port'>,
    allowList: AllowList = this.allowList,
  ): Verdict {
    const address = input.split('%')[0]; // an IPv6 zone id names an interface, not a destination
    const refused = refusedRange(address);
    if (refused === 'not an IP address')
      return { ok: false, kind: 'address', reason: `${address} is not an IP address` };
    const exactOnly = refused === 'cloud metadata'; // a range never opens a metadata service
    const allowed = allowList.find(address, target.port, exactOnly) !== null;
    if (refused !== null && !allowed) {
      const otherPorts = allowList.coversAddress(address, exactOnly)
        ? `, and port ${target.port} is not allowed for it`
        : '';
      return { ok: false, kind: 'address', reason: `${address} is a ${refused} address${otherPorts}` };
    }
    if (target.protocol === 'http:' && !allowed)
      return {
        ok: false,
        kind: 'scheme',
        reason: `plain http is only allowed for targets in WEBHOOK_ALLOWED_PRIVATE_TARGETS, and ${addressWithPort(address, target.port)} is not one`,
      };
    return { ok: true };
  }

  /**
   * What can be said of an endpoint URL without DNS: absolute http(s), no credentials or fragment, a
   * host. Whether its addresses and port may be reached (and so whether http is acceptable) is for
   * resolveTarget.
   */
  parseUrl(raw: string): { ok: true; url: URL; target: WebhookTarget } | { ok: false; reason: string } {
    if (raw.length > 2048) return { ok: false, reason: 'must be at most 2048 characters' };
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      return { ok: false, reason: 'must be an absolute URL' };
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') return { ok: false, reason: 'must use https' };
    if (url.username || url.password) return { ok: false, reason: 'must not contain credentials' };
    if (url.hash) return { ok: false, reason: 'must not contain a fragment' };
    if (!stripBrackets(url.hostname).replace(/\.$/, '')) return { ok: false, reason: 'must have a host' };
    return { ok: true, url, target: targetOf(url) };
  }
}
