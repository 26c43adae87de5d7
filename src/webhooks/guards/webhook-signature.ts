import { createHmac } from 'node:crypto';
import { bytesEqual } from '../../common/constant-time';

export type SignatureVerdict = 'valid' | 'missing' | 'invalid' | 'expired';

export interface SignatureInput {
  headers: Record<string, string | string[] | undefined>;
  /** The signed bytes: the raw body, or for GET the raw query string without the token. */
  payload: Buffer;
  secrets: readonly string[];
  /** The plain scheme's header, lower case (default `x-knowlarity-signature`). */
  signatureHeader: string;
  toleranceSeconds: number;
  nowSeconds: number;
}

const SHA256_BYTES = 32;

/**
 * Verifies an HMAC-SHA256 signature in either of two schemes, against every configured secret
 * (rotation: old and new are both accepted):
 *  - Standard Webhooks: `webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64> ...`
 *    over `<id>.<timestamp>.<payload>`, with the timestamp within the tolerance either way;
 *  - plain: `<signatureHeader>: [sha256=]<hex or base64>` over the payload.
 * A `whsec_` secret is a base64 key (Standard Webhooks' format); any other secret is used as its
 * UTF-8 bytes. Comparisons are constant-time after a length check.
 */
export function verifySignature(input: SignatureInput): SignatureVerdict {
  const standard = header(input.headers, 'webhook-signature');
  if (standard !== undefined) return verifyStandardWebhook(input, standard);

  const plain = header(input.headers, input.signatureHeader);
  if (plain === undefined) return 'missing';
  const given = decodeDigest(plain.replace(/^sha256=/i, ''));
  if (!given) return 'invalid';
  return input.secrets.some((secret) => bytesEqual(given, hmac(secret, input.payload)))
    ? 'valid'
    : 'invalid';
}

function verifyStandardWebhook(input: SignatureInput, signatures: string): SignatureVerdict {
  const id = header(input.headers, 'webhook-id');
  const timestamp = header(input.headers, 'webhook-timestamp');
  if (!id || !timestamp || !/^\d{1,12}$/.test(timestamp)) return 'invalid';
  const signed = Buffer.concat([Buffer.from(`${id}.${timestamp}.`), input.payload]);
  const candidates = signatures
    .split(' ')
    .map((entry) => entry.split(','))
    .filter(([version, value]) => version === 'v1' && value)
    .map(([, value]) => Buffer.from(value, 'base64'));
  const valid = input.secrets.some((secret) => {
    const expected = hmac(secret, signed);
    return candidates.some((candidate) => bytesEqual(candidate, expected));
  });
  if (!valid) return 'invalid';
  return Math.abs(input.nowSeconds - Number(timestamp)) > input.toleranceSeconds
    ? 'expired'
    : 'valid';
}

function hmac(secret: string, payload: Buffer): Buffer {
  const key = secret.startsWith('whsec_')
    ? Buffer.from(secret.slice(6), 'base64')
    : Buffer.from(secret);
  return createHmac('sha256', key).update(payload).digest();
}

/** A 32-byte digest sent as hex or base64 (standard or URL-safe); anything else is null. */
function decodeDigest(value: string): Buffer | null {
  const text = value.trim();
  if (/^[0-9a-f]{64}$/i.test(text)) return Buffer.from(text, 'hex');
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(text)) return null;
  const bytes = Buffer.from(text.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  return bytes.length === SHA256_BYTES ? bytes : null;
}

function header(headers: SignatureInput['headers'], name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}
