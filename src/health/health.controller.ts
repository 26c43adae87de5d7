import { Controller, Get, Res, ServiceUnavailableException } from '@nestjs/common';
import { HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import type { FastifyReply } from 'fastify';
import { Clock } from '../common/clock';
import { LeadSyncRepository } from '../database/lead-sync.repository';
import { expectedSchemaVersion } from '../database/migrator';
import { KnowlarityStreamConsumer } from '../stream/knowlarity-stream.consumer';
import { CallLogSyncService } from '../sync/call-log-sync.service';

const DATABASE_TIMEOUT_MS = 2000;

/**
 * Liveness (the process answers) and readiness (the database is reachable and migrated, and the
 * poller, when enabled, is not stuck past three intervals, and the live stream, when enabled, was
 * not refused with 401/403). Open to anyone: load balancers and
 * container health checks cannot send keys, and the answers reveal nothing sensitive.
 */
@Controller('health')
export class HealthController {
  private readonly startedAt: Date;
  private readonly expectedVersion = expectedSchemaVersion();

  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly repository: LeadSyncRepository,
    private readonly sync: CallLogSyncService,
    private readonly liveStream: KnowlarityStreamConsumer,
    private readonly clock: Clock,
  ) {
    this.startedAt = clock.now();
  }

  @Get('live')
  live() {
    return { status: 'ok' };
  }

  /** 200 with terminus' report when ready; 503 with the same report (what is down) when not. */
  @Get('ready')
  async ready(@Res({ passthrough: true }) reply: FastifyReply) {
    try {
      return await this.health.check([
        () => this.database(),
        () => this.poller(),
        () => this.stream(),
      ]);
    } catch (error) {
      if (!(error instanceof ServiceUnavailableException)) throw error;
      void reply.status(503);
      return error.getResponse();
    }
  }

  private async database() {
    const indicator = this.indicators.check('database');
    try {
      const version = await withTimeout(this.repository.schemaVersion(), DATABASE_TIMEOUT_MS);
      if (!this.repository.isSchemaReady || version < this.expectedVersion) {
        return indicator.down({
          message: 'schema not ready',
          version,
          expected: this.expectedVersion,
        });
      }
      return indicator.up({ version });
    } catch {
      return indicator.down({ message: 'unreachable' });
    }
  }

  private async poller() {
    const indicator = this.indicators.check('poller');
    if (!this.sync.enabled) return indicator.up({ enabled: false });
    const lastSuccessAt = this.sync.lastSuccessAt;
    const limitMs = this.sync.intervalSeconds * 3 * 1000;
    const since = (lastSuccessAt ?? this.startedAt).getTime();
    const stuck = this.clock.now().getTime() - since > limitMs;
    const details = { enabled: true, lastSuccessAt: lastSuccessAt?.toISOString() ?? null };
    return stuck
      ? indicator.down({ ...details, message: 'no successful poll in 3 intervals' })
      : indicator.up(details);
  }

  /** A refused stream needs an operator (new keys, a restart); a reconnecting one does not. */
  private stream() {
    const indicator = this.indicators.check('stream');
    if (!this.liveStream.enabled) return indicator.up({ enabled: false });
    const { state } = this.liveStream.status();
    return this.liveStream.unauthorized
      ? indicator.down({ enabled: true, state, message: 'Knowlarity refused the stream (401/403)' })
      : indicator.up({ enabled: true, state });
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return Promise.race([
    promise,
    new Promise<T>((_, reject) => setTimeout(() => reject(new Error('timeout')), ms).unref()),
  ]);
}
