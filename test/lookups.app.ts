/**
 * Boots the real application for the look-up suites like support/app.ts does, plus the calls
 * module and the OpenAPI document (both idempotent, so this keeps working once AppModule and
 * configureApp include them).
 */
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { AppModule } from '../src/app.module';
import { configureApp, createFastifyAdapter } from '../src/bootstrap';
import { CallsModule } from '../src/calls/calls.module';
import { Clock } from '../src/common/clock';
import { setupOpenApi } from '../src/common/openapi';
import { LeadSyncRepository } from '../src/database/lead-sync.repository';
import { RunningApp } from './support/app';

export const API_KEY = 'lookup-test-key-0123456789abcdef';

const ENV: Record<string, string> = {
  SOURCE_COUNTS_REFRESH_SECONDS: '0',
  NODE_ENV: 'test',
  INTERNAL_API_KEYS: API_KEY,
  BUSINESS_TIMEZONE: 'Asia/Kolkata',
};

export async function startLookupApp(options: {
  repository: LeadSyncRepository;
  clock?: Clock;
}): Promise<RunningApp> {
  const saved = Object.fromEntries(Object.keys(ENV).map((key) => [key, process.env[key]]));
  const restore = () => {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  };
  Object.assign(process.env, ENV);
  try {
    let builder = Test.createTestingModule({ imports: [AppModule.forRoot(), CallsModule] })
      .overrideProvider(LeadSyncRepository)
      .useValue(options.repository);
    if (options.clock) builder = builder.overrideProvider(Clock).useValue(options.clock);
    const moduleRef = await builder.compile();
    const app = moduleRef.createNestApplication<NestFastifyApplication>(createFastifyAdapter(), {
      bodyParser: false,
      logger: ['error', 'warn'],
    });
    setupOpenApi(configureApp(app));
    await app.listen(0, '127.0.0.1');
    const { port } = app.getHttpServer().address() as { port: number };
    return {
      app,
      url: `http://127.0.0.1:${port}`,
      close: async () => {
        await app.close();
        restore();
      },
    };
  } catch (error) {
    restore();
    throw error;
  }
}
