import type { LookupAddress } from 'node:dns';
import { TargetPolicy, refusedRange } from './target-policy.js';
import { TargetRefusedError, guardedLookup, resolveTarget } from './resolve.js';
import { checkEndpointUrl } from './endpoint-url.js';
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

describe('TargetPolicy.parseUrl (the URL alone, no DNS)', () => {
  const policy = TargetPolicy.fromEntries([]);

  it('reads the target as the connection will: WHATWG host normalisation, brackets off, the scheme’s default port', () => {
    const parsed = (raw: string) => {
      const verdict = policy.parseUrl(raw);
      if (!verdict.ok) throw new Error(verdict.reason);
      return verdict.target;
    };
    expect(parsed('https://hooks.example.com/ais?x=1')).toEqual({
      protocol: 'https:',
      host: 'hooks.example.com',
      port: 443,
    });
    expect(parsed('http://2130706433/')).toEqual({ protocol: 'http:', host: '127.0.0.1', port: 80 });
    expect(parsed('http://127.1:3900/')).toEqual({ protocol: 'http:', host: '127.0.0.1', port: 3900 });
    expect(parsed('http://0x7f.0.0.1:3900/')).toEqual({ protocol: 'http:', host: '127.0.0.1', port: 3900 });
    expect(parsed('http://[::ffff:127.0.0.1]:3900/')).toEqual({ protocol: 'http:', host: '::ffff:7f00:1', port: 3900 });
    expect(parsed('https://example.com:443/')).toMatchObject({ port: 443 });
    expect(parsed('http://example.com:80/')).toMatchObject({ port: 80 });
  });

  it.each([
    ['ftp://hooks.example.com/', 'must use https'],
    ['https://user:pw@hooks.example.com/', 'credentials'],
    ['https://hooks.example.com/#frag', 'fragment'],
    ['hooks.example.com/path', 'absolute URL'],
    [`https://example.com/${'a'.repeat(2100)}`, '2048'],
  ])('refuses %s', (url, fragment) => {
    const verdict = policy.parseUrl(url);
    expect(verdict.ok).toBe(false);
    expect(!verdict.ok && verdict.reason).toContain(fragment);
  });

  it('names the variable when an allow-list entry is malformed', () => {
    expect(() => TargetPolicy.fromEntries(['10.0.0.0/40'])).toThrow(/WEBHOOK_ALLOWED_PRIVATE_TARGETS/);
    expect(() => TargetPolicy.fromEntries(['127.0.0.1'])).toThrow(
      /WEBHOOK_ALLOWED_PRIVATE_TARGETS: "127.0.0.1" has no port/,
    );
  });
});

describe('the allow-list matches the address connected to and its port', () => {
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
    'mapped.example': [{ address: '::ffff:127.0.0.1', family: 6 }],
    'mixed.example': [
      { address: '93.184.215.14', family: 4 },
      { address: '10.0.0.1', family: 4 },
    ],
    'dual.example': [
      { address: '2606:4700:4700::1111', family: 6 },
      { address: '1.1.1.1', family: 4 },
    ],
    'receiver.internal': [{ address: '10.9.9.9', family: 4 }],
    'alias-of-receiver.example': [{ address: '10.9.9.9', family: 4 }],
  });
  const policy = TargetPolicy.fromEntries([
    '127.0.0.1:3900',
    '[::1]:3900',
    '10.20.0.0/16',
    '172.16.0.0/12:8080',
    'fd00::/8:9000',
    'receiver.internal:8443',
  ]);
  const check = async (url: string, p = policy) => {
    const parsed = p.parseUrl(url);
    if (!parsed.ok) throw new Error(parsed.reason);
    return resolveTarget(p, parsed.target, dns).then(
      () => 'allowed',
      (error: Error) => error.message,
    );
  };

  it.each([
    'http://127.0.0.1:3900/hook',
    'http://2130706433:3900/hook',
    'http://127.1:3900/hook',
    'http://0x7f.0.0.1:3900/hook',
    'http://0177.0.0.1:3900/hook',
    'http://[::ffff:127.0.0.1]:3900/hook',
    'http://[::ffff:7f00:1]:3900/hook',
    'http://[::1]:3900/hook',
    'http://[0:0::1]:3900/hook',
    'http://localhost:3900/hook',
    'http://rebind.example:3900/hook',
    'http://mapped.example:3900/hook',
  ])('allows %s: an alias of the allowed 127.0.0.1:3900 / [::1]:3900', async (url) => {
    expect(await check(url)).toBe('allowed');
  });

  it.each([
    ['http://127.0.0.1:6379/', 'port 6379 is not allowed'],
    ['http://2130706433:6379/', 'port 6379 is not allowed'],
    ['http://127.1:5432/', 'port 5432 is not allowed'],
    ['http://0x7f.0.0.1:3000/admin/tenants', 'port 3000 is not allowed'],
    ['http://[::ffff:127.0.0.1]:6379/', 'port 6379 is not allowed'],
    ['http://[::1]:6379/', 'port 6379 is not allowed'],
    ['http://localhost:6379/', 'port 6379 is not allowed'],
    ['http://127.0.0.1/', 'port 80 is not allowed'],
    ['https://127.0.0.1/', 'port 443 is not allowed'],
    ['http://rebind.example/', 'port 80 is not allowed'],
    ['http://127.0.0.2:3900/', '127.0.0.2 is a loopback address'],
    ['http://[::ffff:127.0.0.2]:3900/', 'loopback'],
    ['http://[::127.0.0.1]:3900/', 'loopback'], // IPv4-compatible: not the same socket as 127.0.0.1
  ])('refuses %s: an alias of a refused target stays refused', async (url, reason) => {
    expect(await check(url)).toContain(reason);
  });

  it('allows every port of a CIDR without a port, and only its port for a CIDR with one', async () => {
    expect(await check('http://10.20.3.4/hook')).toBe('allowed');
    expect(await check('https://10.20.3.4:6379/hook')).toBe('allowed');
    expect(await check('http://10.21.0.1/')).toContain('10.21.0.1 is a private address');
    expect(await check('http://172.31.0.9:8080/')).toBe('allowed');
    expect(await check('http://[::ffff:172.31.0.9]:8080/')).toBe('allowed');
    expect(await check('http://172.31.0.9:8081/')).toContain('port 8081 is not allowed');
    expect(await check('http://[fd12::1]:9000/')).toBe('allowed');
    expect(await check('http://[fd12::1]:9001/')).toContain('port 9001 is not allowed');
    expect(await check('http://[fc00::1]:9000/')).toContain('unique local');
  });

  it('allows a host entry’s addresses on its port, whatever name the URL uses for them', async () => {
    expect(await check('https://receiver.internal:8443/hook')).toBe('allowed');
    expect(await check('http://receiver.internal:8443/hook')).toBe('allowed');
    expect(await check('https://10.9.9.9:8443/hook')).toBe('allowed');
    expect(await check('https://alias-of-receiver.example:8443/hook')).toBe('allowed');
    expect(await check('https://receiver.internal/hook')).toContain('10.9.9.9 is a private address');
    expect(await check('https://10.9.9.9:8080/hook')).toContain('port 8080 is not allowed');
  });

  it('keeps plain http for allowed address/port pairs, public or not', async () => {
    expect(await check('https://public.example/')).toBe('allowed');
    expect(await check('https://public.example:8443/')).toBe('allowed');
    expect(await check('http://public.example/')).toContain('plain http is only allowed');
    expect(await check('http://93.184.215.14:8080/', TargetPolicy.fromEntries(['93.184.215.14:8080']))).toBe('allowed');
  });

  it('refuses a name when any of its addresses is refused', async () => {
    expect(await check('https://mixed.example/')).toContain('10.0.0.1 is a private address');
    expect(await check('https://dual.example/')).toBe('allowed');
  });

  it('keeps cloud metadata refused inside an allowed range unless the address itself is listed', async () => {
    const wide = TargetPolicy.fromEntries(['169.254.0.0/16']);
    expect(await check('https://169.254.10.10/', wide)).toBe('allowed');
    expect(await check('https://169.254.169.254/', wide)).toContain('cloud metadata');
    expect(await check('http://169.254.169.254/latest', TargetPolicy.fromEntries(['169.254.169.254:80']))).toBe(
      'allowed',
    );
    expect(await check('http://169.254.169.254:81/', TargetPolicy.fromEntries(['169.254.169.254:80']))).toContain(
      'cloud metadata',
    );
  });

  it('with no allow-list, refuses every private and loopback alias on every port', async () => {
    const strict = TargetPolicy.fromEntries([]);
    for (const url of [
      'https://127.0.0.1/',
      'https://2130706433/',
      'https://0x7f.1/',
      'https://[::1]/',
      'https://[::ffff:127.0.0.1]/',
      'https://localhost/',
      'https://api.localhost/',
      'https://10.0.0.5/',
      'https://[fd00:ec2::254]/',
    ])
      expect([url, await check(url, strict)]).toEqual([url, expect.stringMatching(/is a .* address$/)]);
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
    'dual.example': [
      { address: '2606:4700:4700::1111', family: 6 },
      { address: '1.1.1.1', family: 4 },
    ],
    'receiver.internal': [{ address: '10.9.9.9', family: 4 }],
  });
  const policy = TargetPolicy.fromEntries(['receiver.internal:8080', '127.0.0.1:3900']);
  const https = (host: string, port = 443) => ({ protocol: 'https:' as const, host, port });

  it('refuses a name that resolves to a private address, and accepts an allowed one on its port', async () => {
    await expect(resolveTarget(policy, https('public.example'), dns)).resolves.toEqual([
      { address: '93.184.215.14', family: 4 },
    ]);
    await expect(resolveTarget(policy, https('rebind.example'), dns)).rejects.toBeInstanceOf(TargetRefusedError);
    await expect(resolveTarget(policy, https('[::1]'), dns)).rejects.toThrow(/loopback/);
    await expect(resolveTarget(policy, https('receiver.internal', 8080), dns)).resolves.toHaveLength(1);
    await expect(resolveTarget(policy, https('receiver.internal'), dns)).rejects.toThrow(/private/);
  });

  it('hands net.connect only addresses checked for the connection’s port, honouring family and all', async () => {
    const lookup = guardedLookup(policy, { protocol: 'https:', port: 443 }, dns);
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
    // The same name, resolved for a connection to the allowed port: handed over.
    const allowedPort = guardedLookup(policy, { protocol: 'http:', port: 3900 }, dns);
    const ok = await new Promise<[unknown, string]>((resolve) =>
      allowedPort('rebind.example', {}, (e, a) => resolve([e, a as string])),
    );
    expect(ok).toEqual([null, '127.0.0.1']);
  });
});

describe('checkEndpointUrl (the gateway’s check when an endpoint is created or changed)', () => {
  const dns = (host: string, cb: (e: NodeJS.ErrnoException | null, a: LookupAddress[]) => void) =>
    host === 'slow.example'
      ? setTimeout(() => cb(null, [{ address: '93.184.215.14', family: 4 }]), 500)
      : cb(Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' }), []);
  const policy = TargetPolicy.fromEntries(['127.0.0.1:3900']);
  const check = (raw: string) => checkEndpointUrl(policy, raw, { dnsTimeoutMs: 50, resolver: dns });

  it('answers with the normalised URL, and says why a refused one is refused', async () => {
    expect(await check('http://2130706433:3900/hook')).toEqual({ ok: true, url: 'http://127.0.0.1:3900/hook' });
    expect(await check('http://127.0.0.1:6379/')).toEqual({
      ok: false,
      message:
        'url must not point at a private or reserved address (refused to connect to 127.0.0.1: 127.0.0.1 is a loopback address, and port 6379 is not allowed for it)',
    });
    expect(await check('http://93.184.215.14/')).toEqual({
      ok: false,
      message:
        'url must use https: plain http is only allowed for targets in WEBHOOK_ALLOWED_PRIVATE_TARGETS, and 93.184.215.14:80 is not one',
    });
  });

  it('accepts an https name it cannot resolve yet (checked on every attempt), but not plain http to one', async () => {
    expect(await check('https://nowhere.example/hook')).toEqual({ ok: true, url: 'https://nowhere.example/hook' });
    expect(await check('https://slow.example/hook')).toEqual({ ok: true, url: 'https://slow.example/hook' });
    expect(await check('http://nowhere.example/hook')).toMatchObject({
      ok: false,
      message: expect.stringContaining('url must use https'),
    });
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
