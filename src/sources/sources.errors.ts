import { DomainError } from '../common/domain-error';

/** A recount (or the first build of the counts) is running here or on another instance. */
export class RecountInProgressError extends DomainError {
  constructor() {
    super('recount_in_progress', 'A recount of the source counts is already running.', 409);
  }
}
