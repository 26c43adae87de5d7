import { InvalidWindowError } from './sync.errors';

/** A window to read from the call log: `from` before `to`, and `to` not in the future. */
export function assertSyncWindow(from: Date, to: Date, now: Date): void {
  if (!(from < to)) throw new InvalidWindowError('`from` must be before `to`.');
  if (to.getTime() > now.getTime() + 60_000) {
    throw new InvalidWindowError('`to` must not be in the future.');
  }
}
