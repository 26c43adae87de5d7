import { ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { randomUUID } from 'node:crypto';
import { AppModule } from './app.module';
import { AllExceptionsFilter } from './common/filters/all-exceptions.filter';
import { registerRawBodyParser } from './common/http/raw-body';

const BODY_LIMIT_BYTES = 65536;
const REQUEST_ID = /^[\w.:-]{1,64}$/;

export function createFastifyAdapter(): FastifyAdapter {
  return new FastifyAdapter({
    // A caller's own request id is kept when it looks like one, so logs join up across hops.
    genReqId: (request: { headers: Record<string, string | string[] | undefined> }) => {
      const given = request.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    bodyLimit: BODY_LIMIT_BYTES,
  });
}

/** Everything main.ts and the e2e tests share: parsers, validation, error shape, shutdown. */
export function configureApp(app: NestFastifyApplication): NestFastifyApplication {
  registerRawBodyParser(app.getHttpAdapter().getInstance(), BODY_LIMIT_BYTES);
  app.useGlobalPipes(new ValidationPipe({ whitelist: true, transform: true }));
  app.useGlobalFilters(new AllExceptionsFilter());
  app.enableShutdownHooks();
  return app;
}

export async function createApp(): Promise<NestFastifyApplication> {
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forRoot(),
    createFastifyAdapter(),
    {
      bodyParser: false,
      bufferLogs: false,
    },
  );
  return configureApp(app);
}
