import { Logger } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { createApp } from './bootstrap';
import { appConfig } from './config';

const SIGNALS = ['SIGTERM', 'SIGINT'] as const;

async function main(): Promise<void> {
  const app = await createApp();
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

main().catch((error: Error) => {
  // A configuration or schema problem is the operator's to fix: say it plainly, no stack.
  new Logger('Main').error(error.message);
  process.exit(1);
});
