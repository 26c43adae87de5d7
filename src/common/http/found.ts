import { NotFoundException } from '@nestjs/common';

/** `value` when the look-up found one; otherwise a 404 carrying `code` and `message`. */
export function found<T>(value: T | null | undefined, code: string, message: string): T {
  if (value === null || value === undefined) throw new NotFoundException({ code, message });
  return value;
}
