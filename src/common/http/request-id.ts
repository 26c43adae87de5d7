import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { overlapsSecret } from '../secret-scrubber';

/** A short id of safe characters: what a proxy or a client's tracing puts in x-request-id. */
const REQUEST_ID = /^[\w.:-]{1,64}$/;

/**
 * Fastify's `genReqId`: a caller's own request id is kept when it is a short id of safe
 * characters and holds no configured secret (a client that sends its token as the request id
 * must not have it logged on every line), so logs join up across hops; anything else gets a
 * fresh UUID. The id is also left on the raw request, where the HTTP logger picks it up.
 */
export function requestIdGenerator(
  secrets: readonly string[],
): (request: IncomingMessage) => string {
  return (request) => {
    const given = request.headers['x-request-id'];
    const acceptable =
      typeof given === 'string' && REQUEST_ID.test(given) && !overlapsSecret(given, secrets);
    const id = acceptable ? given : randomUUID();
    request.id = id;
    return id;
  };
}
