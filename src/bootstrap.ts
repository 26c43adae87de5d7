import { LoggerService, ValidationPipe } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from './common/domain-error';
import { AllExceptionsFilter } from './common/filters/all-exceptions.filter';
import { handleClientError, observeAbandonedRequests } from './common/http/client-errors';
import { ConnectionArrivals } from './common/http/connection-arrivals';
import { readBodiesDirectly } from './common/http/direct-body';
import { registerRawBodyParser } from './common/http/raw-body';
import { requestIdGenerator } from './common/http/request-id';
import {
  registerSecurityHeaders,
  requireApiKeyForDocs,
  securityHeaders,
} from './common/http/security-headers';
import { DOCS_PATH, setupOpenApi } from './common/openapi';
import { internalApiConfig } from './config';
import { httpConfigFromEnvironment } from './config/http.config';
import { secretsFromEnvironment } from './config/secrets';
import { RequestLogging } from './logging/request-logging';
import { MetricsService } from './metrics/metrics.service';
import { documentKnowlarityWebhook } from './webhooks/knowlarity-webhook.openapi';
import { WebhookRefusalResponder } from './webhooks/webhook-refusal.responder';
import { isWebhookReceivingPath } from './webhooks/webhook-request';

export function createFastifyAdapter(): FastifyAdapter {
  const http = httpConfigFromEnvironment();
  return new FastifyAdapter({
    genReqId: requestIdGenerator(secretsFromEnvironment()),
    bodyLimit: http.maxBodyBytes,
    // Slow or idle clients let go of their connection: a whole request within requestTimeout,
    // its headers within headersTimeout (checked every second, not Node's default 30 s).
    requestTimeout: http.requestTimeoutMs,
    keepAliveTimeout: http.keepAliveTimeoutMs,
    http: { headersTimeout: http.headersTimeoutMs, connectionsCheckingInterval: 1000 },
    clientErrorHandler: handleClientError,
    // A URL Fastify cannot decode never reaches Nest: the same filter answers (and, on a webhook
    // route, stores) it as any other error, its body read there up to the body limit.
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
  // A callback hook, not an async one: no promise per answer.
  fastify.addHook('onSend', (_request, reply, payload, done) => {
    if (closing) void reply.header('connection', 'close');
    done(null, payload);
  });
}

/** Per Fastify instance: the filter that also answers errors raised before routing. */
const exceptionFilters = new WeakMap<object, AllExceptionsFilter>();

/**
 * Everything main.ts and the e2e tests share: parsers, security headers, logging, validation,
 * error shape, docs (off in production unless OPENAPI_ENABLED, and then behind the API key).
 */
export async function configureApp(app: NestFastifyApplication): Promise<NestFastifyApplication> {
  const fastify = app.getHttpAdapter().getInstance();
  const http = httpConfigFromEnvironment();
  // First, so that everything a request does is logged under its id.
  fastify.addHook('onRequest', app.get(RequestLogging).onRequest);
  registerRawBodyParser(fastify, http.maxBodyBytes, isWebhookReceivingPath);
  readBodiesDirectly(fastify, isWebhookReceivingPath);
  registerSecurityHeaders(fastify, DOCS_PATH, await securityHeaders());
  closeConnectionsOnShutdown(fastify);
  const metrics = app.get(MetricsService);
  observeAbandonedRequests(fastify, (reason) => metrics.abortedRequest(reason));
  app.get(ConnectionArrivals).watch(fastify.server);
  const filter = new AllExceptionsFilter([app.get(WebhookRefusalResponder).respond]);
  exceptionFilters.set(fastify, filter);
  app.useLogger(app.get(Logger));
  app.useGlobalPipes(new ValidationPipe({ whitelist: true, transform: true }));
  app.useGlobalFilters(filter);
  if (http.openApi.enabled) {
    if (http.openApi.requiresApiKey) {
      const { keys } = app.get<ConfigType<typeof internalApiConfig>>(internalApiConfig.KEY);
      requireApiKeyForDocs(fastify, DOCS_PATH, keys);
    }
    setupOpenApi(app, [documentKnowlarityWebhook]);
  }
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
