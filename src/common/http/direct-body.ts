import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { errorCodes } from 'fastify';

type Done = (error: Error | null, body?: unknown) => void;

/** The parts of Fastify's per-instance content-type parser this module relies on. */
interface ContentTypeParser {
  getParser(contentType: string):
    | {
        asBuffer?: boolean;
        bodyLimit: number;
        fn: (request: FastifyRequest, body: Buffer, done: Done) => unknown;
      }
    | undefined;
  run(
    contentType: string,
    handler: (request: FastifyRequest, reply: FastifyReply) => void,
    request: FastifyRequest,
    reply: FastifyReply,
  ): void;
}

const PARSER_SYMBOL = 'fastify.contentTypeParser';

/**
 * Reads the bodies of the requests `direct(url)` names straight from the request stream, then
 * hands them to the registered buffer parser, as Fastify would, minus the async context.
 *
 * Fastify wraps every body read in an `AsyncResource` so that the parser's callback runs in the
 * request's async context (an AsyncLocalStorage store opened before the body arrived). In Node 20
 * that is a resource, its init and destroy hooks and a bound function per request, and each bind
 * builds two `util.deprecate` wrappers (DEP0172): about 5% of the service's CPU per webhook. The
 * Hook API routes open no store (see RequestLogging), so nothing needs that context; every other
 * route keeps Fastify's reader. Same limits and errors as Fastify's own reader: a declared or
 * received length over the parser's body limit is FST_ERR_CTP_BODY_TOO_LARGE (413, the connection
 * closed), a length that does not match Content-Length FST_ERR_CTP_INVALID_CONTENT_LENGTH (400).
 *
 * Fastify keeps its parsers on a symbol of the instance, the one internal this relies on; if a
 * Fastify upgrade moves it, boot fails here rather than the routes silently losing the shortcut.
 * The direct routes must set no `bodyLimit` of their own and have no `preParsing` hook (the
 * service sets neither): the parser's limit and the raw stream are what is read.
 */
export function readBodiesDirectly(
  fastify: FastifyInstance,
  direct: (url: string) => boolean,
): void {
  const symbol = Object.getOwnPropertySymbols(fastify).find(
    (candidate) => candidate.description === PARSER_SYMBOL,
  );
  const parsers = symbol && (fastify as unknown as Record<symbol, ContentTypeParser>)[symbol];
  if (!parsers || typeof parsers.run !== 'function' || typeof parsers.getParser !== 'function') {
    throw new Error(`Fastify's content-type parser is not where readBodiesDirectly expects it`);
  }
  const fastifyRun = parsers.run;
  parsers.run = function run(contentType, handler, request, reply) {
    const parser = direct(request.url) ? this.getParser(contentType) : undefined;
    if (parser?.asBuffer !== true) {
      fastifyRun.call(this, contentType, handler, request, reply);
      return;
    }
    const done: Done = (error, body) => {
      if (error != null) {
        // As Fastify does: the client may still be sending what was not read.
        void reply.header('connection', 'close');
        void reply.send(error);
        return;
      }
      request.body = body;
      handler(request, reply);
    };
    readBody(request, parser.bodyLimit, (error, bytes) => {
      if (error) {
        done(error);
        return;
      }
      // A parser may also answer with a promise, as Fastify allows.
      const result = parser.fn(request, bytes!, done);
      if (result instanceof Promise) result.then((body) => done(null, body), done);
    });
  };
}

/** Fastify's reader for a buffer parser (content-type-parser.js, rawBody), on the raw stream. */
function readBody(
  request: FastifyRequest,
  limit: number,
  done: (error: Error | null, bytes?: Buffer) => void,
): void {
  const declared = Number(request.headers['content-length']);
  if (declared > limit) {
    done(new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE());
    return;
  }
  const stream = request.raw;
  const chunks: Buffer[] = [];
  let received = 0;
  const detach = () => {
    stream.removeListener('data', onData);
    stream.removeListener('end', onEnd);
    stream.removeListener('error', onEnd);
  };
  function onData(chunk: Buffer): void {
    received += chunk.length;
    if (received > limit) {
      detach();
      done(new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE());
      return;
    }
    chunks.push(chunk);
  }
  function onEnd(error?: Error & { statusCode?: number }): void {
    detach();
    if (error != null) {
      if (!(typeof error.statusCode === 'number' && error.statusCode >= 400))
        error.statusCode = 400;
      done(error);
      return;
    }
    if (!Number.isNaN(declared) && received !== declared) {
      done(new errorCodes.FST_ERR_CTP_INVALID_CONTENT_LENGTH());
      return;
    }
    // A body in one chunk (every webhook) is kept as it came, not copied.
    done(null, chunks.length === 1 ? chunks[0] : Buffer.concat(chunks));
  }
  stream.on('data', onData);
  stream.on('end', onEnd);
  stream.on('error', onEnd);
  stream.resume();
}
