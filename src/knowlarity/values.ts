/** Strings Knowlarity (and the tools in front of it) send where a value is really absent. */
const EMPTY_MARKERS = new Set(['', 'none', 'null', 'undefined']);

const PERCENT_ESCAPE = /%[0-9a-f]{2}/i;

/**
 * Decodes percent-encoding left inside a value, e.g. the `%2B919876543210` that some Knowlarity
 * accounts put inside JSON strings. Applied up to three times so double-encoded values
 * (`%252B`) come out clean; a malformed sequence stops decoding but `%2B` is still honoured.
 */
export function decodePercentEncoding(value: string): string {
  let current = value;
  for (let round = 0; round < 3 && PERCENT_ESCAPE.test(current); round++) {
    try {
      current = decodeURIComponent(current);
    } catch {
      return current.replace(/%2b/gi, '+');
    }
  }
  return current;
}

/**
 * A payload value as trimmed text, or null when it is absent: `null`/`undefined`, an empty or
 * blank string, `"None"`, `"null"`, or anything that is not a string or a finite number.
 */
export function textOf(value: unknown): string | null {
  let text: string;
  if (typeof value === 'string') {
    text = value.trim();
  } else if (typeof value === 'number' && Number.isFinite(value)) {
    text = String(value);
  } else if (typeof value === 'bigint') {
    text = value.toString();
  } else {
    return null;
  }
  return EMPTY_MARKERS.has(text.toLowerCase()) ? null : text;
}

/** Like {@link textOf}, with percent-encoding decoded first (for labels, names and statuses). */
export function decodedTextOf(value: unknown): string | null {
  const text = textOf(value);
  return text === null ? null : textOf(decodePercentEncoding(text));
}

/**
 * True for an object literal, a parsed JSON object or a null-prototype record (Node's
 * `querystring`), including ones created in another realm; false for arrays, class instances,
 * dates, maps and scalars.
 */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return false;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === null || Object.getPrototypeOf(proto) === null;
}
