import { DomainError } from '../common/domain-error';

export class UnsupportedMediaTypeError extends DomainError {
  constructor() {
    super(
      'unsupported_media_type',
      'Send the call as JSON, application/x-www-form-urlencoded, JSON as text/plain, or a GET query string.',
    );
  }
}
