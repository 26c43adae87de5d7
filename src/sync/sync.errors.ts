import { DomainError } from '../common/domain-error';

/** Another poll or back-fill holds the lease (in this process or elsewhere in the cluster). */
export class SyncInProgressError extends DomainError {
  constructor(owner?: string | null) {
    super(
      'sync_in_progress',
      owner
        ? 'A call-log sync is already running on another instance.'
        : 'A call-log sync is already running.',
      409,
    );
  }
}

/** Polling needs KNOWLARITY_API_KEY and KNOWLARITY_SR_API_KEY. */
export class SyncNotConfiguredError extends DomainError {
  constructor() {
    super(
      'sync_not_configured',
      'Knowlarity API credentials are not configured (KNOWLARITY_API_KEY, KNOWLARITY_SR_API_KEY).',
      409,
    );
  }
}

export class InvalidWindowError extends DomainError {
  constructor(message: string) {
    super('invalid_window', message, 400);
  }
}
