import type { IncomingMessage, ServerResponse } from 'node:http';
import { storage, Store } from 'nestjs-pino/storage';
import type { Level, Logger } from 'pino';
import type { HttpLogger } from 'pino-http';

type LoggedRequest = IncomingMessage & { id?: string; originalUrl?: string; allLogs?: Logger[] };

/**
 * The per-request logging middleware, in place of nestjs-pino's: every line written while a
 * request is handled carries its `requestId`, through nestjs-pino's request store.
 *
 * Routes for which `writesOwnLine(url)` holds (the webhook: one line per delivery, written by
 * the delivery service with its outcome) skip pino-http: no "request completed" line, and no
 * child loggers made up front. pino-http makes two per request (about a tenth of the service's
 * CPU per webhook), even when nothing is logged; here the child is made on the first line the
 * request actually writes, at an enabled level. Every other route keeps pino-http as it was.
 */
export function requestLoggingMiddleware(
  httpLogger: HttpLogger,
  writesOwnLine: (url: string) => boolean,
) {
  return (req: LoggedRequest, res: ServerResponse, next: () => void): void => {
    // Fastify's middleware engine strips the mount path from `url`; the original is kept.
    if (writesOwnLine(req.originalUrl ?? req.url ?? '')) {
      const logger = new LazyRequestLogger(httpLogger.logger, req.id ?? '').asLogger();
      storage.run(new Store(logger), next);
      return;
    }
    httpLogger(req, res);
    storage.run(new Store(req.allLogs[req.allLogs.length - 1]), next);
  };
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
