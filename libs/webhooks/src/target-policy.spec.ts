import type { LookupAddress } from 'node:dns';
import { TargetPolicy, refusedRange } from './target-policy.js';
import { TargetRefusedError, guardedLookup, resolveTarget } from './resolve.js';
import { generateWebhookSecret } from './secrets.js';

describe('refusedRange', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.1.1', 'link-local'],
    ['169.254.169.254', 'cloud metadata'],
    ['100.64.0.1', 'carrier-grade NAT'],
    ['100.100.100.200', 'cloud metadata'],
    ['0.0.0.0', 'unspecified ("this network")'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'reserved'],
    ['198.18.0.1', 'benchmarking'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['fd00:ec2::254', 'cloud metadata'],
    ['fd12:3456::1', 'unique local (private)'],
    ['fc00::1', 'unique local (private)'],
    ['ff02::1', 'multicast'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:a9fe:a9fe', 'cloud metadata'],
    ['::ffff:10.0.0.1', 'private'],
    ['64:ff9b::a00:1', 'NAT64 (embeds an IPv4 address)'],
    ['2002:7f00:1::', '6to4 (embeds an IPv4 address)'],
    ['2001:0:4136:e378::1', 'IETF protocol assignments (incl. Teredo)'],
    ['2001:db8::1', 'documentation'],
    ['100::1', 'discard-only'],
  ])('refuses %s (%s)', (address, label) => {
    expect(refusedRange(address)).toBe(label);
  });

  it.each([
    '93.184.215.14',
    '8.8.8.8',
    '1.1.1.1',
    '172.32.0.1',
    '100.128.0.1',
    '2606:4700:4700::1111',
    '2a00:1450:4009:80b::200e',
    '::ffff:8.8.8.8',
  ])('accepts the public address %s', (address) => {
    expect(refusedRange(address)).toBeNull();
  });
});

describe('TargetPolicy.checkUrl', () => {
  const strict = new TargetPolicy([]);
  const local = new TargetPolicy(['127.0.0.1', 'localhost', '10.20.0.0/16', 'receiver.internal']);

  it('accepts public https URLs with any port and path', () => {
    expect(strict.checkUrl('https://hooks.example.com/ais?x=1').ok).toBe(true);
    expect(strict.checkUrl('https://93.184.215.14:8443/hook').ok).toBe(true);
  });

  it.each([
    ['http://hooks.example.com/', 'must use https'],
    ['ftp://hooks.example.com/', 'must use https'],
    ['https://user:pw@hooks.example.com/', 'credentials'],
    ['https://hooks.example.com/#frag', 'fragment'],
    ['hooks.example.com/path', 'absolute URL'],
    ['https://127.0.0.1/', 'loopback'],
    ['https://2130706433/', 'loopback'],
    ['https://0x7f.1/', 'loopback'],
    ['https://[::1]/', 'loopback'],
    ['https://[::ffff:127.0.0.1]/', 'loopback'],
    ['https://169.254.169.254/latest/meta-data', 'cloud metadata'],
    ['https://[fd00:ec2::254]/', 'cloud metadata'],
    ['https://10.0.0.5/', 'private'],
    ['https://localhost/', 'localhost'],
    ['https://api.localhost/', 'localhost'],
    [`https://example.com/${'a'.repeat(2100)}`, '2048'],
  ])('refuses %s', (url, fragment) => {
    const verdict = strict.checkUrl(url);
    expect(verdict.ok).toBe(false);
    expect(!verdict.ok && verdict.reason).toContain(fragment);
  });

  it('allows listed hosts, addresses and CIDRs, and plain http only for those', () => {
    expect(local.checkUrl('http://127.0.0.1:4000/hook').ok).toBe(true);
    expect(local.checkUrl('http://localhost:4000/hook').ok).toBe(true);
    expect(local.checkUrl('http://10.20.3.4/hook').ok).toBe(true);
    expect(local.checkUrl('http://receiver.internal/hook').ok).toBe(true);
    expect(local.checkUrl('https://127.0.0.2/').ok).toBe(false);
    expect(local.checkUrl('http://10.21.0.1/').ok).toBe(false);
    expect(local.checkUrl('http://hooks.example.com/').ok).toBe(false);
  });

  it('keeps cloud metadata refused inside an allowed CIDR unless the address itself is listed', () => {
    const wide = new TargetPolicy(['169.254.0.0/16']);
    expect(wide.checkAddress('x', '169.254.10.10').ok).toBe(true);
    expect(wide.checkAddress('x', '169.254.169.254').ok).toBe(false);
    expect(new TargetPolicy(['169.254.169.254']).checkAddress('x', '169.254.169.254').ok).toBe(true);
  });

  it('rejects a malformed allow-list entry naming the variable', () => {
    expect(() => new TargetPolicy(['10.0.0.0/40'])).toThrow(/WEBHOOK_ALLOWED_PRIVATE_TARGETS/);
    expect(() => new TargetPolicy(['not a host'])).toThrow(/WEBHOOK_ALLOWED_PRIVATE_TARGETS/);
  });
});

describe('resolving targets', () => {
  const fakeDns =
    (table: Record<string, LookupAddress[]>) =>
    (host: string, cb: (e: NodeJS.ErrnoException | null, a: LookupAddress[]) => void) => {
      const found = table[host];
      if (found) cb(null, found);
      else cb(Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' }), []);
    };
  const dns = fakeDns({
    'public.example': [{ address: '93.184.215.14', family: 4 }],
    'rebind.example': [{ address: '127.0.0.1', family: 4 }],
    'mixed.example': [
      { address: '93.184.215.14', family: 4 },
      { address: '10.0.0.1', family: 4 },
    ],
    'dual.example': [
      { address: '2606:4700:4700::1111', family: 6 },
      { address: '1.1.1.1', family: 4 },
    ],
    'receiver.internal': [{ address: '10.9.9.9', family: 4 }],
  });
  const policy = new TargetPolicy(['receiver.internal']);

  it('refuses a name that resolves to a private address, or to any private address among public ones', async () => {
    await expect(resolveTarget(policy, 'public.example', dns)).resolves.toEqual([
      { address: '93.184.215.14', family: 4 },
    ]);
    await expect(resolveTarget(policy, 'rebind.example', dns)).rejects.toBeInstanceOf(TargetRefusedError);
    await expect(resolveTarget(policy, 'mixed.example', dns)).rejects.toThrow(/10\.0\.0\.1 is a private address/);
    await expect(resolveTarget(policy, '[::1]', dns)).rejects.toThrow(/loopback/);
    await expect(resolveTarget(policy, 'receiver.internal', dns)).resolves.toHaveLength(1);
  });

  it('hands net.connect only checked addresses, honouring family and all', async () => {
    const lookup = guardedLookup(policy, dns);
    const one = await new Promise<[unknown, string, number]>((resolve) =>
      lookup('dual.example', { family: 4 }, (e, a, f) => resolve([e, a as string, f as number])),
    );
    expect(one).toEqual([null, '1.1.1.1', 4]);
    const all = await new Promise<unknown>((resolve) => lookup('dual.example', { all: true }, (_e, a) => resolve(a)));
    expect(all).toHaveLength(2);
    const refused = await new Promise<NodeJS.ErrnoException | null>((resolve) =>
      lookup('rebind.example', {}, (e) => resolve(e)),
    );
    expect(refused).toBeInstanceOf(TargetRefusedError);
  });
});

describe('generateWebhookSecret', () => {
  it('makes whsec_ + base64 of 32 random bytes', () => {
    const secret = generateWebhookSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(secret.slice(6), 'base64')).toHaveLength(32);
    expect(generateWebhookSecret()).not.toBe(secret);
  });
});
