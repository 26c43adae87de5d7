import { redactText } from './redact';

describe('redactText keeps identifiers whole', () => {
  it.each([
    'Delivery 12345678-1674-429a-8bcd-0123456789ab via webhook: duplicate_call',
    'Delivery 98765432-1098-7654-3210-987654321098 rejected with 401 invalid_token',
    'Request req-9800000101-retry failed',
    'run 1700000000123 finished',
  ])('leaves the id in %p readable', (line) => {
    expect(redactText(line)).toBe(line);
  });

  it('still masks a phone next to an id on the same line', () => {
    expect(redactText('Delivery 12345678-1674-429a-8bcd-0123456789ab: caller 9800000101')).toBe(
      'Delivery 12345678-1674-429a-8bcd-0123456789ab: caller ******0101',
    );
  });

  it('masks international numbers written with a +', () => {
    expect(redactText('from +14155552671')).toBe('from *******2671');
  });
});
