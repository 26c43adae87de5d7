import { Logger, ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import { AppModule } from './app.module';
import { DomainError } from './common/domain-error';
import { AllExceptionsFilter, describeException } from './common/filters/all-exceptions.filter';
import { RawBodyRequest, registerRawBodyParser } from './common/http/raw-body';
import { httpConfigFromEnvironment } from './config/http.config';
import { WebhookDeliveryService } from './webhooks/webhook-delivery.service';
import { WEBHOOK_PATH, webhookRequestOf } from './webhooks/webhook-request';

const REQUEST_ID = /^[\w.:-]{1,64}$/;

export function createFastifyAdapter(): FastifyAdapter {
  const http = httpConfigFromEnvironment();
  return new FastifyAdapter({
    // A caller's own request id is kept when it looks like one, so logs join up across hops.
    genReqId: (request: { headers: Record<string, string | string[] | undefined> }) => {
      const given = request.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    bodyLimit: http.maxBodyBytes,
    // Only TRUST_PROXY's peers may set the client address through X-Forwarded-For.
    trustProxy: http.trustProxy,
  });
}

/** Everything main.ts and the e2e tests share: parsers, validation, error shape, shutdown. */
export function configureApp(app: NestFastifyApplication): NestFastifyApplication {
  const fastify = app.getHttpAdapter().getInstance();
  registerRawBodyParser(fastify, httpConfigFromEnvironment().maxBodyBytes);
  fastify.setErrorHandler(transportErrorHandler(app));
  app.useGlobalPipes(new ValidationPipe({ whitelist: true, transform: true }));
  app.useGlobalFilters(new AllExceptionsFilter());
  app.enableShutdownHooks();
  return app;
}

/**
 * Errors Fastify raises before a route handler runs (an oversized body, mostly) get the same
 * `{success, code, message}` shape, and on the webhook they are stored like any refusal, without
 * the body.
 */
function transportErrorHandler(app: NestFastifyApplication) {
  const logger = new Logger('HttpTransport');
  return async (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const domainError =
      error.code === 'FST_ERR_CTP_BODY_TOO_LARGE'
        ? new DomainError('payload_too_large', 'The body is larger than this endpoint accepts.')
        : (error.statusCode ?? 500) < 500
          ? new DomainError('bad_request', 'The request could not be read.')
          : error;
    if (request.url.startsWith(WEBHOOK_PATH) && !request.url.startsWith(`${WEBHOOK_PATH}/deliveries`)) {
      const deliveries = app.get(WebhookDeliveryService);
      const result = await deliveries.reject(webhookRequestOf(request as RawBodyRequest), domainError, {
        bodyStored: false,
      });
      return reply.status(result.status).send(result.body);
    }
    const { status, body } = describeException(domainError, (unexpected) =>
      logger.error(`Request ${request.id} failed: ${(unexpected as Error).message}`),
    );
    return reply.status(status).send(body);
  };
}

export async function createApp(): Promise<NestFastifyApplication> {
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(), createFastifyAdapter(), {
    bodyParser: false,
  });
  return configureApp(app);
}
