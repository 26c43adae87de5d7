import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { IncomingMessage } from 'node:http';
import { DomainError } from '../domain-error';
import { isTooDeep, MAX_JSON_DEPTH } from './json-depth';

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
    let body: unknown;
    try {
      body = JSON.parse(bytes.toString('utf8'));
    } catch {
      return { body: undefined, error: 'The body is not valid JSON.' };
    }
    if (isTooDeep(body)) {
      return { body: undefined, error: `The body is nested deeper than ${MAX_JSON_DEPTH} levels.` };
    }
    return { body };
  }
  if (FORM_TYPE.test(type))
    return { body: Object.fromEntries(new URLSearchParams(bytes.toString('utf8'))) };
  return { body: bytes };
}

/**
 * Replaces Fastify's body parsers with one that keeps the raw bytes of every request (signatures
 * are computed over them). On the routes `keepsMalformed` names (the webhook, which records every
 * delivery) a malformed JSON body never throws: it reaches the handler, which stores it and
 * answers 400. Anywhere else it is a 400 invalid_payload before validation runs.
 */
export function registerRawBodyParser(
  fastify: FastifyInstance,
  bodyLimit: number,
  keepsMalformed: (url: string) => boolean,
): void {
  // Fastify refuses a malformed Content-Type (";;;", "") before reading the body, which would lose
  // the bytes. It is set aside here and the body read as octet-stream; handlers see the original.
  fastify.addHook('onRequest', (request, _reply, done) => {
    const contentType = request.headers['content-type'];
    if (contentType !== undefined && !MEDIA_TYPE.test(contentType)) {
      (request as RawBodyRequest).originalContentType = contentType;
      request.headers['content-type'] = 'application/octet-stream';
    }
    done();
  });
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit }, (request, body, done) => {
    const req = request as RawBodyRequest;
    req.rawBody = body as Buffer;
    const parsed = parseBody(request.headers['content-type'], req.rawBody);
    req.bodyParseError = parsed.error;
    if (parsed.error !== undefined && !keepsMalformed(request.url)) {
      done(new DomainError('invalid_payload', parsed.error, 400), undefined);
      return;
    }
    done(null, parsed.body);
  });
}

/**
 * Reads a body Fastify never read (it refused the request before routing: an unreadable URL), up
 * to `limit` bytes; null when it is larger or already consumed, so the refusal is then recorded
 * by its declared size.
 */
export async function readUnparsedBody(
  raw: IncomingMessage,
  limit: number,
): Promise<Buffer | null> {
  if (raw.readableEnded || raw.readableDidRead) return null;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of raw as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      raw.resume();
      return null;
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}
