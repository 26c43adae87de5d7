import { DynamicModule, Module } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { LoggerModule } from 'nestjs-pino';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DestinationStream } from 'pino';
import { pinoHttp } from 'pino-http';
import {
  databaseConfig,
  internalApiConfig,
  knowlarityApiConfig,
  loggingConfig,
  metricsConfig,
  webhookSecurityConfig,
} from '../config';
import { REDACTED, SECRET_HEADERS } from '../common/secret-headers';
import { configuredSecrets } from '../config/secrets';
import { withoutWebhookToken } from '../webhooks/webhook-request';
import { redactText } from './redact';
import { HTTP_LOGGER, RequestLogging, UNLOGGED_PATHS, WRITES_OWN_LINE } from './request-logging';

/** The configuration the logging options are built from (the order of `LOGGING_CONFIG_KEYS`). */
const LOGGING_CONFIG_KEYS = [
  loggingConfig.KEY,
  webhookSecurityConfig.KEY,
  internalApiConfig.KEY,
  knowlarityApiConfig.KEY,
  databaseConfig.KEY,
  metricsConfig.KEY,
];

interface LoggingOptions {
  destination?: DestinationStream;
  /**
   * Routes that write their own one line per request (the webhook's delivery line): no "request
   * completed" line for them, and no logger made until they write (see request-logging.ts).
   */
  writesOwnLine?: (url: string) => boolean;
}

/**
 * Structured JSON logs through pino (readable on a TTY in development): a request id on every
 * line of a request, credentials headers censored, and every message scrubbed of phone numbers
 * (last 4 digits kept) and of the configured secrets.
 */
@Module({})
export class LoggingModule {
  static forRoot(options: LoggingOptions = {}): DynamicModule {
    const writesOwnLine = options.writesOwnLine ?? (() => false);
    return {
      // Global: the webhook routes' classes write through RequestLogging's RequestLog.
      global: true,
      module: LoggingModule,
      imports: [
        LoggerModule.forRootAsync({
          inject: LOGGING_CONFIG_KEYS,
          useFactory: (...configs: LoggingConfigs) => {
            const pinoOptions = buildPinoOptions(configs, options.destination);
            return {
              pinoHttp: options.destination ? [pinoOptions, options.destination] : pinoOptions,
              // Requests are bound to their logger by this module's own middleware; nestjs-pino
              // only provides the Nest logger (and the logger used outside requests).
              useExisting: true as const,
              forRoutes: [],
            };
          },
        }),
      ],
      providers: [
        {
          provide: HTTP_LOGGER,
          inject: LOGGING_CONFIG_KEYS,
          useFactory: (...configs: LoggingConfigs) =>
            pinoHttp(buildPinoOptions(configs, options.destination), options.destination),
        },
        { provide: WRITES_OWN_LINE, useValue: writesOwnLine },
        RequestLogging,
      ],
      exports: [RequestLogging],
    };
  }
}

type LoggingConfigs = [
  ConfigType<typeof loggingConfig>,
  ConfigType<typeof webhookSecurityConfig>,
  ConfigType<typeof internalApiConfig>,
  ConfigType<typeof knowlarityApiConfig>,
  ConfigType<typeof databaseConfig>,
  ConfigType<typeof metricsConfig>,
];

function buildPinoOptions(
  [logging, webhook, internal, api, database, metrics]: LoggingConfigs,
  destination?: DestinationStream,
) {
  const secrets = configuredSecrets({ webhook, internal, api, database, metrics });
  const scrub = (text: string) => redactText(text, secrets);
  return {
    level: logging.level,
    quietReqLogger: true,
    customAttributeKeys: { reqId: 'requestId' },
    redact: {
      paths: SECRET_HEADERS.map((name) => `req.headers["${name}"]`),
      censor: REDACTED,
    },
    serializers: {
      // The path only: query strings carry phone numbers and, possibly, the URL token;
      // a webhook path's last segment is the token's place, whatever it holds.
      req: (req: IncomingMessage & { id?: string }) => ({
        id: req.id,
        method: req.method,
        url: scrub(withoutWebhookToken((req.url ?? '').split('?')[0])),
      }),
      res: (res: ServerResponse) => ({ statusCode: res.statusCode }),
      err: (err: Error) => ({
        type: err?.name,
        message: scrub(String(err?.message ?? err)),
        stack: err?.stack ? scrub(err.stack) : undefined,
      }),
    },
    hooks: {
      logMethod(this: unknown, args: unknown[], method: (...a: unknown[]) => void) {
        method.apply(
          this,
          args.map((arg) => (typeof arg === 'string' ? scrub(arg) : arg)),
        );
      },
    },
    autoLogging: {
      ignore: (req: IncomingMessage) => UNLOGGED_PATHS.test(req.url ?? ''),
    },
    transport:
      logging.pretty && !destination
        ? { target: 'pino-pretty', options: { singleLine: true } }
        : undefined,
  };
}
