import {
  CanActivate,
  ExecutionContext,
  Inject,
  Injectable,
  SetMetadata,
  UnauthorizedException,
} from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { internalApiConfig, metricsConfig } from '../../config';
import { ConsoleSessions } from '../../console/console-sessions';
import { identifyApiKey, presentedApiKey } from './api-key';

const ACCEPTS_METRICS_TOKEN = 'acceptsMetricsToken';

/** Lets METRICS_TOKEN (a key that can read metrics and nothing else) through as well. */
export const AcceptsMetricsToken = () => SetMetadata(ACCEPTS_METRICS_TOKEN, true);

/** The fingerprint of the key that let an internal request through (see keyFingerprint). */
export function apiKeyNameOf(request: FastifyRequest): string | undefined {
  return (request as FastifyRequest & { apiKeyName?: string }).apiKeyName;
}

/**
 * Guards every internal (non-webhook) endpoint: the caller must present one of
 * INTERNAL_API_KEYS as `Authorization: Bearer <key>` or `x-api-key` (or METRICS_TOKEN where the
 * handler says `@AcceptsMetricsToken()`). Compared in constant time; with no keys configured
 * every request is refused (fail closed). The key's fingerprint is left on the request, so what
 * it asked for can be recorded under its name. Without a key, the operator console's session
 * cookie is accepted instead (with its CSRF token on anything but a read), so the console's page
 * calls these same endpoints rather than copies of them.
 */
@Injectable()
export class InternalApiKeyGuard implements CanActivate {
  private readonly keys: readonly string[];
  private readonly keysWithMetricsToken: readonly string[];

  constructor(
    @Inject(internalApiConfig.KEY) internal: ConfigType<typeof internalApiConfig>,
    @Inject(metricsConfig.KEY) metrics: ConfigType<typeof metricsConfig>,
    private readonly reflector: Reflector,
    private readonly consoleSessions: ConsoleSessions,
  ) {
    this.keys = internal.keys;
    this.keysWithMetricsToken = metrics.token ? [...internal.keys, metrics.token] : internal.keys;
  }

  canActivate(context: ExecutionContext): boolean {
    const metrics = this.reflector.getAllAndOverride<boolean | undefined>(ACCEPTS_METRICS_TOKEN, [
      context.getHandler(),
      context.getClass(),
    ]);
    const request = context.switchToHttp().getRequest<FastifyRequest & { apiKeyName?: string }>();
    if (presentedApiKey(request) === undefined && this.consoleSessions.authorize(request)) {
      return true;
    }
    const name = identifyApiKey(request, metrics ? this.keysWithMetricsToken : this.keys);
    if (name === undefined) {
      throw new UnauthorizedException({
        code: 'unauthorized',
        message: metrics
          ? 'Metrics need METRICS_TOKEN or an internal API key.'
          : 'A valid internal API key is required (Authorization: Bearer <key> or x-api-key).',
      });
    }
    request.apiKeyName = name;
    return true;
  }
}
