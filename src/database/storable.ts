/**
 * PostgreSQL text and jsonb cannot hold U+0000 or a lone UTF-16 surrogate, which any client can
 * put in a payload: NULs are dropped and lone surrogates become U+FFFD on the way to the
 * database, instead of failing the call. Every driver sends its arguments through these.
 *
 * Walking every argument on every call cost about 4% of the service's CPU per webhook, for
 * characters that almost never occur. `JSON.stringify` writes both as escapes (`\u0000`,
 * `\ud800`), so the JSON text is checked once, natively, and only a text that holds one is
 * rebuilt from a cleaned copy of the value.
 */

/** `\u0000` and the escape of a surrogate half (a paired surrogate is written as itself). */
const UNSTORABLE_ESCAPE = /\\u(?:0000|d[89a-f])/i;

/** A string PostgreSQL accepts as text. */
export function storableText(text: string): string {
  const withoutNul = text.includes('\0') ? text.replaceAll('\0', '') : text;
  return withoutNul.isWellFormed() ? withoutNul : withoutNul.toWellFormed();
}

/** The JSON text of `value`, for a json or jsonb parameter PostgreSQL accepts. */
export function storableJson(value: unknown): string {
  const text = JSON.stringify(value);
  // A plain search for `\u` first: the regular expression over a group commit's text cost
  // more than the stringify itself, and almost no text holds an escape at all.
  return text.includes('\\u') && UNSTORABLE_ESCAPE.test(text)
    ? JSON.stringify(storable(value))
    : text;
}

/** A deep copy of `value` with every string (keys included) made storable. */
export function storable(value: unknown): unknown {
  if (typeof value === 'string') return storableText(value);
  if (value === null || typeof value !== 'object' || value instanceof Date) return value;
  if (Array.isArray(value)) return value.map(storable);
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [storableText(key), storable(item)]),
  );
}
