/** IPv4 arithmetic for validating addresses against their networks. */

export interface Ipv4Cidr {
  base: number;
  prefix: number;
}

const OCTET = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

export function parseIpv4(text: string): number | undefined {
  const parts = text.split(".");
  if (parts.length !== 4 || !parts.every((p) => OCTET.test(p))) return undefined;
  return parts.reduce((acc, p) => acc * 256 + Number(p), 0);
}

export function formatIpv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join(".");
}

export function parseCidr(text: string): Ipv4Cidr | undefined {
  const [addr, len, ...rest] = text.split("/");
  if (rest.length > 0 || len === undefined || !/^\d{1,2}$/.test(len)) return undefined;
  const prefix = Number(len);
  const ip = parseIpv4(addr);
  if (ip === undefined || prefix < 8 || prefix > 30) return undefined;
  const size = 2 ** (32 - prefix);
  if (ip % size !== 0) return undefined; // host bits set: not a network address
  return { base: ip, prefix };
}

function size(cidr: Ipv4Cidr): number {
  return 2 ** (32 - cidr.prefix);
}

/** True for an address inside the network, excluding the network and broadcast addresses. */
export function isUsableHost(cidr: Ipv4Cidr, ip: number): boolean {
  return ip > cidr.base && ip < cidr.base + size(cidr) - 1;
}

export function cidrsOverlap(a: Ipv4Cidr, b: Ipv4Cidr): boolean {
  return a.base < b.base + size(b) && b.base < a.base + size(a);
}

/** libvirt gives the host the first usable address of a NAT network. */
export function firstHost(cidr: Ipv4Cidr): string {
  return formatIpv4(cidr.base + 1);
}
