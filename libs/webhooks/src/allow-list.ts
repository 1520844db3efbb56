import { BlockList, isIP } from 'node:net';
import type { AllowedTarget } from '@ais/config';

interface Rule {
  /** The addresses the entry covers (net.BlockList: also matches IPv4-mapped IPv6 spellings of them). */
  addresses: BlockList;
  /** The one port the entry allows, or null for every port (a CIDR without a port). */
  port: number | null;
  /** The entry names single addresses, not a range: only such entries open a cloud metadata address. */
  exact: boolean;
  entry: string;
}

/** An address an allow-list host entry resolved to. */
export interface ResolvedEntry {
  address: string;
  family: number;
  port: number;
  entry: string;
}

const familyOf = (address: string): 'ipv4' | 'ipv6' | null =>
  ({ 4: 'ipv4' as const, 6: 'ipv6' as const })[isIP(address)] ?? null;

/**
 * The addresses and ports WEBHOOK_ALLOWED_PRIVATE_TARGETS allows, as address matching: an entry
 * allows a connection when the address it connects to is in the entry's address or range and the
 * port is the entry's (or the entry is a CIDR without one). Host entries take part through the
 * addresses they resolve to (`withResolved`).
 */
export class AllowList {
  private constructor(private readonly rules: readonly Rule[]) {}

  static of(targets: readonly AllowedTarget[]): AllowList {
    const rules: Rule[] = [];
    for (const target of targets) {
      if (target.kind === 'host') continue;
      const addresses = new BlockList();
      const family = target.family === 4 ? 'ipv4' : 'ipv6';
      if (target.kind === 'address') addresses.addAddress(target.address, family);
      else addresses.addSubnet(target.address, target.prefix, family);
      const exact = target.kind === 'address' || target.prefix === (target.family === 4 ? 32 : 128);
      rules.push({ addresses, port: target.port, exact, entry: target.entry });
    }
    return new AllowList(rules);
  }

  /** This list plus the addresses its host entries resolve to now. */
  withResolved(resolved: readonly ResolvedEntry[]): AllowList {
    if (resolved.length === 0) return this;
    const extra = resolved.flatMap(({ address, port, entry }) => {
      const family = familyOf(address);
      if (!family) return [];
      const addresses = new BlockList();
      addresses.addAddress(address, family);
      return [{ addresses, port, exact: true, entry }];
    });
    return new AllowList([...this.rules, ...extra]);
  }

  /**
   * The entry that allows connecting to `address` on `port`, or null. `exactOnly`: only an entry that
   * names the address itself counts (a range does not open a cloud metadata address).
   */
  find(address: string, port: number, exactOnly = false): string | null {
    const family = familyOf(address);
    if (!family) return null;
    for (const rule of this.rules) {
      if (exactOnly && !rule.exact) continue;
      if (rule.port !== null && rule.port !== port) continue;
      if (rule.addresses.check(address, family)) return rule.entry;
    }
    return null;
  }

  /** Some entry allows `address`, on some port (`exactOnly`: as for find). */
  coversAddress(address: string, exactOnly = false): boolean {
    const family = familyOf(address);
    return (
      family !== null && this.rules.some((rule) => (!exactOnly || rule.exact) && rule.addresses.check(address, family))
    );
  }
}
