import { DomainError } from '../common/domain-error';
import {
  CUSTOMER_PHONE_KEYS,
  InvalidPayloadError,
  NoCustomerPhoneError,
} from './knowlarity.errors';

describe('Knowlarity domain errors', () => {
  it('InvalidPayloadError carries a stable code and its own name', () => {
    const error = new InvalidPayloadError();

    expect(error).toBeInstanceOf(DomainError);
    expect(error).toBeInstanceOf(Error);
    expect(error.code).toBe('invalid_payload');
    expect(error.name).toBe('InvalidPayloadError');
    expect(error.message).toBe(
      'The payload is not a JSON object or form body describing one call.',
    );
  });

  it('InvalidPayloadError accepts a specific message', () => {
    expect(new InvalidPayloadError('Not one call.').message).toBe('Not one call.');
  });

  it('NoCustomerPhoneError names the keys it looked for and the usual cause', () => {
    const error = new NoCustomerPhoneError();

    expect(error).toBeInstanceOf(DomainError);
    expect(error.code).toBe('no_customer_phone');
    expect(error.name).toBe('NoCustomerPhoneError');
    expect(error.lookedFor).toEqual(CUSTOMER_PHONE_KEYS);
    expect(error.message).toBe(
      'No customer phone number found in the payload (looked for customer_number, caller_id, ' +
        'caller_number, caller, customer). A dashboard test ping lands here.',
    );
  });

  it('DomainError keeps code and message and has a stack', () => {
    const error = new DomainError('some_code', 'Something happened.');

    expect(error.code).toBe('some_code');
    expect(error.message).toBe('Something happened.');
    expect(error.name).toBe('DomainError');
    expect(error.stack).toContain('Something happened.');
  });
});
