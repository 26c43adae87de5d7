import { Controller, Get, Header, UseGuards } from '@nestjs/common';
import { AcceptsMetricsToken, InternalApiKeyGuard } from '../common/guards/internal-api-key.guard';
import { MetricsService } from './metrics.service';

/** Prometheus text; scrapers present METRICS_TOKEN or any internal API key. */
@Controller('metrics')
@UseGuards(InternalApiKeyGuard)
@AcceptsMetricsToken()
export class MetricsController {
  constructor(private readonly metrics: MetricsService) {}

  @Get()
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  render(): Promise<string> {
    return this.metrics.render();
  }
}
