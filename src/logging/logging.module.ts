import { DynamicModule, Module } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { LoggerModule } from 'nestjs-pino';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DestinationStream } from 'pino';
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

/**
 * Structured JSON logs through pino (readable on a TTY in development): a request id on every
 * line of a request, credentials headers censored, and every message scrubbed of phone numbers
 * (last 4 digits kept) and of the configured secrets.
 */
@Module({})
export class LoggingModule {
  static forRoot(options: { destination?: DestinationStream } = {}): DynamicModule {
    return {
      module: LoggingModule,
      imports: [
        LoggerModule.forRootAsync({
          inject: [
            loggingConfig.KEY,
            webhookSecurityConfig.KEY,
            internalApiConfig.KEY,
            knowlarityApiConfig.KEY,
            databaseConfig.KEY,
            metricsConfig.KEY,
          ],
          useFactory: (
            logging: ConfigType<typeof loggingConfig>,
            webhook: ConfigType<typeof webhookSecurityConfig>,
            internal: ConfigType<typeof internalApiConfig>,
            api: ConfigType<typeof knowlarityApiConfig>,
            database: ConfigType<typeof databaseConfig>,
            metrics: ConfigType<typeof metricsConfig>,
          ) => {
            const secrets = configuredSecrets({ webhook, internal, api, database, metrics });
            const scrub = (text: string) => redactText(text, secrets);
            const pinoOptions = {
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
                ignore: (req: IncomingMessage) => /^\/(health|metrics)\b/.test(req.url ?? ''),
              },
              transport:
                logging.pretty && !options.destination
                  ? { target: 'pino-pretty', options: { singleLine: true } }
                  : undefined,
            };
            return {
              pinoHttp: options.destination ? [pinoOptions, options.destination] : pinoOptions,
            };
          },
        }),
      ],
    };
  }
}
