import type { FastifyInstance, FastifyRequest } from 'fastify';

/** What the body parser leaves on every request: the bytes as received, and how JSON fared. */
export interface RawBodyRequest extends FastifyRequest {
  rawBody?: Buffer;
  /** Set when a JSON body did not parse; the body is then undefined. */
  bodyParseError?: string;
  /** A Content-Type header Fastify could not parse, as sent (the request then reads as bytes). */
  originalContentType?: string;
}

export interface ParsedBody {
  body: unknown;
  error?: string;
}

const TOKEN = "[!#$%&'*+.^_`|~0-9A-Za-z-]+";
const MEDIA_TYPE = new RegExp(`^\\s*${TOKEN}/${TOKEN}\\s*(;.*)?$`);
/** `application/json` and its `+json` relatives (`application/vnd.api+json`). */
export const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\b/i;
export const FORM_TYPE = /^application\/x-www-form-urlencoded\b/i;

/**
 * JSON and form bodies become objects; any other type stays the raw Buffer. A malformed JSON
 * body is reported, never thrown: the handler decides what a client's mistake means.
 */
export function parseBody(contentType: string | undefined, bytes: Buffer): ParsedBody {
  const type = contentType ?? '';
  if (JSON_TYPE.test(type)) {
    if (bytes.length === 0) return { body: undefined };
    try {
      return { body: JSON.parse(bytes.toString('utf8')) };
    } catch {
      return { body: undefined, error: 'The body is not valid JSON.' };
    }
  }
  if (FORM_TYPE.test(type))
    return { body: Object.fromEntries(new URLSearchParams(bytes.toString('utf8'))) };
  return { body: bytes };
}

/**
 * Replaces Fastify's body parsers with one that keeps the raw bytes of every request (signatures
 * are computed over them) and never throws for a malformed body: a client's mistake must reach
 * the handler, which records the delivery and answers 400, instead of Fastify's generic error.
 */
export function registerRawBodyParser(fastify: FastifyInstance, bodyLimit: number): void {
  // Fastify refuses a malformed Content-Type (";;;", "") before reading the body, which would lose
  // the bytes. It is set aside here and the body read as octet-stream; handlers see the original.
  fastify.addHook('onRequest', async (request) => {
    const contentType = request.headers['content-type'];
    if (contentType !== undefined && !MEDIA_TYPE.test(contentType)) {
      (request as RawBodyRequest).originalContentType = contentType;
      request.headers['content-type'] = 'application/octet-stream';
    }
  });
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit }, (request, body, done) => {
    const req = request as RawBodyRequest;
    req.rawBody = body as Buffer;
    const parsed = parseBody(request.headers['content-type'], req.rawBody);
    req.bodyParseError = parsed.error;
    done(null, parsed.body);
  });
}
