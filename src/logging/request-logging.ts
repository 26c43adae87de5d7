import { Inject, Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { storage, Store } from 'nestjs-pino/storage';
import type { Level, Logger } from 'pino';
import type { HttpLogger } from 'pino-http';

/** The pino-http instance request logging uses (one per application). */
export const HTTP_LOGGER = Symbol('HTTP_LOGGER');
/** Which URLs write their own one line per request (see RequestLogging). */
export const WRITES_OWN_LINE = Symbol('WRITES_OWN_LINE');
/** Requests pino-http writes no "request completed" line for (probes and scrapes). */
export const UNLOGGED_PATHS = /^\/(health|metrics)\b/;

/**
 * Per-request logging, in place of nestjs-pino's middleware: every line written while a request
 * is handled carries its `requestId`, through nestjs-pino's request store.
 *
 * Routes for which `writesOwnLine(url)` holds (the webhook: one line per delivery, written by
 * the delivery service with its outcome) skip pino-http and the request store: no "request
 * completed" line, no child loggers, no store. pino-http makes two child loggers per request
 * (about a tenth of the service's CPU per webhook), even when nothing is logged. Those routes
 * write through a {@link RequestLog} instead, naming the request's id on each line themselves.
 * The requests pino-http would write no line for (the unlogged paths, and every request while
 * `info`, its level, is off) keep the store but get a logger whose child is made on the first
 * line the request actually writes, at an enabled level. The others keep pino-http as it was.
 *
 * A Fastify `onRequest` hook rather than a Nest middleware: with any middleware, Fastify's
 * middleware layer copies the client address, the forwarded addresses, the host and the parsed
 * query onto every raw request before running it, work no route here uses.
 */
@Injectable()
export class RequestLogging {
  constructor(
    @Inject(HTTP_LOGGER) private readonly httpLogger: HttpLogger,
    @Inject(WRITES_OWN_LINE) private readonly writesOwnLine: (url: string) => boolean,
  ) {}

  readonly onRequest = (
    request: FastifyRequest,
    reply: FastifyReply,
    done: HookHandlerDoneFunction,
  ): void => {
    if (this.writesOwnLine(request.url)) {
      done();
      return;
    }
    if (!this.completionLogged(request.url)) {
      const logger = new LazyRequestLogger(this.httpLogger.logger, request.id).asLogger();
      storage.run(new Store(logger), done);
      return;
    }
    const { raw } = request;
    // pino-http leaves the request's logger (a child per request) last in `allLogs`.
    this.httpLogger(raw, reply.raw);
    storage.run(new Store(raw.allLogs[raw.allLogs.length - 1]), done);
  };

  /** Whether pino-http would write a "request completed" line for `url`. */
  private completionLogged(url: string): boolean {
    return this.httpLogger.logger.isLevelEnabled('info') && !UNLOGGED_PATHS.test(url);
  }

  /** Lines of `context` (a class name) about requests named by their id: see RequestLog. */
  forContext(context: string): RequestLog {
    return new RequestLog(this.httpLogger.logger, context);
  }
}

/**
 * Writes a class's lines about one request with the request's id as its `requestId` field, the
 * same line the request's own logger would write, without the request store, which the webhook
 * routes do not open (Node 20's AsyncLocalStorage hands the store on to every promise and
 * callback made while it is set). Nothing is formatted when the level is off: ask `enabled`
 * before building a costly message.
 */
export class RequestLog {
  constructor(
    private readonly root: Logger,
    private readonly context: string,
  ) {}

  enabled(level: Level): boolean {
    return this.root.isLevelEnabled(level);
  }

  info(requestId: string, message: string): void {
    this.write('info', requestId, message);
  }

  warn(requestId: string, message: string): void {
    this.write('warn', requestId, message);
  }

  error(requestId: string, message: string): void {
    this.write('error', requestId, message);
  }

  private write(level: Level, requestId: string, message: string): void {
    if (this.root.isLevelEnabled(level)) {
      this.root[level]({ requestId, context: this.context }, message);
    }
  }
}

const LEVELS: Level[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];

/**
 * The part of a pino logger nestjs-pino's PinoLogger uses (a method per level, `child`), that
 * becomes `root.child({ requestId })` only when a line is written at an enabled level.
 */
class LazyRequestLogger {
  private child?: Logger;

  constructor(
    private readonly root: Logger,
    private readonly requestId: string,
  ) {}

  asLogger(): Logger {
    return this as unknown as Logger;
  }

  /** nestjs-pino's `assign` binds more fields to the request's logger. */
  childOf(bindings: Record<string, unknown>): Logger {
    return this.logger().child(bindings);
  }

  logger(): Logger {
    this.child ??= this.root.child({ requestId: this.requestId });
    return this.child;
  }

  write(level: Level, args: unknown[]): void {
    if (!this.root.isLevelEnabled(level)) return;
    const logger = this.logger();
    Reflect.apply(logger[level], logger, args);
  }
}

for (const level of LEVELS) {
  Object.defineProperty(LazyRequestLogger.prototype, level, {
    value: function (this: LazyRequestLogger, ...args: unknown[]) {
      this.write(level, args);
    },
  });
}
Object.defineProperty(LazyRequestLogger.prototype, 'child', {
  value: function (this: LazyRequestLogger, bindings: Record<string, unknown>) {
    return this.childOf(bindings);
  },
});
