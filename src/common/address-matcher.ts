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
