import { DeliveryRecord } from '../database/lead-sync.repository';
import { REDACTED, SECRET_HEADERS } from '../common/secret-headers';
import { WebhookRequest } from './webhook-payload';

const SECRETS = new Set(SECRET_HEADERS);

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
    const secret = SECRETS.has(lower) || extraSecretHeaders.includes(lower);
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
