import { redactText } from './redact';

describe('redactText', () => {
  it.each([
    ['call from +919800000101 ended', 'call from ********0101 ended'],
    ['caller_id=%2B919800000101&x=1', 'caller_id=%2B********0101&x=1'],
    ['9800000101', '******0101'],
    ['+91 98000-00101', '********0101'],
    ['phone 09800000101.', 'phone *******0101.'],
    ['from +14155552671', 'from *******2671'],
    [
      'Delivery 12345678-1674-429a-8bcd-0123456789ab: caller 9800000101',
      'Delivery 12345678-1674-429a-8bcd-0123456789ab: caller ******0101',
    ],
  ])('masks the phone in %p', (input, expected) => {
    expect(redactText(input)).toBe(expected);
  });

  // Identifiers stay whole so log lines still join up.
  it.each([
    'started 2026-11-20 11:11:21+05:30',
    'call 0b6f1d2e-6a53-4c1e-9d8a-1f0c2b3a4d01',
    'lead 12345 in 42 ms',
    'Delivery 12345678-1674-429a-8bcd-0123456789ab via webhook: duplicate_call',
    'Delivery 98765432-1098-7654-3210-987654321098 rejected with 401 invalid_token',
    'Request req-9800000101-retry failed',
    'run 1700000000123 finished',
  ])('leaves %p alone', (input) => {
    expect(redactText(input)).toBe(input);
  });

  it('replaces configured secrets wherever they appear', () => {
    expect(
      redactText('GET /webhooks/knowlarity/tok_abcdefghijklmnopqrstuvwxyz?x=1', [
        'tok_abcdefghijklmnopqrstuvwxyz',
      ]),
    ).toBe('GET /webhooks/knowlarity/[redacted]?x=1');
  });
});
