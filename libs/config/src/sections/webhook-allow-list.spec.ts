import { parseAllowedTarget } from './webhook-allow-list.js';

describe('WEBHOOK_ALLOWED_PRIVATE_TARGETS entries', () => {
  it.each([
    ['127.0.0.1:3900', { kind: 'address', address: '127.0.0.1', family: 4, port: 3900, entry: '127.0.0.1:3900' }],
    ['[::1]:3900', { kind: 'address', address: '::1', family: 6, port: 3900, entry: '[::1]:3900' }],
    ['[FD00::0001]:443', { kind: 'address', address: 'fd00::1', family: 6, port: 443, entry: '[fd00::1]:443' }],
    [
      'receiver.internal:8080',
      { kind: 'host', host: 'receiver.internal', port: 8080, entry: 'receiver.internal:8080' },
    ],
    [
      'Receiver.Internal.:8080',
      { kind: 'host', host: 'receiver.internal', port: 8080, entry: 'receiver.internal:8080' },
    ],
    ['localhost:3900', { kind: 'host', host: 'localhost', port: 3900, entry: 'localhost:3900' }],
    ['10.0.0.0/8', { kind: 'network', address: '10.0.0.0', prefix: 8, family: 4, port: null, entry: '10.0.0.0/8' }],
    [
      '127.0.0.0/8:8080',
      { kind: 'network', address: '127.0.0.0', prefix: 8, family: 4, port: 8080, entry: '127.0.0.0/8:8080' },
    ],
    [
      '127.0.0.1/32',
      { kind: 'network', address: '127.0.0.1', prefix: 32, family: 4, port: null, entry: '127.0.0.1/32' },
    ],
    ['fd00::/8', { kind: 'network', address: 'fd00::', prefix: 8, family: 6, port: null, entry: 'fd00::/8' }],
    ['fd00::/8:9000', { kind: 'network', address: 'fd00::', prefix: 8, family: 6, port: 9000, entry: 'fd00::/8:9000' }],
    [
      '[fd00::]/8:9000',
      { kind: 'network', address: 'fd00::', prefix: 8, family: 6, port: 9000, entry: 'fd00::/8:9000' },
    ],
  ])('reads %s', (entry, expected) => {
    expect(parseAllowedTarget(entry)).toEqual({ ok: true, value: expected });
  });

  it.each([
    ['2130706433:3900', '127.0.0.1:3900'],
    ['127.1:3900', '127.0.0.1:3900'],
    ['0x7f.0.0.1:3900', '127.0.0.1:3900'],
    ['0177.0.0.1:3900', '127.0.0.1:3900'],
    ['[::ffff:127.0.0.1]:3900', '127.0.0.1:3900'],
    ['[::ffff:7f00:1]:3900', '127.0.0.1:3900'],
  ])('reads the alias %s as %s, as a URL would', (entry, canonical) => {
    expect(parseAllowedTarget(entry)).toMatchObject({
      ok: true,
      value: { kind: 'address', family: 4, entry: canonical },
    });
  });

  it.each([
    ['127.0.0.1', '"127.0.0.1" has no port: write 127.0.0.1:<port> for one port, or 127.0.0.1/32 for every port'],
    ['[::1]', '"[::1]" has no port: write [::1]:<port> for one port, or ::1/128 for every port'],
    ['::1', '"::1" has no port: write [::1]:<port> for one port, or ::1/128 for every port'],
    ['localhost', '"localhost" has no port: write localhost:<port>'],
    ['127.0.0.1:0', '"127.0.0.1:0" has a port outside 1-65535'],
    ['127.0.0.1:65536', '"127.0.0.1:65536" has a port outside 1-65535'],
    ['10.0.0.0/8:70000', '"10.0.0.0/8:70000" has a port outside 1-65535'],
    ['10.0.0.0/33', '"10.0.0.0/33" is not a CIDR: an IPv4 prefix is at most 32'],
    ['fd00::/129', '"fd00::/129" is not a CIDR: an IPv6 prefix is at most 128'],
    ['127.1/8', '"127.1/8" is not a CIDR: the part before "/" must be an IPv4 or IPv6 address'],
    ['host.example/8', '"host.example/8" is not a CIDR: the part before "/" must be an IPv4 or IPv6 address'],
  ])('refuses %s, saying how to write it', (entry, error) => {
    expect(parseAllowedTarget(entry)).toEqual({ ok: false, error });
  });

  it.each([
    'a b:80',
    '*.example.com:443',
    'http://127.0.0.1:3900',
    '127.0.0.1:*',
    '127.0.0.1:80:81',
    '[fd00::/8]:80',
    ':80',
  ])('refuses the malformed %s', (entry) => {
    expect(parseAllowedTarget(entry)).toMatchObject({ ok: false, error: expect.stringContaining(`"${entry}"`) });
  });
});
