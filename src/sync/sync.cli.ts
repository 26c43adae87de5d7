/**
 * `npm run sync -- --from 2026-11-01 --to 2026-11-20 [--dry-run]`: back-fills the call log into
 * the configured database, the same way POST /sync/knowlarity/backfill does.
 * `npm run sync -- --reconcile --from ... --to ...`: compares the call log with stored calls.
 * Exits non-zero when the back-fill fails or reconciliation finds calls missing.
 */
import { ConfigType } from '@nestjs/config';
import { NestFactory } from '@nestjs/core';
import { parseArgs } from 'node:util';
import { AppModule } from '../app.module';
import { Clock } from '../common/clock';
import { parseBoundary } from '../common/dates';
import { businessConfig } from '../config';
import { databaseConfigFromEnvironment } from '../config/database.config';
import { lockEmbeddedDatabase } from '../database/data-directory-lock';
import { createBootLogger, describeBootFailure, PinoLoggerService } from '../logging/boot-logger';
import { CallLogReconciler } from './call-log-reconciler';
import { CallLogSyncService } from './call-log-sync.service';
import { ProgressReporter } from './progress-reporter';

// Logs go to stderr, warnings and errors only unless LOG_LEVEL says otherwise; stdout carries
// the command's result (JSON) alone.
const bootLogger = createBootLogger({ LOG_LEVEL: 'warn', ...process.env }, { stderr: true });
const logger = bootLogger.child({ context: 'Sync' });

const USAGE = `Usage:
  npm run sync -- --from <date|date-time> --to <date|date-time> [--dry-run]
  npm run sync -- --reconcile --from <date|date-time> --to <date|date-time>
Dates are read in BUSINESS_TIMEZONE; a plain --to date includes that whole day.`;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      from: { type: 'string' },
      to: { type: 'string' },
      'dry-run': { type: 'boolean', default: false },
      reconcile: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help || !values.from || !values.to) {
    console.error(USAGE);
    return values.help ? 0 : 2;
  }

  // The service may be running on the embedded database: refuse before opening its files.
  await lockEmbeddedDatabase(databaseConfigFromEnvironment(), 'npm run sync');
  const app = await NestFactory.createApplicationContext(
    AppModule.forRoot({ backgroundJobs: false }),
    { logger: new PinoLoggerService(bootLogger), abortOnError: false },
  );
  try {
    const { timezone } = app.get<ConfigType<typeof businessConfig>>(businessConfig.KEY);
    const from = parseBoundary(values.from, 'from', timezone);
    const to = parseBoundary(values.to, 'to', timezone);
    if (!from || !to) {
      console.error(`Cannot read --${from ? 'to' : 'from'}.\n${USAGE}`);
      return 2;
    }
    const sync = app.get(CallLogSyncService);

    if (values.reconcile) {
      const report = await app.get(CallLogReconciler).reconcile(from, to);
      console.log(JSON.stringify(report, null, 2));
      return report.missingLocally.length === 0 ? 0 : 1;
    }

    const reporter = new ProgressReporter(process.stderr, app.get(Clock));
    const summary = await sync.backfill(from, to, {
      dryRun: values['dry-run'],
      onProgress: (progress) => reporter.update(progress),
      waitForLease: (expiresAt) =>
        logger.warn(
          `Another back-fill holds the lease (perhaps one that crashed); waiting until ${expiresAt.toISOString()}.`,
        ),
    });
    reporter.done();
    console.log(JSON.stringify(summary, null, 2));
    return summary.status === 'succeeded' ? 0 : 1;
  } finally {
    await app.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    logger.error(describeBootFailure(error), String((error as Error)?.message ?? error));
    process.exit(1);
  },
);
