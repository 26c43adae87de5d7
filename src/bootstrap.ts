import { ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger } from 'nestjs-pino';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { AppModule } from './app.module';
import { AllExceptionsFilter } from './common/filters/all-exceptions.filter';
import { registerRawBodyParser } from './common/http/raw-body';
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
    // Only TRUST_PROXY's peers may set the client address through X-Forwarded-For.
    trustProxy: http.trustProxy,
  });
}

/** Everything main.ts and the e2e tests share: parsers, validation, error shape, shutdown. */
export function configureApp(app: NestFastifyApplication): NestFastifyApplication {
  const fastify = app.getHttpAdapter().getInstance();
  registerRawBodyParser(fastify, httpConfigFromEnvironment().maxBodyBytes);
  app.useLogger(app.get(Logger));
  app.useGlobalPipes(new ValidationPipe({ whitelist: true, transform: true }));
  app.useGlobalFilters(
    new AllExceptionsFilter([app.get(WebhookDeliveryService).respondBeforeRouting]),
  );
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
