import { LoggerService } from '@nestjs/common';
import pino, { DestinationStream, Logger as PinoLogger } from 'pino';
import pinoPretty from 'pino-pretty';
import { Env, InvalidConfigError } from '../config/env';
import { DataDirectoryLockedError } from '../database/data-directory-lock';
import { DomainError } from '../common/domain-error';
import { parseLoggingConfig } from '../config/logging.config';
import { redactText } from './redact';

/**
 * The logger of the lines written before the application's own (nestjs-pino) logger exists, and
 * of the one-shot commands: the same pino line shape (`level`, `time`, `context`, `msg`), the
 * same level and the same choice of JSON or readable output, phone numbers masked. So a log has
 * one format from its first line, whether boot succeeds or not.
 */
export function createBootLogger(
  env: Env,
  options: { destination?: DestinationStream; stderr?: boolean } = {},
): PinoLogger {
  let config: ReturnType<typeof parseLoggingConfig>;
  try {
    config = parseLoggingConfig(env);
  } catch {
    // A bad LOG_LEVEL is reported by the configuration check itself, through this logger.
    config = parseLoggingConfig({ ...env, LOG_LEVEL: undefined });
  }
  const fd = options.stderr ? 2 : 1;
  const destination =
    options.destination ??
    (config.pretty
      ? pinoPretty({ singleLine: true, sync: true, destination: fd })
      : pino.destination({ fd, sync: true }));
  return pino(
    {
      level: config.level,
      hooks: {
        logMethod(this: unknown, args: unknown[], method: (...a: unknown[]) => void) {
          method.apply(
            this,
            args.map((arg) => (typeof arg === 'string' ? redactText(arg) : arg)),
          );
        },
      },
    },
    destination,
  );
}

/**
 * Nest's logger interface over a pino logger, for `NestFactory.create({ logger })`: Nest's own
 * boot lines go out in pino's format before nestjs-pino takes over.
 */
export class PinoLoggerService implements LoggerService {
  constructor(private readonly pino: PinoLogger) {}

  readonly log = this.writerAt('info');
  readonly error = this.writerAt('error');
  readonly warn = this.writerAt('warn');
  readonly debug = this.writerAt('debug');
  readonly verbose = this.writerAt('trace');
  readonly fatal = this.writerAt('fatal');

  /** One of Nest's `level(message, ...rest)` methods, writing at pino's `level`. */
  private writerAt(level: pino.Level): (message: unknown, ...rest: unknown[]) => void {
    return (message, ...rest) => this.write(level, message, rest);
  }

  /** Nest passes `(message, context)` or `(message, stack, context)`; the context comes last. */
  private write(level: pino.Level, message: unknown, rest: unknown[]): void {
    const context = typeof rest.at(-1) === 'string' ? (rest.at(-1) as string) : undefined;
    // Nest reports a failed boot itself before rethrowing it; main() reports it once, plainly.
    if (context === 'ExceptionHandler') return;
    if (message instanceof Error) {
      this.pino[level](
        { context, err: { type: message.name, message: message.message } },
        message.message,
      );
      return;
    }
    this.pino[level]({ context }, typeof message === 'string' ? message : JSON.stringify(message));
  }
}

/**
 * What a failed start adds to its log line: nothing for the operator's problems (configuration,
 * a locked data directory, the database or its schema), whose message says it all; the stack for
 * anything else, which is a bug.
 */
export function describeBootFailure(error: unknown): { err?: { type: string; stack?: string } } {
  if (
    error instanceof InvalidConfigError ||
    error instanceof DataDirectoryLockedError ||
    error instanceof DomainError
  ) {
    return {};
  }
  return error instanceof Error
    ? { err: { type: error.name, stack: redactText(error.stack ?? '') } }
    : {};
}
