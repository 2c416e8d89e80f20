/** IP addresses and CIDR subnets (ipaddr.js), v4 and v6: parsed, compared and printed one way everywhere. */
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

export type IpAddress = ipaddr.IPv4 | ipaddr.IPv6;

/**
 * Parses an IP address literal. The text must be a plain address as
 * inet_pton reads it (dotted decimal for IPv4: no `010.0.0.1`, `10.1` or
 * `0xa.0.0.1`, which ipaddr.js alone would accept; no IPv6 zone), and an
 * IPv4-mapped IPv6 address is read as the IPv4 address it carries.
 */
export function parseIp(text: string): IpAddress | undefined {
  if (isIP(text) === 0 || text.includes('%')) return undefined;
  return ipaddr.process(text);
}

/** IPv4 dotted decimal; IPv6 in RFC 5952 form (lower case, longest run of zeros as `::`). */
export function formatIp(ip: IpAddress): string {
  return ip instanceof ipaddr.IPv6 ? ip.toRFC5952String() : ip.toString();
}

/** The canonical text of an IP address, or undefined when it is not one. */
export function normalizeIp(text: string): string | undefined {
  const ip = parseIp(text);
  return ip && formatIp(ip);
}

export interface Cidr {
  /** as typed */
  text: string;
  family: 4 | 6;
  /** the address as typed, host bits included (IPv4-mapped IPv6 read as IPv4) */
  address: IpAddress;
  /** the network address: host bits cleared */
  network: IpAddress;
  prefix: number;
}

/**
 * Parses ADDRESS/PREFIX. An IPv4-mapped IPv6 subnet of /96 or longer
 * (`::ffff:10.0.0.0/104`) is the IPv4 subnet it maps (`10.0.0.0/8`).
 */
export function parseCidr(text: string): Cidr | undefined {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(text);
  if (!m || isIP(m[1]!) === 0 || m[1]!.includes('%')) return undefined;
  let address: IpAddress = ipaddr.parse(m[1]!);
  let prefix = Number(m[2]);
  if (address instanceof ipaddr.IPv6 && address.isIPv4MappedAddress() && prefix >= 96) {
    address = address.toIPv4Address();
    prefix -= 96;
  }
  const family = address.kind() === 'ipv4' ? 4 : 6;
  if (prefix > (family === 4 ? 32 : 128)) return undefined;
  const network = (family === 4 ? ipaddr.IPv4 : ipaddr.IPv6).networkAddressFromCIDR(`${formatIp(address)}/${prefix}`);
  return { text, family, address, network, prefix };
}

/** Whether `ip` is inside `cidr`; an address of the other family never is. */
export function cidrContains(cidr: Cidr, ip: string): boolean {
  const a = parseIp(ip);
  return a !== undefined && a.kind() === cidr.network.kind() && a.match(cidr.network, cidr.prefix);
}

/** Whether two subnets share an address; an IPv4 and an IPv6 subnet never do. */
export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  return a.network.kind() === b.network.kind() && a.network.match(b.network, Math.min(a.prefix, b.prefix));
}

/**
 * Whether `ip` is inside any of `cidrs` (the policy's `joinCidrs`). A text
 * that is not an IP address (a host name) is inside none; entries that are
 * not CIDRs match nothing.
 */
export function inCidrs(ip: string, cidrs: string[]): boolean {
  return cidrs.some((text) => {
    const c = parseCidr(text);
    return c !== undefined && cidrContains(c, ip);
  });
}

/** A subnet's canonical text, ADDRESS/PREFIX with its host bits as typed, or undefined when the text is not a subnet. */
export function canonicalCidr(text: string): string | undefined {
  const c = parseCidr(text);
  return c && `${formatIp(c.address)}/${c.prefix}`;
}
