import type { TransformFnParams } from 'class-transformer';

/**
 * Query values arrive as strings; only plain digits become a number, so `1e3`, `0x10`, `5.0` or
 * ` 5` stay strings and fail `@IsInt` with the field's own message instead of being coerced.
 */
export function toInteger({ value }: TransformFnParams): unknown {
  return typeof value === 'string' && /^\d{1,16}$/.test(value) ? Number(value) : value;
}

/** Surrounding whitespace is not part of a name or a search. */
export function trimmed({ value }: TransformFnParams): unknown {
  return typeof value === 'string' ? value.trim() : value;
}

/** Only the words `true` and `false` become booleans (`Boolean('false')` is true). */
export function toBoolean({ value }: TransformFnParams): unknown {
  return value === 'true' ? true : value === 'false' ? false : value;
}
