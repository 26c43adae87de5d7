import { DynamicModule, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { ScheduleModule } from '@nestjs/schedule';
import type { DestinationStream } from 'pino';
import { CallsModule } from './calls/calls.module';
import { CommonModule } from './common/common.module';
import { ConsoleModule } from './console/console.module';
import { configNamespaces, validateEnvironment } from './config';
import { DatabaseModule } from './database/database.module';
import { HealthModule } from './health/health.module';
import { LeadsModule } from './leads/leads.module';
import { MetricsModule } from './metrics/metrics.module';
import { LoggingModule } from './logging/logging.module';
import { RetentionModule } from './retention/retention.module';
import { SourcesModule } from './sources/sources.module';
import { SyncModule } from './sync/sync.module';
import { isWebhookReceivingPath } from './webhooks/webhook-request';
import { WebhooksModule } from './webhooks/webhooks.module';

@Module({})
export class AppModule {
  /**
   * Built on demand rather than at import, so configuration (and its validation) is read when
   * the application is created: tests set the environment first, then create the app.
   */
  static forRoot(
    options: { backgroundJobs?: boolean; logDestination?: DestinationStream } = {},
  ): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot({
          isGlobal: true,
          cache: true,
          load: configNamespaces,
          validate: validateEnvironment,
        }),
        LoggingModule.forRoot({
          destination: options.logDestination,
          writesOwnLine: isWebhookReceivingPath,
        }),
        ScheduleModule.forRoot(),
        CommonModule.forRoot({ backgroundJobs: options.backgroundJobs ?? true }),
        DatabaseModule,
        ConsoleModule,
        MetricsModule,
        HealthModule,
        LeadsModule,
        CallsModule,
        SourcesModule,
        WebhooksModule,
        SyncModule,
        RetentionModule,
      ],
    };
  }
}
