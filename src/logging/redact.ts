/**
 * Log redaction: phone numbers keep only their last 4 digits, and known secrets (URL token,
 * HMAC secrets, API keys) are replaced wherever they appear in a log line, percent-encoded too. Identifiers are left
 * intact so log lines still join up: a request id such as `12345678-1674-429a-…` is not a phone.
 */
import { scrubSecrets } from '../common/secret-scrubber';
import { maskPhone } from '../knowlarity/phone';

// A candidate: 10 to 15 digits, optionally with a leading + and single spaces or dashes between
// digits, standing alone. Digits glued to letters, or going on as `-<letter or digit>` (a UUID or
// another hyphenated id), are part of an identifier and are not candidates.
const CANDIDATE = /(?<![\w.:/%-])(\+?\d(?:[ -]?\d){9,14})(?![\w:]|-\w)/g;
// A phone percent-encoded in a URL: %2B919800000101.
const ENCODED_PHONE = /%2[bB](\d{10,15})(?!\d)/g;
// Without a +, only what is shaped like an Indian number is a phone: a mobile (10 digits from 6
// to 9, with an optional 0, 91 or 0091 in front) or a trunk-dialled landline (0 + 10 digits).
// Other long numbers (durations, epoch milliseconds, counters) stay readable.
const NATIONAL_PHONE = /^(?:(?:0|91|0091)?[6-9]\d{9}|0\d{10})$/;

function maskCandidate(match: string): string {
  const digits = match.replace(/\D/g, '');
  const phone = match.startsWith('+') || NATIONAL_PHONE.test(digits);
  return phone ? maskPhone(digits) : match;
}

export function redactText(text: string, secrets: readonly string[] = []): string {
  return scrubSecrets(text, secrets)
    .replace(ENCODED_PHONE, (_, digits: string) => `%2B${maskPhone(digits)}`)
    .replace(CANDIDATE, maskCandidate);
}
