import { DomainError } from '../common/domain-error';

/** The customer-phone keys the normaliser reads, in priority order (docs/knowlarity.md §4). */
export const CUSTOMER_PHONE_KEYS: readonly string[] = [
  'customer_number',
  'caller_id',
  'caller_number',
  'caller',
  'customer',
];

/** The body is not a single call: not a JSON object or form body (an array, a scalar, ...). */
export class InvalidPayloadError extends DomainError {
  constructor(message = 'The payload is not a JSON object or form body describing one call.') {
    super('invalid_payload', message, 400);
  }
}

/**
 * The payload carries no customer phone that parses as a phone number. Without it there is no
 * lead to create, so the delivery is kept for inspection and otherwise ignored.
 */
export class NoCustomerPhoneError extends DomainError {
  constructor(readonly lookedFor: readonly string[] = CUSTOMER_PHONE_KEYS) {
    super(
      'no_customer_phone',
      `No customer phone number found in the payload (looked for ${lookedFor.join(', ')}). ` +
        'A dashboard test ping lands here.',
      422,
    );
  }
}
