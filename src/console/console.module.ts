import { Global, Module } from '@nestjs/common';
import { ConsoleEnabledGuard } from './console-enabled.guard';
import { ConsolePageController } from './console-page.controller';
import { ConsoleSessionController } from './console-session.controller';
import { ConsoleSessions } from './console-sessions';

/**
 * The operator console. Global because InternalApiKeyGuard, used by every internal API module,
 * accepts the console's session: the page reads and acts through those same endpoints.
 */
@Global()
@Module({
  controllers: [ConsolePageController, ConsoleSessionController],
  providers: [ConsoleSessions, ConsoleEnabledGuard],
  exports: [ConsoleSessions],
})
export class ConsoleModule {}
