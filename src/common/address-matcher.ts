import { BlockList, isIP } from 'node:net';

/**
 * Matches client addresses against a list of IPv4/IPv6 addresses and CIDRs (`net.BlockList`).
 * An IPv4-mapped IPv6 address (`::ffff:1.2.3.4`, what a dual-stack socket reports for an IPv4
 * client) is matched as the IPv4 address it carries.
 */
export class AddressMatcher {
  private readonly list = new BlockList();

  constructor(entries: readonly string[]) {
    for (const entry of entries) {
      const [address, prefix] = entry.split('/');
      const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
      if (prefix === undefined) this.list.addAddress(address, family);
      else this.list.addSubnet(address, Number(prefix), family);
    }
  }

  matches(address: string | undefined): boolean {
    if (!address) return false;
    const plain = unmapIpv4(address);
    const family = isIP(plain);
    if (!family) return false;
    return this.list.check(plain, family === 6 ? 'ipv6' : 'ipv4');
  }
}

export function unmapIpv4(address: string): string {
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  return mapped ? mapped[1] : address;
}

export const LOOPBACK = new AddressMatcher(['127.0.0.0/8', '::1/128']);

/** The 8 groups of an IPv6 address as numbers (`::` expanded, a dotted IPv4 tail converted). */
function ipv6Groups(address: string): number[] {
  let text = address.split('%')[0];
  const dotted = /(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number);
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::');
  const parse = (part: string | undefined) =>
    part ? part.split(':').map((group) => parseInt(group, 16)) : [];
  const left = parse(head);
  const right = parse(tail);
  const middle = tail === undefined ? [] : Array<number>(8 - left.length - right.length).fill(0);
  return [...left, ...middle, ...right];
}

/**
 * Who a client is for budgets (rate limit, stored refusals): its IPv4 address (an IPv4-mapped
 * IPv6 address folded to it), or its IPv6 network of `ipv6Prefix` bits, since one subscriber
 * commonly holds a whole /64 and could rotate through it.
 */
export function clientKey(address: string | undefined, ipv6Prefix: number): string {
  if (!address) return 'unknown';
  const plain = unmapIpv4(address);
  if (isIP(plain) !== 6) return plain;
  const groups = ipv6Groups(plain);
  let bits = ipv6Prefix;
  const masked = groups.map((group) => {
    const keep = Math.max(0, Math.min(16, bits));
    bits -= 16;
    return keep === 0 ? 0 : group & (0xffff << (16 - keep)) & 0xffff;
  });
  return `${masked.map((group) => group.toString(16)).join(':')}/${ipv6Prefix}`;
}
