import { DomainError } from '../common/domain-error';
import { CallEvent, normalizeCall, NormalizeOptions } from '../knowlarity';
import { InvalidWindowError } from './sync.errors';

/**
 * A call-log record as a CallEvent, or null when it cannot become one (no usable customer
 * phone): such records are counted by the caller, never a reason to fail a whole window.
 */
export function normalizeRecord(
  record: Record<string, unknown>,
  options: NormalizeOptions,
): CallEvent | null {
  try {
    return normalizeCall(record, options);
  } catch (error) {
    if (error instanceof DomainError) return null;
    throw error;
  }
}

/** A window to read from the call log: `from` before `to`, and `to` not in the future. */
export function assertSyncWindow(from: Date, to: Date, now: Date): void {
  if (!(from < to)) throw new InvalidWindowError('`from` must be before `to`.');
  if (to.getTime() > now.getTime() + 60_000) {
    throw new InvalidWindowError('`to` must not be in the future.');
  }
}
