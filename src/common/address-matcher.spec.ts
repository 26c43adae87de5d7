import { clientKey } from './address-matcher';

describe('clientKey', () => {
  it('folds an IPv4-mapped address to its IPv4 address', () => {
    expect(clientKey('::ffff:203.0.113.9', 64)).toBe('203.0.113.9');
    expect(clientKey('203.0.113.9', 64)).toBe('203.0.113.9');
  });

  it('groups IPv6 addresses by their network prefix', () => {
    const a = clientKey('2001:db8:1:2::1', 64);
    const b = clientKey('2001:db8:1:2:ffff:eeee:dddd:cccc', 64);
    const other = clientKey('2001:db8:1:3::1', 64);

    expect(a).toBe('2001:db8:1:2:0:0:0:0/64');
    expect(b).toBe(a);
    expect(other).not.toBe(a);
    expect(clientKey('2001:db8:1:2::1', 128)).toBe('2001:db8:1:2:0:0:0:1/128');
    expect(clientKey('2001:db8:1:2:abcd::', 56)).toBe('2001:db8:1:0:0:0:0:0/56');
  });
});
