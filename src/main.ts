import { Logger } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { createApp } from './bootstrap';
import { appConfig } from './config';

async function main(): Promise<void> {
  const app = await createApp();
  const { port, host } = app.get<ConfigType<typeof appConfig>>(appConfig.KEY);
  await app.listen(port, host);
  new Logger('Main').log(`Listening on http://${host}:${port}`);
}

main().catch((error: Error) => {
  // A configuration or schema problem is the operator's to fix: say it plainly, no stack.
  new Logger('Main').error(error.message);
  process.exit(1);
});
