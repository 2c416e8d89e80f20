import { isIP } from 'node:net';
import { z } from 'zod';

/** A manager or new-node Docker API address: tcp://host:port or https://host:port (TLS either way). */
export const dockerApiUrl = z.string().transform((raw, ctx) => {
  const m = /^(tcp|https):\/\/(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})\/?$/.exec(raw);
  const port = m ? Number(m[3]) : 0;
  const host = m?.[2]?.replace(/^\[|\]$/g, '') ?? '';
  const hostOk = isIP(host) !== 0 || /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/.test(host);
  if (!m || !hostOk || port < 1 || port > 65535) {
    ctx.addIssue({
      code: z.ZodIssueCode.custom,
      message: `\`${raw}\` is not a Docker API URL. Type it as tcp://HOST:PORT or https://HOST:PORT, e.g. tcp://10.0.1.25:2376`,
    });
    return z.NEVER;
  }
  return { url: `tcp://${m[2]}:${port}`, host, port };
});
export type DockerApiUrl = z.output<typeof dockerApiUrl>;

export const ipAddress = z.string().refine((s) => isIP(s) !== 0, (s) => ({
  message: `\`${s}\` is not an IP address. Type an IPv4 or IPv6 address, e.g. 10.0.1.25`,
}));

export interface Cidr {
  text: string;
  family: 4 | 6;
  /** network address as a bigint, and prefix length */
  network: bigint;
  prefix: number;
}

export function ipToBigInt(ip: string): bigint {
  if (isIP(ip) === 4) {
    return ip.split('.').reduce((acc, part) => (acc << 8n) + BigInt(Number(part)), 0n);
  }
  const [head = '', tail = ''] = ip.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = ip.includes('::') ? [...h, ...Array(8 - h.length - t.length).fill('0'), ...t] : h;
  return groups.reduce((acc, g) => (acc << 16n) + BigInt(parseInt(g || '0', 16)), 0n);
}

export function parseCidr(text: string): Cidr | undefined {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(text);
  if (!m) return undefined;
  const family = isIP(m[1]!);
  const prefix = Number(m[2]);
  if (family === 0) return undefined;
  const bits = family === 4 ? 32 : 128;
  if (prefix > bits) return undefined;
  const mask = ((1n << BigInt(bits)) - 1n) ^ ((1n << BigInt(bits - prefix)) - 1n);
  return { text, family: family as 4 | 6, network: ipToBigInt(m[1]!) & mask, prefix };
}

export function cidrContains(cidr: Cidr, ip: string): boolean {
  const family = isIP(ip);
  if (family !== cidr.family) return false;
  const bits = family === 4 ? 32 : 128;
  return ipToBigInt(ip) >> BigInt(bits - cidr.prefix) === cidr.network >> BigInt(bits - cidr.prefix);
}

export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  if (a.family !== b.family) return false;
  const bits = a.family === 4 ? 32 : 128;
  const p = Math.min(a.prefix, b.prefix);
  return a.network >> BigInt(bits - p) === b.network >> BigInt(bits - p);
}

export const cidr = z.string().refine((s) => parseCidr(s) !== undefined, (s) => ({
  message: `\`${s}\` is not a CIDR subnet. Type it as ADDRESS/PREFIX, e.g. 10.20.0.0/24`,
}));

/**
 * Swarm's rule for network names: a DNS name component (swarmkit's
 * validateName): letters and digits, `-` and `_` inside, at most 63.
 */
export const dockerName = z
  .string()
  .max(63, 'network names are at most 63 characters')
  .regex(/^[a-zA-Z0-9](?:[-_]*[a-zA-Z0-9]+)*$/, 'use letters, digits, `-` and `_` (not at the start or end; no dots), e.g. `app-net`');

/** The network address and (IPv4) broadcast address are not usable as a gateway. */
export function isHostAddress(cidr: Cidr, ip: string): boolean {
  const bits = cidr.family === 4 ? 32 : 128;
  const v = ipToBigInt(ip);
  const host = v & ((1n << BigInt(bits - cidr.prefix)) - 1n);
  if (cidr.prefix >= bits - 1) return true;
  if (host === 0n) return false;
  return !(cidr.family === 4 && host === (1n << BigInt(bits - cidr.prefix)) - 1n);
}

/** Whether the text of a CIDR has host bits set (10.60.0.5/24 instead of 10.60.0.0/24). */
export function hasHostBits(c: Cidr): boolean {
  const [addr = ''] = c.text.split('/');
  return ipToBigInt(addr) !== c.network;
}

export function formatNetwork(c: Cidr): string {
  if (c.family === 4) return `${[24, 16, 8, 0].map((s) => Number((c.network >> BigInt(s)) & 255n)).join('.')}/${c.prefix}`;
  const groups = Array.from({ length: 8 }, (_, i) => ((c.network >> BigInt(112 - 16 * i)) & 0xffffn).toString(16));
  return `${groups.join(':').replace(/(^|:)0(:0)+(:|$)/, '::')}/${c.prefix}`;
}

/** A node hostname or a node ID prefix. */
export const nodeRef = z
  .string()
  .max(253, 'node names are at most 253 characters')
  .regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/, 'type a node hostname or the start of its ID, e.g. `worker-3` or `x7k2p`');
