import {
  CanActivate,
  ExecutionContext,
  Inject,
  Injectable,
  UnauthorizedException,
} from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import type { FastifyRequest } from 'fastify';
import { internalApiConfig } from '../../config';
import { ConsoleSessions } from '../../console/console-sessions';
import { matchesAnySecret } from '../constant-time';
import { presentedApiKey } from './api-key';

/**
 * Guards every internal (non-webhook) endpoint: the caller must present one of
 * INTERNAL_API_KEYS as `Authorization: Bearer <key>` or `x-api-key`. Compared in constant time;
 * with no keys configured every request is refused (fail closed). Without a key, the operator
 * console's session cookie is accepted instead (with its CSRF token on anything but a read), so
 * the console's page calls these same endpoints rather than copies of them.
 */
@Injectable()
export class InternalApiKeyGuard implements CanActivate {
  constructor(
    @Inject(internalApiConfig.KEY) private readonly config: ConfigType<typeof internalApiConfig>,
    private readonly consoleSessions: ConsoleSessions,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const key = presentedApiKey(request);
    if (key === undefined && this.consoleSessions.authorize(request)) return true;
    if (key === undefined || !matchesAnySecret(key, this.config.keys)) {
      throw new UnauthorizedException({
        code: 'unauthorized',
        message: 'A valid internal API key is required (Authorization: Bearer <key> or x-api-key).',
      });
    }
    return true;
  }
}
