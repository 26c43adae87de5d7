import { CanActivate, Injectable, NotFoundException } from '@nestjs/common';
import { ConsoleSessions } from './console-sessions';

/**
 * Hides the console's routes (404, like any unknown path) when it is switched off with
 * CONSOLE_ENABLED=false or when no INTERNAL_API_KEYS exist, so nobody could sign in anyway.
 */
@Injectable()
export class ConsoleEnabledGuard implements CanActivate {
  constructor(private readonly sessions: ConsoleSessions) {}

  canActivate(): boolean {
    if (!this.sessions.enabled) {
      throw new NotFoundException({ code: 'not_found', message: 'No such endpoint.' });
    }
    return true;
  }
}
