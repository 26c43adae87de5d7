import { Logger } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { createApp } from './bootstrap';
import { appConfig } from './config';
import { databaseConfigFromEnvironment } from './config/database.config';
import { lockEmbeddedDatabase } from './database/data-directory-lock';
import { createBootLogger, describeBootFailure, PinoLoggerService } from './logging/boot-logger';

const SIGNALS = ['SIGTERM', 'SIGINT'] as const;
const bootLogger = createBootLogger(process.env);

async function main(): Promise<void> {
  // Before anything opens the embedded database: a second process on its files loses data.
  await lockEmbeddedDatabase(databaseConfigFromEnvironment(), 'npm start');
  const app = await createApp(new PinoLoggerService(bootLogger));
  const { port, host, shutdownTimeoutSeconds } = app.get<ConfigType<typeof appConfig>>(
    appConfig.KEY,
  );
  const logger = new Logger('Main');

  // Nest's shutdown hooks stop accepting connections, let in-flight requests (each ingest either
  // commits and is answered, or is not answered) and the poller's page finish, then close the
  // database. If that takes too long, give up rather than hang the deploy.
  app.enableShutdownHooks([...SIGNALS]);
  for (const signal of SIGNALS) {
    process.once(signal, () => {
      logger.log(`${signal} received: shutting down`);
      setTimeout(() => {
        logger.error(`Shutdown took longer than ${shutdownTimeoutSeconds} s; exiting`);
        process.exit(1);
      }, shutdownTimeoutSeconds * 1000).unref();
    });
  }

  await app.listen(port, host);
  logger.log(`Listening on http://${host}:${port}`);
}

main().catch((error: unknown) => {
  // A configuration, lock or schema problem is the operator's to fix: one plain line.
  bootLogger.error(
    { context: 'Main', ...describeBootFailure(error) },
    String((error as Error)?.message ?? error),
  );
  process.exit(1);
});
