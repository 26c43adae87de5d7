/**
 * Log redaction: phone numbers keep only their last 4 digits, and known secrets (URL token,
 * HMAC secrets, API keys) are replaced wherever they appear in a log line.
 */
import { REDACTED } from '../common/secret-headers';

// 10 to 15 digits, optionally with a leading + and single spaces or dashes between digits: the
// shapes a phone takes. Dates (8 digits) and times stay readable; digits glued to letters (ids)
// are left alone.
const PHONE = /(?<![\w.:/%-])(\+?\d(?:[ -]?\d){9,14})(?![\w:])/g;
// A phone percent-encoded in a URL: %2B919800000101.
const ENCODED_PHONE = /%2[bB](\d{10,15})(?!\d)/g;

export function maskDigits(value: string): string {
  const digits = value.replace(/\D/g, '');
  return `${'*'.repeat(Math.max(digits.length - 4, 0))}${digits.slice(-4)}`;
}

export function redactText(text: string, secrets: readonly string[] = []): string {
  let result = text;
  for (const secret of secrets) {
    if (secret && result.includes(secret)) result = result.split(secret).join(REDACTED);
  }
  return result
    .replace(ENCODED_PHONE, (_, digits: string) => `%2B${maskDigits(digits)}`)
    .replace(PHONE, (match) => maskDigits(match));
}
