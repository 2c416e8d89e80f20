import { code } from '../render/escape.js';
import ipaddr from 'ipaddr.js';
import { z } from 'zod';
import { canonicalCidr, formatIp, normalizeIp, parseIp, type Cidr } from '../domain/ip-address.js';

/** An IP address as ipaddr.js reads it: IPv4-mapped IPv6 (`::ffff:10.0.0.1`) is the IPv4 address. */
/** An IP address, given back in canonical form (`::ffff:10.0.0.1` → `10.0.0.1`, IPv6 per RFC 5952). */
export const ipAddress = z.string().transform((s, ctx) => {
  const ip = normalizeIp(s);
  if (ip === undefined) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: `${code(s.slice(0, 100))} is not an IP address. Type an IPv4 or IPv6 address, e.g. 10.0.1.25` });
    return z.NEVER;
  }
  return ip;
});

/** A DNS name (RFC 1123); an all-numeric dotted name is a mistyped IPv4 address, not a host name. */
const HOSTNAME = /^(?=.{1,253}$)(?![\d.]+$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/** A manager or new-node Docker API address: tcp://host:port or https://host:port (TLS either way). */
export const dockerApiUrl = z.string().transform((raw, ctx) => {
  const m = /^(tcp|https):\/\/(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})\/?$/.exec(raw);
  const port = m ? Number(m[3]) : 0;
  const bracketed = m?.[2]?.startsWith('[') ?? false;
  const hostText = m?.[2]?.replace(/^\[|\]$/g, '') ?? '';
  const ip = parseIp(hostText);
  // an IPv6 address only in brackets, a bracket only around an IPv6 address
  const hostOk = ip ? bracketed === hostText.includes(':') : !bracketed && HOSTNAME.test(hostText);
  if (!m || !hostOk || port < 1 || port > 65535) {
    ctx.addIssue({
      code: z.ZodIssueCode.custom,
      message: `${code(raw.slice(0, 200))} is not a Docker API URL. Type it as tcp://HOST:PORT or https://HOST:PORT, e.g. tcp://10.0.1.25:2376`,
    });
    return z.NEVER;
  }
  const host = ip ? formatIp(ip) : hostText;
  return { url: `tcp://${ip?.kind() === 'ipv6' ? `[${host}]` : host}:${port}`, host, port };
});
export type DockerApiUrl = z.output<typeof dockerApiUrl>;

/** A subnet as ADDRESS/PREFIX, given back in canonical form with its host bits as typed (the action names them). */
export const cidr = z.string().transform((s, ctx) => {
  const canonical = canonicalCidr(s);
  if (canonical) return canonical;
  ctx.addIssue({ code: z.ZodIssueCode.custom, message: `${code(s.slice(0, 100))} is not a CIDR subnet. Type it as ADDRESS/PREFIX, e.g. 10.20.0.0/24` });
  return z.NEVER;
});

/**
 * Swarm's rule for network names: a DNS name component (swarmkit's
 * validateName): letters and digits, `-` and `_` inside, at most 63.
 */
export const dockerName = z
  .string()
  .max(63, 'network names are at most 63 characters')
  // linear: a nested quantifier here backtracks exponentially on a long name with one bad character at the end
  .regex(/^[a-zA-Z0-9]+(?:[-_]+[a-zA-Z0-9]+)*$/, 'use letters, digits, `-` and `_` (not at the start or end; no dots), e.g. `app-net`');

/** The network address and (IPv4) broadcast address are not usable as a gateway (except in /31, /32, /127, /128). */
export function isHostAddress(cidr: Cidr, ip: string): boolean {
  const a = parseIp(ip);
  if (!a || a.kind() !== cidr.network.kind()) return false;
  const bits = cidr.family === 4 ? 32 : 128;
  if (cidr.prefix >= bits - 1) return true;
  const text = formatIp(a);
  if (text === formatIp(cidr.network)) return false;
  return !(cidr.family === 4 && text === ipaddr.IPv4.broadcastAddressFromCIDR(`${formatIp(cidr.network)}/${cidr.prefix}`).toString());
}

/** Whether the CIDR has host bits set (10.60.0.5/24 instead of 10.60.0.0/24). */
export function hasHostBits(c: Cidr): boolean {
  return formatIp(c.address) !== formatIp(c.network);
}

/** The subnet's network address and prefix, e.g. `10.60.0.0/24`, `fd00:20::/64`. */
export function formatNetwork(c: Cidr): string {
  return `${formatIp(c.network)}/${c.prefix}`;
}

/** A node hostname or a node ID prefix. */
export const nodeRef = z
  .string()
  .max(253, 'node names are at most 253 characters')
  .regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/, 'type a node hostname or the start of its ID, e.g. `worker-3` or `x7k2p`');
