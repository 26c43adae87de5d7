import { DeliveryRecord } from '../database/lead-sync.repository';
import { WebhookRequest } from './webhook-payload';

/** Headers that carry credentials: kept as present, never with their value. */
const SECRET_HEADERS = new Set([
  'authorization',
  'proxy-authorization',
  'cookie',
  'x-api-key',
  'x-knowlarity-signature',
  'webhook-signature',
]);

export const REDACTED = '[redacted]';

/**
 * The delivery as it will be stored: everything needed to see what the sender sent and to replay
 * it, minus secrets. `extraSecretHeaders` names a configured signature header.
 */
export function toDeliveryRecord(
  request: WebhookRequest,
  extraSecretHeaders: readonly string[] = [],
): DeliveryRecord {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined) continue;
    const lower = name.toLowerCase();
    const secret = SECRET_HEADERS.has(lower) || extraSecretHeaders.includes(lower);
    headers[lower] = secret ? REDACTED : Array.isArray(value) ? value.join(', ') : value;
  }
  return {
    requestId: request.requestId,
    method: request.method,
    path: request.path,
    contentType: request.contentType ?? null,
    headers,
    query: request.rawQuery || null,
    rawBodyBase64: request.rawBody?.length ? request.rawBody.toString('base64') : null,
    bodyBytes: request.rawBody?.length ?? 0,
    bodyStored: true,
    remoteAddress: request.remoteAddress ?? null,
  };
}
