import { REDACTED, SECRET_HEADERS } from '../common/secret-headers';
import { scrubSecrets } from '../common/secret-scrubber';
import { DeliveryRecord } from '../database/lead-sync.repository';
import { WebhookRequest } from './webhook-payload';
import { WEBHOOK_PATH } from './webhook-request';

const SECRETS = new Set(SECRET_HEADERS);

/** What the presented URL token was: the record says so, never the token itself. */
export type TokenVerdict = 'valid' | 'previous' | 'wrong' | 'unchecked';

export interface RecordOptions {
  /** Headers whose values are credentials beyond SECRET_HEADERS (a configured signature header). */
  secretHeaders: readonly string[];
  /** Every configured secret, removed from every stored field in any spelling. */
  secrets: readonly string[];
  tokenVerdict: (token: string) => TokenVerdict;
}

/** The stand-in for a token in a stored path or query: `[valid-token]`, `[wrong-token]`, ... */
export function tokenMarker(verdict: TokenVerdict): string {
  return verdict === 'unchecked' ? '[token]' : `[${verdict}-token]`;
}

/**
 * The delivery as it will be stored: everything needed to see what the sender sent and to replay
 * it, minus secrets. The token's place in the path or query holds its verdict instead
 * (`/webhooks/knowlarity/[previous-token]`), so an operator can tell a delivery sent with a
 * rotated-out token from a guess; a secret anywhere else (a Referer, a query value) is redacted.
 */
export function toDeliveryRecord(request: WebhookRequest, options: RecordOptions): DeliveryRecord {
  const scrub = (text: string) => scrubSecrets(text, options.secrets);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined) continue;
    const lower = name.toLowerCase();
    const secret = SECRETS.has(lower) || options.secretHeaders.includes(lower);
    headers[lower] = secret ? REDACTED : scrub(Array.isArray(value) ? value.join(', ') : value);
  }
  const marker =
    request.token === undefined
      ? undefined
      : tokenMarker(request.tokenVerdict ?? options.tokenVerdict(request.token));
  const path = request.tokenIn === 'path' && marker ? `${WEBHOOK_PATH}/${marker}` : request.path;
  const queryParts = request.rawQuery === '' ? [] : [scrub(request.rawQuery)];
  if (request.tokenIn === 'query' && marker) queryParts.push(`token=${marker}`);
  return {
    requestId: request.requestId,
    method: request.method,
    path,
    contentType: request.contentType ?? null,
    headers,
    query: queryParts.length > 0 ? queryParts.join('&') : null,
    rawBodyBase64: request.rawBody?.length ? request.rawBody.toString('base64') : null,
    bodyBytes: request.rawBody?.length ?? 0,
    bodyStored: true,
    remoteAddress: request.remoteAddress ?? null,
  };
}
