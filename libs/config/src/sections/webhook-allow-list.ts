import { isIP } from 'node:net';

/**
 * One entry of WEBHOOK_ALLOWED_PRIVATE_TARGETS: a target that webhooks may reach although its address
 * is not public (loopback, private, link-local, …), and to which plain http is accepted.
 *
 * | entry         | example                               | allows                                     |
 * | ------------- | ------------------------------------- | ------------------------------------------ |
 * | `ipv4:port`   | `127.0.0.1:3900`                      | that address, on that port                 |
 * | `[ipv6]:port` | `[::1]:3900`                          | that address, on that port                 |
 * | `host:port`   | `receiver.internal:8080`              | every address the name resolves to, on that port |
 * | `cidr`        | `10.0.0.0/8`, `fd00::/8`              | every address in the range, on every port  |
 * | `cidr:port`   | `127.0.0.0/8:8080`, `fd00::/8:8080`   | every address in the range, on that port   |
 *
 * A host or address without a port is refused: every port of a host is rarely meant (Redis, Postgres
 * and the gateway's own admin routes listen on the same loopback address as a demo receiver), so it
 * is written as a range on purpose: `127.0.0.1/32`. Hosts and addresses are read the way URLs read
 * them (WHATWG), so `127.1:80` and `2130706433:80` are `127.0.0.1:80`, and an IPv4-mapped IPv6
 * address (`[::ffff:127.0.0.1]:80`) is its IPv4 address. A range's address must be written plainly.
 */
export type AllowedTarget =
  | { kind: 'address'; address: string; family: 4 | 6; port: number; entry: string }
  | { kind: 'network'; address: string; prefix: number; family: 4 | 6; port: number | null; entry: string }
  | { kind: 'host'; host: string; port: number; entry: string };

export type AllowedTargetResult = { ok: true; value: AllowedTarget } | { ok: false; error: string };

const GRAMMAR = 'expected ip:port, [ipv6]:port, host:port, a CIDR (10.0.0.0/8) or a CIDR with a port (10.0.0.0/8:8080)';
const HOST_NAME = /^(?=.{1,253}$)[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)*$/;
const CIDR = /^(?:\[([^\]]+)\]|([^[\]/]+))\/(\d{1,3})(?::(\d{1,5}))?$/;
const HOST_PORT = /^(\[[^\]]*\]|[^:[\]]+):(\d{1,5})$/;

const fail = (entry: string, why: string): AllowedTargetResult => ({ ok: false, error: `"${entry}" ${why}` });

function portOf(text: string): number | null {
  const port = Number(text);
  return Number.isInteger(port) && port >= 1 && port <= 65_535 ? port : null;
}

/** `[::ffff:7f00:1]` (as the URL parser writes an IPv4-mapped address) → `127.0.0.1`; else null. */
function ipv4FromMapped(address: string): string | null {
  const m = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(address);
  if (!m) return null;
  const [hi, lo] = [parseInt(m[1], 16), parseInt(m[2], 16)];
  return [hi >> 8, hi & 255, lo >> 8, lo & 255].join('.');
}

/** Parses one entry (see AllowedTarget); the error says what is wrong and how to write it. */
export function parseAllowedTarget(raw: string): AllowedTargetResult {
  const entry = raw.trim();
  if (!entry) return fail(entry, 'is empty');

  const cidr = CIDR.exec(entry);
  if (cidr) {
    const address = (cidr[1] ?? cidr[2]).toLowerCase();
    const found = isIP(address);
    if (found === 0) return fail(entry, 'is not a CIDR: the part before "/" must be an IPv4 or IPv6 address');
    const family = found === 4 ? 4 : 6;
    const prefix = Number(cidr[3]);
    if (prefix > (family === 4 ? 32 : 128))
      return fail(entry, `is not a CIDR: an IPv${family} prefix is at most ${family === 4 ? 32 : 128}`);
    const port = cidr[4] === undefined ? null : portOf(cidr[4]);
    if (cidr[4] !== undefined && port === null) return fail(entry, 'has a port outside 1-65535');
    const entryText = port === null ? `${address}/${prefix}` : `${address}/${prefix}:${port}`;
    return { ok: true, value: { kind: 'network', address, prefix, family, port, entry: entryText } };
  }
  if (entry.includes('/')) return fail(entry, GRAMMAR);

  const hostPort = HOST_PORT.exec(entry);
  if (!hostPort) {
    const bare = entry.replace(/^\[(.*)\]$/, '$1');
    if (isIP(bare) === 6)
      return fail(entry, `has no port: write [${bare}]:<port> for one port, or ${bare}/128 for every port`);
    if (isIP(bare) === 4)
      return fail(entry, `has no port: write ${bare}:<port> for one port, or ${bare}/32 for every port`);
    if (HOST_NAME.test(entry.toLowerCase())) return fail(entry, `has no port: write ${entry}:<port>`);
    return fail(entry, GRAMMAR);
  }
  const port = portOf(hostPort[2]);
  if (port === null) return fail(entry, 'has a port outside 1-65535');
  let hostname: string;
  try {
    hostname = new URL(`http://${hostPort[1]}/`).hostname;
  } catch {
    return fail(entry, `does not name a valid host (${GRAMMAR})`);
  }
  if (hostname.startsWith('[')) {
    const v6 = hostname.slice(1, -1);
    const v4 = ipv4FromMapped(v6);
    return {
      ok: true,
      value: v4
        ? { kind: 'address', address: v4, family: 4, port, entry: `${v4}:${port}` }
        : { kind: 'address', address: v6, family: 6, port, entry: `[${v6}]:${port}` },
    };
  }
  if (isIP(hostname) === 4)
    return { ok: true, value: { kind: 'address', address: hostname, family: 4, port, entry: `${hostname}:${port}` } };
  const host = hostname.replace(/\.$/, '');
  if (!HOST_NAME.test(host)) return fail(entry, `does not name a valid host (${GRAMMAR})`);
  return { ok: true, value: { kind: 'host', host, port, entry: `${host}:${port}` } };
}

/** Parses a whole list; `errors` has one message per bad entry. */
export function parseAllowedTargets(entries: readonly string[]): { targets: AllowedTarget[]; errors: string[] } {
  const targets: AllowedTarget[] = [];
  const errors: string[] = [];
  for (const raw of entries) {
    const parsed = parseAllowedTarget(raw);
    if (parsed.ok) targets.push(parsed.value);
    else errors.push(parsed.error);
  }
  return { targets, errors };
}
