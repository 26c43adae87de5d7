/** Headers that carry credentials: stored and logged as present, never with their value. */
export const SECRET_HEADERS: readonly string[] = [
  'authorization',
  'proxy-authorization',
  'cookie',
  'x-api-key',
  'x-knowlarity-signature',
  'webhook-signature',
];

export const REDACTED = '[redacted]';
