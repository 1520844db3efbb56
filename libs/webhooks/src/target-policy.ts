import { BlockList, isIP } from 'node:net';

/**
 * Where webhooks may go (SSRF protection). Public unicast addresses only, over https; loopback,
 * private, link-local, CGNAT, cloud metadata, multicast, reserved and documentation ranges (and their
 * IPv6 equivalents, including IPv4 embedded in IPv6) are refused, unless the operator lists the host or
 * a CIDR in WEBHOOK_ALLOWED_PRIVATE_TARGETS. Plain http is accepted only for listed hosts.
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

const normaliseHost = (host: string) => stripBrackets(host.trim().toLowerCase()).replace(/\.$/, '');

export type Verdict = { ok: true } | { ok: false; reason: string };

/** Parses one WEBHOOK_ALLOWED_PRIVATE_TARGETS entry; returns an error message for a bad one. */
export function allowListEntryError(entry: string): string | null {
  const slash = entry.indexOf('/');
  if (slash >= 0) {
    const address = entry.slice(0, slash);
    const prefix = Number(entry.slice(slash + 1));
    const family = isIP(address);
    if (family === 0 || !Number.isInteger(prefix) || prefix < 0 || prefix > (family === 4 ? 32 : 128))
      return `"${entry}" is not a valid CIDR`;
    return null;
  }
  if (isIP(stripBrackets(entry))) return null;
  return /^(?=.{1,253}$)([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)*\.?$/i.test(
    entry,
  )
    ? null
    : `"${entry}" is neither a host name, an IP address nor a CIDR`;
}

export class TargetPolicy {
  private readonly hosts = new Set<string>();
  private readonly addresses = new Set<string>();
  private readonly cidrs = new BlockList();

  /** `entries`: hosts, IP addresses or CIDRs (WEBHOOK_ALLOWED_PRIVATE_TARGETS). Throws on a bad entry. */
  constructor(entries: readonly string[] = []) {
    for (const raw of entries) {
      const entry = raw.trim();
      if (!entry) continue;
      const error = allowListEntryError(entry);
      if (error) throw new Error(`WEBHOOK_ALLOWED_PRIVATE_TARGETS: ${error}`);
      const slash = entry.indexOf('/');
      if (slash >= 0) {
        const address = entry.slice(0, slash);
        this.cidrs.addSubnet(address, Number(entry.slice(slash + 1)), isIP(address) === 4 ? 'ipv4' : 'ipv6');
      } else if (isIP(stripBrackets(entry))) {
        const address = stripBrackets(entry).toLowerCase();
        this.addresses.add(canonical(address));
        this.cidrs.addAddress(address, isIP(address) === 4 ? 'ipv4' : 'ipv6');
      } else {
        this.hosts.add(normaliseHost(entry));
      }
    }
  }

  /** The host is listed by name, or is an IP literal inside a listed address or CIDR. */
  isHostListed(hostname: string): boolean {
    const host = normaliseHost(hostname);
    if (this.hosts.has(host)) return true;
    const family = isIP(host);
    return family !== 0 && this.isAddressListed(host);
  }

  private isAddressListed(address: string): boolean {
    const family = isIP(address);
    if (family === 0) return false;
    if (this.cidrs.check(address, family === 4 ? 'ipv4' : 'ipv6')) return true;
    const v4 = family === 6 ? embeddedIPv4(address) : null;
    return v4 !== null && this.cidrs.check(v4, 'ipv4');
  }

  /** May `hostname` be reached at `address`? (`hostname` listed by name allows whatever it resolves to.) */
  checkAddress(hostname: string, address: string): Verdict {
    if (this.hosts.has(normaliseHost(hostname))) return { ok: true };
    const refused = refusedRange(address);
    if (refused === null) return { ok: true };
    if (refused === 'not an IP address') return { ok: false, reason: `${address} is not an IP address` };
    const listed =
      refused === 'cloud metadata' ? this.addresses.has(canonical(address)) : this.isAddressListed(address);
    return listed ? { ok: true } : { ok: false, reason: `${address} is a ${refused} address` };
  }

  /**
   * Static checks on an endpoint URL (no DNS): absolute http(s), no credentials or fragment, https
   * unless the host is listed, and an IP-literal or localhost host must be allowed.
   */
  checkUrl(raw: string): Verdict & { url?: URL } {
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
    const host = normaliseHost(url.hostname);
    if (!host) return { ok: false, reason: 'must have a host' };
    const listed = this.isHostListed(host);
    if (url.protocol === 'http:' && !listed)
      return { ok: false, reason: 'must use https (plain http only for hosts in WEBHOOK_ALLOWED_PRIVATE_TARGETS)' };
    if (isIP(host)) {
      const verdict = this.checkAddress(host, host);
      if (!verdict.ok)
        return { ok: false, reason: `must not point at a private or reserved address (${verdict.reason})` };
    } else if ((host === 'localhost' || host.endsWith('.localhost')) && !listed) {
      return { ok: false, reason: 'must not point at localhost' };
    }
    return { ok: true, url };
  }
}
