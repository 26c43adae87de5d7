import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import type { DestinationStream } from 'pino';
import { AppModule } from '../../src/app.module';
import { configureApp, createFastifyAdapter } from '../../src/bootstrap';
import { Clock } from '../../src/common/clock';
import { LeadSyncRepository } from '../../src/database/lead-sync.repository';

export interface RunningApp {
  app: NestFastifyApplication;
  url: string;
  close(): Promise<void>;
}

/** Test defaults: no background refresh timer unless a test asks for one. */
const BASE_ENV = { SOURCE_COUNTS_REFRESH_SECONDS: '0', NODE_ENV: 'test', LOG_LEVEL: 'error' };

/**
 * Boots the real application (same module and configureApp as main.ts) on a real database and a
 * real HTTP port. Environment variables are applied for the app's lifetime and restored on close.
 */
export async function startApp(options: {
  repository: LeadSyncRepository;
  env?: Record<string, string | undefined>;
  clock?: Clock;
  /** Interface to listen on; `::` gives a dual-stack socket (IPv4 clients appear IPv4-mapped). */
  host?: string;
  /** Where the app's JSON log lines go (to assert on them); the default is stdout. */
  logDestination?: DestinationStream;
}): Promise<RunningApp> {
  const env = { ...BASE_ENV, ...options.env };
  const saved = Object.fromEntries(Object.keys(env).map((key) => [key, process.env[key]]));
  const restore = () => {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  };
  for (const [key, value] of Object.entries(env)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }

  try {
    let builder = Test.createTestingModule({
      imports: [AppModule.forRoot({ logDestination: options.logDestination })],
    })
      .overrideProvider(LeadSyncRepository)
      .useValue(options.repository);
    if (options.clock) builder = builder.overrideProvider(Clock).useValue(options.clock);
    const moduleRef = await builder.compile();
    const app = moduleRef.createNestApplication<NestFastifyApplication>(createFastifyAdapter(), {
      bodyParser: false,
      logger: ['error', 'warn'],
    });
    await configureApp(app);
    await app.listen(0, options.host ?? '127.0.0.1');
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

export { FixedClock } from './fixed-clock';
