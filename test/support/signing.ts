import { createHmac } from 'node:crypto';

/** The plain scheme: HMAC-SHA256 of the bytes, hex. */
export function signHex(secret: string, payload: string | Buffer): string {
  return createHmac('sha256', secret).update(payload).digest('hex');
}

export function signBase64(secret: string, payload: string | Buffer): string {
  return createHmac('sha256', secret).update(payload).digest('base64');
}

/** Standard Webhooks headers for `body`, signed with a `whsec_` secret at `timestamp` (seconds). */
export function standardWebhookHeaders(
  secret: string,
  body: string,
  timestamp = Math.floor(Date.now() / 1000),
  id = `msg_${timestamp}`,
): Record<string, string> {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const signature = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64');
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': `v1,${signature}`,
  };
}
