import { decodePercentEncoding } from './values';

/** A phone number as the CRM matches it (`national`) and as it is stored (`e164`). */
export interface NormalizedPhone {
  /** 10 digits for India; for other countries the full number without `+` (see below). */
  national: string;
  e164: string;
}

const INDIA_CALLING_CODE = '91';
/** Shorter than this is an extension or a truncated value, never a caller. */
const MIN_DIGITS = 8;
/** The E.164 maximum. */
const MAX_DIGITS = 15;
const PUNCTUATION = /[\s\-.()]/g;
/** Indian toll-free prefixes: 11-digit national numbers that would otherwise look foreign. */
const INDIA_TOLL_FREE = /^1(800|860)\d{7}$/;

/**
 * Normalises a phone number as Knowlarity sends it (docs/knowlarity.md §5).
 *
 * Percent-encoding is decoded first (`%2B91...`), then whitespace, dashes, dots and parentheses
 * are stripped. With `defaultCountry` `IN`, `+91XXXXXXXXXX`, `91XXXXXXXXXX`, `0091XXXXXXXXXX`,
 * `0XXXXXXXXXX` and bare 10-digit numbers all become the 10-digit national number. A `+91`
 * number whose national part is not 10 digits is rejected rather than matched against the
 * wrong lead.
 *
 * Numbers of other countries are kept whole: splitting a country code from the national
 * number needs a numbering-plan library, so `national` is the digits without `+` and `e164`
 * is `+` and those digits. Digits without `+` that fit no Indian form (or any digits when
 * `defaultCountry` is not `IN`) are read as already carrying a country code, which is what a
 * `+` lost in transit (`URLSearchParams` turns it into a space) leaves behind; `00` is read as
 * the international prefix.
 *
 * Returns null for anything with letters, fewer than 8 or more than 15 digits, or a value that
 * is not a string or a positive integer.
 */
export function normalizePhone(input: unknown, defaultCountry = 'IN'): NormalizedPhone | null {
  let text: string;
  if (typeof input === 'string') {
    text = input;
  } else if (typeof input === 'number' && Number.isSafeInteger(input) && input > 0) {
    text = String(input);
  } else {
    return null;
  }

  const cleaned = decodePercentEncoding(text).trim().replace(PUNCTUATION, '');
  const match = /^(\+?)(\d+)$/.exec(cleaned);
  if (!match) {
    return null;
  }
  const [, plus, digits] = match;
  if (digits.length < MIN_DIGITS || digits.length > MAX_DIGITS) {
    return null;
  }
  if (plus) {
    return fromInternational(digits);
  }
  if (defaultCountry.toUpperCase() === 'IN') {
    const national = indianNationalFromLocal(digits);
    if (national) {
      return india(national);
    }
  }
  return fromInternational(digits.startsWith('00') ? digits.slice(2) : digits);
}

/**
 * A phone for logs: every digit but the last four replaced by `*` (`******0101`), other
 * characters kept. Values with four digits or fewer are masked entirely; absent values give
 * an empty string.
 */
export function maskPhone(phone: string | null | undefined): string {
  if (!phone) {
    return '';
  }
  const totalDigits = phone.replace(/\D/g, '').length;
  const keep = totalDigits > 4 ? 4 : 0;
  let seen = 0;
  return phone.replace(/\d/g, (digit) => {
    seen += 1;
    return seen > totalDigits - keep ? digit : '*';
  });
}

/** The Indian national number for the forms written without `+`, or null. */
function indianNationalFromLocal(digits: string): string | null {
  if (digits.length === 10 && digits[0] !== '0') {
    return digits;
  }
  if (digits.length === 11 && digits[0] === '0') {
    return indianNational(digits.slice(1));
  }
  if (INDIA_TOLL_FREE.test(digits)) {
    return digits;
  }
  if (digits.length === 12 && digits.startsWith(INDIA_CALLING_CODE)) {
    return indianNational(digits.slice(2));
  }
  if (digits.length === 14 && digits.startsWith('00' + INDIA_CALLING_CODE)) {
    return indianNational(digits.slice(4));
  }
  return null;
}

/** A full international number (country code first, no `+`). */
function fromInternational(digits: string): NormalizedPhone | null {
  if (digits.length < MIN_DIGITS || digits.length > MAX_DIGITS || digits[0] === '0') {
    return null; // no calling code starts with 0
  }
  if (digits.startsWith(INDIA_CALLING_CODE)) {
    // Calling codes are prefix-free, so `91...` is always India and must have a valid national part.
    let rest = digits.slice(INDIA_CALLING_CODE.length);
    if (rest.length === 11 && rest[0] === '0') {
      rest = rest.slice(1); // `+91 (0) 98...`: the trunk prefix written after the country code
    }
    const national = indianNational(rest);
    return national ? india(national) : null;
  }
  return { national: digits, e164: `+${digits}` };
}

function indianNational(digits: string): string | null {
  if (digits.length === 10 && digits[0] !== '0') {
    return digits;
  }
  return INDIA_TOLL_FREE.test(digits) ? digits : null;
}

function india(national: string): NormalizedPhone {
  return { national, e164: `+${INDIA_CALLING_CODE}${national}` };
}
