import { DomainError } from '../common/domain-error';

export class UnsupportedMediaTypeError extends DomainError {
  constructor() {
    super(
      'unsupported_media_type',
      'Send the call as JSON, application/x-www-form-urlencoded, JSON as text/plain, or a GET query string.',
      415,
    );
  }
}

/**
 * A webhook request refused before its content is looked at (address, token, signature, size):
 * it did not pass authentication, so what it carries is an unknown sender's.
 */
export class WebhookAccessError extends DomainError {}

export const ipNotAllowed = () =>
  new WebhookAccessError('ip_not_allowed', 'Deliveries are not accepted from this address.', 403);
export const invalidToken = () =>
  new WebhookAccessError('invalid_token', 'The webhook URL token is missing or wrong.', 401);
export const invalidSignature = (missing: boolean) =>
  new WebhookAccessError(
    'invalid_signature',
    missing ? 'The request carries no signature.' : 'The signature does not match the request.',
    401,
  );
export const signatureExpired = () =>
  new WebhookAccessError(
    'signature_expired',
    'The signature timestamp is outside the accepted window.',
    401,
  );
export const emptySignedBody = () =>
  new WebhookAccessError(
    'empty_body',
    'A signed POST needs a body: the signature covers the body and nothing else.',
    400,
  );

/** Only GET and POST deliver calls; a HEAD (which Fastify routes to GET handlers) never does. */
export class MethodNotAllowedError extends DomainError {
  constructor() {
    super('method_not_allowed', 'Deliver calls with GET or POST.', 405);
  }
}
