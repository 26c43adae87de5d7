import { BadRequestException, LoggerService, ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger } from 'nestjs-pino';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { AppModule } from './app.module';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  AllExceptionsFilter,
  describeException,
  ExceptionResponder,
} from './common/filters/all-exceptions.filter';
import { RawBodyRequest, readUnparsedBody, registerRawBodyParser } from './common/http/raw-body';
import { setupOpenApi } from './common/openapi';
import { httpConfigFromEnvironment } from './config/http.config';
import { WebhookDeliveryService } from './webhooks/webhook-delivery.service';

const REQUEST_ID = /^[\w.:-]{1,64}$/;

export function createFastifyAdapter(): FastifyAdapter {
  const http = httpConfigFromEnvironment();
  return new FastifyAdapter({
    // A caller's own request id is kept when it looks like one, so logs join up across hops.
    // It is also left on the raw request, where the HTTP logger picks it up.
    genReqId: (request: IncomingMessage) => {
      const given = request.headers['x-request-id'];
      const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
      request.id = id;
      return id;
    },
    bodyLimit: http.maxBodyBytes,
    // A URL Fastify cannot decode never reaches Nest; answer (and store) it like any other error.
    frameworkErrors: (_error: Error, request: FastifyRequest, reply: FastifyReply) => {
      void readUnparsedBody(request.raw, http.maxBodyBytes)
        .then((body) => {
          (request as RawBodyRequest).rawBody = body ?? undefined;
          return respondToTransportError(
            request,
            new BadRequestException('The request URL could not be read.'),
          );
        })
        .then(({ status, body }) => reply.status(status).send(body));
    },
    // Only TRUST_PROXY's peers may set the client address through X-Forwarded-For.
    trustProxy: http.trustProxy,
  });
}

/**
 * Once shutdown starts, answers in flight are sent with `Connection: close`, so keep-alive
 * clients let go and the server can finish closing; idle connections Node closes itself.
 */
function closeConnectionsOnShutdown(fastify: FastifyInstance): void {
  let closing = false;
  fastify.addHook('preClose', async () => {
    closing = true;
  });
  fastify.addHook('onSend', async (_request, reply, payload) => {
    if (closing) void reply.header('connection', 'close');
    return payload;
  });
}

/** Per Fastify instance: who answers errors raised before routing (set by configureApp). */
const transportResponders = new WeakMap<object, ExceptionResponder>();

function respondToTransportError(request: FastifyRequest, error: Error) {
  const responder = transportResponders.get(request.server);
  return responder?.(request, error) ?? Promise.resolve(describeException(error, () => undefined));
}

/** Everything main.ts and the e2e tests share: parsers, logging, validation, error shape, docs. */
export function configureApp(app: NestFastifyApplication): NestFastifyApplication {
  const fastify = app.getHttpAdapter().getInstance();
  registerRawBodyParser(fastify, httpConfigFromEnvironment().maxBodyBytes);
  closeConnectionsOnShutdown(fastify);
  const respondBeforeRouting = app.get(WebhookDeliveryService).respondBeforeRouting;
  transportResponders.set(fastify, respondBeforeRouting);
  app.useLogger(app.get(Logger));
  app.useGlobalPipes(new ValidationPipe({ whitelist: true, transform: true }));
  app.useGlobalFilters(new AllExceptionsFilter([respondBeforeRouting]));
  setupOpenApi(app);
  return app;
}

/**
 * Builds the service. `logger` writes Nest's boot lines until configureApp hands over to the
 * application's own logger (same format). A failure is rethrown, not turned into an exit by
 * Nest, so the caller reports it once.
 */
export async function createApp(logger?: LoggerService): Promise<NestFastifyApplication> {
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forRoot(),
    createFastifyAdapter(),
    {
      bodyParser: false,
      logger,
      abortOnError: false,
    },
  );
  return configureApp(app);
}
