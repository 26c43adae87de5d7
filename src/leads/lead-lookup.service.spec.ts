import { phonePrefix } from './lead-lookup.service';

describe('phonePrefix', () => {
  it.each([
    ['98111', '98111'],
    ['+91 98111', '98111'],
    ['0091 98111', '98111'],
    ['098111', '98111'],
    ['+91 98000-00101', '9800000101'],
    ['098000 00101', '9800000101'],
  ])('%p searches stored numbers starting %p', (q, prefix) => {
    expect(phonePrefix(q, 'IN')).toBe(prefix);
  });

  it.each(['Asha', 'asha 98', '+91', '0'])('%p is not a phone prefix', (q) => {
    expect(phonePrefix(q, 'IN')).toBeUndefined();
  });
});
