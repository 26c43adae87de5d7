import {
  CanActivate,
  Controller,
  ExecutionContext,
  Get,
  Header,
  Inject,
  Injectable,
  UnauthorizedException,
  UseGuards,
} from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import type { FastifyRequest } from 'fastify';
import { matchesAnySecret } from '../common/constant-time';
import { presentedApiKey } from '../common/guards/api-key';
import { internalApiConfig, metricsConfig } from '../config';
import { MetricsService } from './metrics.service';

/**
 * Scrapers present METRICS_TOKEN (a key that can read metrics and nothing else) or any internal
 * API key, as `Authorization: Bearer` or `x-api-key`.
 */
@Injectable()
export class MetricsAccessGuard implements CanActivate {
  private readonly keys: string[];

  constructor(
    @Inject(internalApiConfig.KEY) internal: ConfigType<typeof internalApiConfig>,
    @Inject(metricsConfig.KEY) metrics: ConfigType<typeof metricsConfig>,
  ) {
    this.keys = metrics.token ? [...internal.keys, metrics.token] : internal.keys;
  }

  canActivate(context: ExecutionContext): boolean {
    const key = presentedApiKey(context.switchToHttp().getRequest<FastifyRequest>());
    if (key === undefined || !matchesAnySecret(key, this.keys)) {
      throw new UnauthorizedException({
        code: 'unauthorized',
        message: 'Metrics need METRICS_TOKEN or an internal API key.',
      });
    }
    return true;
  }
}

@Controller('metrics')
@UseGuards(MetricsAccessGuard)
export class MetricsController {
  constructor(private readonly metrics: MetricsService) {}

  @Get()
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  render(): Promise<string> {
    return this.metrics.render();
  }
}
