import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import { stripBrackets, type TargetPolicy } from './target-policy.js';

/** The target resolves to an address the policy refuses: nothing was sent. */
export class TargetRefusedError extends Error {
  readonly code = 'ETARGETREFUSED';
  constructor(
    readonly host: string,
    reason: string,
  ) {
    super(`refused to connect to ${host}: ${reason}`);
    this.name = 'TargetRefusedError';
  }
}

type Resolver = (
  hostname: string,
  callback: (error: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void,
) => void;
const systemResolver: Resolver = (hostname, callback) => dnsLookup(hostname, { all: true, verbatim: true }, callback);

/**
 * Resolves `hostname` and checks every address: one refused address refuses the host (a name that
 * also points inside the network is not a public target). IP literals are checked without DNS.
 */
export function resolveTarget(
  policy: TargetPolicy,
  hostname: string,
  resolver: Resolver = systemResolver,
): Promise<LookupAddress[]> {
  const host = stripBrackets(hostname);
  return new Promise((resolve, reject) => {
    const check = (addresses: LookupAddress[]) => {
      if (addresses.length === 0) return reject(new TargetRefusedError(host, 'it resolves to no address'));
      for (const { address } of addresses) {
        const verdict = policy.checkAddress(host, address);
        if (!verdict.ok) return reject(new TargetRefusedError(host, verdict.reason));
      }
      resolve(addresses);
    };
    const family = isIP(host);
    if (family !== 0) return check([{ address: host, family }]);
    resolver(host, (error, addresses) => (error ? reject(error) : check(addresses)));
  });
}

/**
 * A `lookup` for net/tls.connect (undici's `connect.lookup`): the socket connects only to addresses
 * this function checked, so DNS cannot change between the check and the connection (no rebinding).
 */
export function guardedLookup(policy: TargetPolicy, resolver: Resolver = systemResolver): LookupFunction {
  return (hostname, options, callback) => {
    resolveTarget(policy, hostname, resolver).then(
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
