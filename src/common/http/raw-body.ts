import type { FastifyInstance, FastifyRequest } from 'fastify';

/** What the body parser leaves on every request: the bytes as received, and how JSON fared. */
export interface RawBodyRequest extends FastifyRequest {
  rawBody?: Buffer;
  /** Set when a JSON body did not parse; the body is then undefined. */
  bodyParseError?: string;
}

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\b/i;
const FORM_TYPE = /^application\/x-www-form-urlencoded\b/i;

/**
 * Replaces Fastify's body parsers with one that keeps the raw bytes of every request (signatures
 * are computed over them) and never throws for a malformed body: a client's mistake must reach
 * the handler, which records the delivery and answers 400, instead of Fastify's generic error.
 * JSON and form bodies are parsed; any other type is handed on as the raw Buffer.
 */
export function registerRawBodyParser(fastify: FastifyInstance, bodyLimit: number): void {
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit }, (request, body, done) => {
    const req = request as RawBodyRequest;
    const bytes = body as Buffer;
    req.rawBody = bytes;
    const contentType = request.headers['content-type'] ?? '';
    if (JSON_TYPE.test(contentType)) {
      if (bytes.length === 0) return done(null, undefined);
      try {
        return done(null, JSON.parse(bytes.toString('utf8')));
      } catch {
        req.bodyParseError = 'The body is not valid JSON.';
        return done(null, undefined);
      }
    }
    if (FORM_TYPE.test(contentType)) {
      return done(null, Object.fromEntries(new URLSearchParams(bytes.toString('utf8'))));
    }
    done(null, bytes);
  });
}
