import {
  BadRequestException,
  Body,
  Controller,
  Get,
  HttpCode,
  Inject,
  Post,
  Query,
  Res,
  UseGuards,
} from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import type { FastifyReply } from 'fastify';
import { parseBoundary } from '../common/dates';
import { InternalApiKeyGuard } from '../common/guards/internal-api-key.guard';
import { businessConfig } from '../config';
import { CallLogReconciler } from './call-log-reconciler';
import { CallLogSyncService } from './call-log-sync.service';
import { DailyReconcileScheduler } from './daily-reconcile.scheduler';
import { KnowlarityStreamConsumer } from '../stream/knowlarity-stream.consumer';
import { BackfillBody, SyncWindowQuery } from './dto/sync-window.dto';

/**
 * Operating the call-log safety net: its status, a poll on demand (for an external cron as a
 * last resort), back-fills and reconciliation. A run that fails answers 502 with its summary.
 */
@Controller('sync/knowlarity')
@UseGuards(InternalApiKeyGuard)
export class SyncController {
  constructor(
    private readonly sync: CallLogSyncService,
    private readonly reconciler: CallLogReconciler,
    private readonly stream: KnowlarityStreamConsumer,
    private readonly dailyReconcile: DailyReconcileScheduler,
    @Inject(businessConfig.KEY) private readonly business: ConfigType<typeof businessConfig>,
  ) {}

  /** The poller's status, with the live stream's and the daily reconcile's beside it. */
  @Get()
  async status() {
    return {
      ...(await this.sync.status()),
      stream: this.stream.status(),
      dailyReconcile: this.dailyReconcile.status(),
    };
  }

  @Post('run')
  @HttpCode(200)
  async run(@Res({ passthrough: true }) reply: FastifyReply) {
    const run = await this.sync.poll('manual');
    if (run.status === 'failed') void reply.status(502);
    return run;
  }

  @Post('backfill')
  @HttpCode(200)
  async backfill(@Body() body: BackfillBody, @Res({ passthrough: true }) reply: FastifyReply) {
    const { from, to } = this.window(body);
    const summary = await this.sync.backfill(from, to, { dryRun: body.dryRun });
    if (summary.status === 'failed') void reply.status(502);
    return summary;
  }

  @Get('reconcile')
  reconcile(@Query() query: SyncWindowQuery) {
    const { from, to } = this.window(query);
    return this.reconciler.reconcile(from, to);
  }

  private window(query: SyncWindowQuery): { from: Date; to: Date } {
    const from = parseBoundary(query.from, 'from', this.business.timezone);
    const to = parseBoundary(query.to, 'to', this.business.timezone);
    const bad = !from ? 'from' : !to ? 'to' : null;
    if (bad) {
      throw new BadRequestException({
        code: 'invalid_window',
        message: `${bad} must be an ISO date-time or a date (YYYY-MM-DD, read in BUSINESS_TIMEZONE)`,
      });
    }
    return { from: from!, to: to! };
  }
}
