import { code } from '../../src/render/escape.js';
import { describe, expect, it } from 'vitest';
import { cidr, dockerApiUrl, formatNetwork, hasHostBits, ipAddress, isHostAddress } from '../../src/commands/validators.js';
import { cidrContains, cidrsOverlap, inCidrs, normalizeIp, parseCidr } from '../../src/domain/ip-address.js';

const must = (text: string) => {
  const c = parseCidr(text);
  if (!c) throw new Error(`${text} should parse`);
  return c;
};

describe('IP addresses', () => {
  it.each([
    ['10.0.0.1', '10.0.0.1'],
    ['0.0.0.0', '0.0.0.0'],
    ['255.255.255.255', '255.255.255.255'],
    // IPv4-mapped IPv6 is the IPv4 address
    ['::ffff:10.0.0.1', '10.0.0.1'],
    ['::FFFF:a00:1', '10.0.0.1'],
    ['0:0:0:0:0:ffff:10.0.0.1', '10.0.0.1'],
    // RFC 5952: lower case, no leading zeros, the longest (then first) run of zero groups as ::
    ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
    ['2001:0db8:0000:0000:0000:ff00:0042:8329', '2001:db8::ff00:42:8329'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:db8:0:1:0:0:0:1', '2001:db8:0:1::1'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['fd00::5', 'fd00::5'],
    ['::', '::'],
    ['::1', '::1'],
    // ipaddr.js reads the deprecated IPv4-compatible form (RFC 4291 2.5.5.1) as mapped too
    ['::10.0.0.1', '10.0.0.1'],
  ])('%s reads as %s', (text, canonical) => {
    expect(normalizeIp(text)).toBe(canonical);
    expect(ipAddress.parse(text)).toBe(canonical);
  });

  it.each([
    '', 'nope', '10.0.0.256', '10.1', '10', '010.0.0.1', '0xa.0.0.1', '10.0.0.1 ', ' 10.0.0.1', '10.0.0.1/24',
    '1:2:3:4:5:6:7:8:9', '2001:db8:::1', 'fe80::1%eth0', '::ffff:010.0.0.1', 'g::1',
  ])('%j is not an IP address', (text) => {
    expect(normalizeIp(text)).toBeUndefined();
    const r = ipAddress.safeParse(text);
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.message).toBe(`${code(text)} is not an IP address. Type an IPv4 or IPv6 address, e.g. 10.0.1.25`);
  });
});

describe('CIDR subnets', () => {
  it.each([
    // text, family, network, host bits set, canonical text (as the flag gives it back)
    ['10.20.0.0/24', 4, '10.20.0.0/24', false, '10.20.0.0/24'],
    ['10.30.0.5/24', 4, '10.30.0.0/24', true, '10.30.0.5/24'],
    ['0.0.0.0/0', 4, '0.0.0.0/0', false, '0.0.0.0/0'],
    ['10.0.0.7/32', 4, '10.0.0.7/32', false, '10.0.0.7/32'],
    ['192.168.1.1/0', 4, '0.0.0.0/0', true, '192.168.1.1/0'],
    ['fd00:20::/64', 6, 'fd00:20::/64', false, 'fd00:20::/64'],
    ['FD00:0020:0:0:0:0:0:1/64', 6, 'fd00:20::/64', true, 'fd00:20::1/64'],
    // the longest run of zeros is the one shortened
    ['2001:db8:0:0:1:0:0:0/80', 6, '2001:db8:0:0:1::/80', false, '2001:db8:0:0:1::/80'],
    ['::/0', 6, '::/0', false, '::/0'],
    // an IPv4-mapped subnet of /96 or longer is the IPv4 subnet
    ['::ffff:10.0.0.0/104', 4, '10.0.0.0/8', false, '10.0.0.0/8'],
    ['::ffff:10.1.2.3/120', 4, '10.1.2.0/24', true, '10.1.2.3/24'],
    // shorter: not only mapped addresses, so IPv6
    ['::ffff:0:0/80', 6, '::/80', true, '::ffff:0:0/80'],
  ] as const)('%s', (text, family, network, hostBits, canonical) => {
    const c = must(text);
    expect(c.family).toBe(family);
    expect(c.text).toBe(text);
    expect(formatNetwork(c)).toBe(network);
    expect(hasHostBits(c)).toBe(hostBits);
    expect(cidr.parse(text)).toBe(canonical);
  });

  it.each(['10.0.0.0', '10.0.0.0/', '10.0.0.0/33', '10.0.0.0/8/8', '010.0.0.0/8', '10.0.0/8', '2001:db8::/129', 'fe80::%eth0/64', 'x/8', '10.0.0.0/1000', '/8'])(
    '%j is not a CIDR',
    (text) => {
      expect(parseCidr(text)).toBeUndefined();
      const r = cidr.safeParse(text);
      expect(r.success).toBe(false);
      expect(r.error?.issues[0]?.message).toBe(`\`${text}\` is not a CIDR subnet. Type it as ADDRESS/PREFIX, e.g. 10.20.0.0/24`);
    },
  );

  it.each([
    ['10.0.0.0/16', '10.0.5.5', true],
    ['10.0.0.0/16', '10.0.255.255', true],
    ['10.0.0.0/16', '10.1.0.0', false],
    ['10.0.0.0/16', '::ffff:10.0.0.1', true],
    ['10.0.0.0/16', '::ffff:10.1.0.1', false],
    ['10.0.0.0/16', 'fd00::1', false],
    ['10.0.0.0/16', 'nope', false],
    ['0.0.0.0/0', '::1', false],
    ['0.0.0.0/0', '203.0.113.9', true],
    ['fd00::/8', 'fd12::1', true],
    ['fd00::/8', 'fe80::1', false],
    ['fd00::/8', '10.0.0.1', false],
    ['::/0', '10.0.0.1', false],
    ['::/0', '2001:db8::1', true],
    ['10.0.0.7/32', '10.0.0.7', true],
    ['10.0.0.7/32', '10.0.0.8', false],
  ] as const)('%s contains %s: %s', (c, ip, expected) => {
    expect(cidrContains(must(c), ip)).toBe(expected);
  });

  it.each([
    ['10.20.0.0/24', '10.20.0.128/25', true],
    ['10.20.0.128/25', '10.20.0.0/24', true],
    ['10.20.0.0/24', '10.20.1.0/24', false],
    ['10.0.0.0/8', '10.255.0.0/16', true],
    ['10.20.0.5/24', '10.20.0.200/24', true],
    ['0.0.0.0/0', '192.168.0.0/16', true],
    // IPv4 and IPv6 never overlap, even the whole of each
    ['0.0.0.0/0', '::/0', false],
    ['10.0.0.0/8', '::ffff:0:0/80', false],
    ['::ffff:10.0.0.0/104', '10.1.0.0/16', true],
    ['fd00::/64', 'fd00:0:0:0:1::/80', true],
    ['2001:db8::/32', '2001:db9::/32', false],
    ['2001:db8::/32', '2001:db8:ffff::/48', true],
  ] as const)('%s overlaps %s: %s', (a, b, expected) => {
    expect(cidrsOverlap(must(a), must(b))).toBe(expected);
  });

  it.each([
    ['10.30.0.0/24', '10.30.0.0', false],
    ['10.30.0.0/24', '10.30.0.255', false],
    ['10.30.0.0/24', '10.30.0.1', true],
    ['10.30.0.0/24', '10.30.0.254', true],
    ['10.30.0.0/24', '::ffff:10.30.0.1', true],
    ['10.30.0.0/24', '::ffff:10.30.0.255', false],
    ['10.30.0.0/31', '10.30.0.0', true],
    ['10.30.0.0/31', '10.30.0.1', true],
    ['10.30.0.9/32', '10.30.0.9', true],
    ['fd00::/64', 'fd00::', false],
    ['fd00::/64', 'fd00::1', true],
    // IPv6 has no broadcast address
    ['fd00::/64', 'fd00::ffff:ffff:ffff:ffff', true],
    ['fd00::/127', 'fd00::', true],
    ['10.30.0.0/24', 'nope', false],
  ] as const)('in %s, %s is a host address: %s', (c, ip, expected) => {
    expect(isHostAddress(must(c), ip)).toBe(expected);
  });
});

describe('inCidrs (the policy\'s joinCidrs)', () => {
  it.each([
    ['10.0.1.25', ['10.0.0.0/16'], true],
    ['10.1.0.1', ['10.0.0.0/16'], false],
    ['::ffff:10.0.1.25', ['10.0.0.0/16'], true],
    ['10.0.1.25', ['::ffff:10.0.0.0/112'], true],
    ['::ffff:10.0.1.25', ['::ffff:0:0/96'], true],
    ['10.0.1.25', [], false],
    ['fd00::5', ['10.0.0.0/16', 'fd00::/8'], true],
    ['FD00:0::5', ['fd00::/8'], true],
    ['10.0.1.25', ['::/0'], false],
    ['2001:db8::1', ['0.0.0.0/0'], false],
    // a host name is in no subnet: the caller refuses it, or resolves it first
    ['node-1.example.com', ['0.0.0.0/0', '::/0'], false],
    // entries that are not subnets match nothing, and do not hide the others
    ['10.0.1.25', ['nonsense', '10.0.0.0/33', '10.0.0.0/16'], true],
    ['10.0.1.25', ['nonsense'], false],
  ] as const)('%s in %j: %s', (ip, cidrs, expected) => {
    expect(inCidrs(ip, [...cidrs])).toBe(expected);
  });
});

describe('Docker API URLs', () => {
  it.each([
    ['tcp://10.0.1.25:2376', { url: 'tcp://10.0.1.25:2376', host: '10.0.1.25', port: 2376 }],
    ['https://10.0.1.25:2376/', { url: 'tcp://10.0.1.25:2376', host: '10.0.1.25', port: 2376 }],
    ['tcp://[fd00::5]:2376', { url: 'tcp://[fd00::5]:2376', host: 'fd00::5', port: 2376 }],
    ['tcp://[FD00:0:0::5]:2376', { url: 'tcp://[fd00::5]:2376', host: 'fd00::5', port: 2376 }],
    ['tcp://[::ffff:10.0.0.1]:2376', { url: 'tcp://10.0.0.1:2376', host: '10.0.0.1', port: 2376 }],
    ['tcp://node-1.example.com:2376', { url: 'tcp://node-1.example.com:2376', host: 'node-1.example.com', port: 2376 }],
    ['tcp://manager:1', { url: 'tcp://manager:1', host: 'manager', port: 1 }],
  ] as const)('%s', (raw, expected) => {
    expect(dockerApiUrl.parse(raw)).toEqual(expected);
  });

  it.each([
    '10.0.1.25:2376', 'http://10.0.1.25:2376', 'ssh://root@10.0.1.25', 'tcp://10.0.1.25', 'tcp://10.0.1.25:0', 'tcp://10.0.1.25:65536',
    'tcp://10.0.1.25:99999', 'tcp://10.0.0.256:2376', 'tcp://010.0.0.1:2376', 'tcp://10.1:2376', 'tcp://[10.0.0.1]:2376', 'tcp://fd00::5:2376',
    'tcp://[fd00::5:2376', 'tcp://-node:2376', 'tcp://node_1:2376', 'tcp://10.0.1.25:2376/v1.41',
  ])('%j is refused', (raw) => {
    const r = dockerApiUrl.safeParse(raw);
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.message).toMatch(/is not a Docker API URL\. Type it as tcp:\/\/HOST:PORT/);
  });
});
