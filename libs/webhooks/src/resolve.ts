import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import { stripBrackets, type TargetPolicy, type WebhookTarget } from './target-policy.js';

/** The target resolves to an address the policy refuses: nothing was sent. */
export class TargetRefusedError extends Error {
  readonly code = 'ETARGETREFUSED';
  constructor(
    readonly host: string,
    readonly reason: string,
    /** `scheme`: plain http to a target the allow-list does not name; `address`: a refused address. */
    readonly kind: 'address' | 'scheme' = 'address',
  ) {
    super(`refused to connect to ${host}: ${reason}`);
    this.name = 'TargetRefusedError';
  }
}

export type Resolver = (
  hostname: string,
  callback: (error: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void,
) => void;
const systemResolver: Resolver = (hostname, callback) => dnsLookup(hostname, { all: true, verbatim: true }, callback);

const LOOPBACK: LookupAddress[] = [
  { address: '127.0.0.1', family: 4 },
  { address: '::1', family: 6 },
];

/**
 * The addresses `hostname` stands for: an IP literal is itself, `localhost` and `*.localhost` are the
 * loopback addresses (RFC 6761, whatever DNS says), anything else is asked of the resolver.
 */
export function lookupHost(hostname: string, resolver: Resolver = systemResolver): Promise<LookupAddress[]> {
  const host = stripBrackets(hostname);
  const family = isIP(host);
  if (family !== 0) return Promise.resolve([{ address: host, family }]);
  const name = host.toLowerCase().replace(/\.$/, '');
  if (name === 'localhost' || name.endsWith('.localhost')) return Promise.resolve(LOOPBACK);
  return new Promise((resolve, reject) =>
    resolver(host, (error, addresses) => (error ? reject(error) : resolve(addresses))),
  );
}

/**
 * Resolves the target's host and checks every address, on the target's port and scheme: one refused
 * address refuses the host (a name that also points inside the network is not a public target).
 * The allow-list's own host entries are resolved at the same time.
 */
export async function resolveTarget(
  policy: TargetPolicy,
  target: WebhookTarget,
  resolver: Resolver = systemResolver,
): Promise<LookupAddress[]> {
  const host = stripBrackets(target.host);
  const [addresses, allowList] = await Promise.all([
    lookupHost(host, resolver),
    policy.currentAllowList((name) => lookupHost(name, resolver)),
  ]);
  if (addresses.length === 0) throw new TargetRefusedError(host, 'it resolves to no address');
  for (const { address } of addresses) {
    const verdict = policy.checkAddress(address, target, allowList);
    if (!verdict.ok) throw new TargetRefusedError(host, verdict.reason, verdict.kind);
  }
  return addresses;
}

/**
 * A `lookup` for net/tls.connect (undici's `connect.lookup`) to the target's port over its scheme:
 * the socket connects only to addresses this function checked, so DNS cannot change between the
 * check and the connection (no rebinding). (IP literals are not looked up: they are checked before
 * every attempt.)
 */
export function guardedLookup(
  policy: TargetPolicy,
  target: Pick<WebhookTarget, 'protocol' | 'port'>,
  resolver: Resolver = systemResolver,
): LookupFunction {
  return (hostname, options, callback) => {
    resolveTarget(policy, { ...target, host: hostname }, resolver).then(
      (all) => {
        const wanted =
          options.family === 4 || options.family === 6 ? all.filter((a) => a.family === options.family) : all;
        if (wanted.length === 0) {
          const error: NodeJS.ErrnoException = new Error(`getaddrinfo ENOTFOUND ${hostname}`);
          error.code = 'ENOTFOUND';
          return callback(error, '', 0);
        }
        if (options.all) (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, wanted);
        else callback(null, wanted[0].address, wanted[0].family);
      },
      (error: NodeJS.ErrnoException) => callback(error, '', 0),
    );
  };
}
