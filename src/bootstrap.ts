import { ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger } from 'nestjs-pino';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { AppModule } from './app.module';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from './common/domain-error';
import { AllExceptionsFilter } from './common/filters/all-exceptions.filter';
import { registerRawBodyParser } from './common/http/raw-body';
import { setupOpenApi } from './common/openapi';
import { httpConfigFromEnvironment } from './config/http.config';
import { WebhookRefusalResponder } from './webhooks/webhook-refusal.responder';

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
    // A URL Fastify cannot decode never reaches Nest: the same filter answers (and, on a webhook
    // route, stores) it as any other error. Its body is never read; it is recorded by its size.
    frameworkErrors: (_error: Error, request: FastifyRequest, reply: FastifyReply) => {
      const error = new DomainError('bad_request', 'The request URL could not be read.', 400);
      const filter = exceptionFilters.get(request.server);
      if (filter) filter.answer(request, reply, error);
      else
        void reply.status(400).send({ success: false, code: error.code, message: error.message });
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

/** Per Fastify instance: the filter that also answers errors raised before routing. */
const exceptionFilters = new WeakMap<object, AllExceptionsFilter>();

/** Everything main.ts and the e2e tests share: parsers, logging, validation, error shape, docs. */
export function configureApp(app: NestFastifyApplication): NestFastifyApplication {
  const fastify = app.getHttpAdapter().getInstance();
  registerRawBodyParser(fastify, httpConfigFromEnvironment().maxBodyBytes);
  closeConnectionsOnShutdown(fastify);
  const filter = new AllExceptionsFilter([app.get(WebhookRefusalResponder).respond]);
  exceptionFilters.set(fastify, filter);
  app.useLogger(app.get(Logger));
  app.useGlobalPipes(new ValidationPipe({ whitelist: true, transform: true }));
  app.useGlobalFilters(filter);
  setupOpenApi(app);
  return app;
}

export async function createApp(): Promise<NestFastifyApplication> {
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forRoot(),
    createFastifyAdapter(),
    {
      bodyParser: false,
    },
  );
  return configureApp(app);
}
