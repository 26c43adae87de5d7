import { Logger } from '@nestjs/common';
import {
  callRecord,
  counterValue,
  fakeLease,
  ScriptedPage,
  syncStack,
} from '../../test/support/sync-fakes';
import { IngestItem } from '../database/lead-sync.repository';
import { KnowlarityUnavailableError } from '../knowlarity/knowlarity-api.errors';
import { MetricsService } from '../metrics/metrics.service';
import { SyncWindow } from './call-log-window-sync';

const FROM = new Date('2026-11-20T00:00:00Z');
const TO = new Date('2026-11-20T06:00:00Z');
const AT = '2026-11-20 10:00:00+05:30';

const a = callRecord('call-a', '9800000101', AT);
const b = callRecord('call-b', '9800000102', AT);
const c = callRecord('call-c', '9800000103', AT);
const noPhone = callRecord('call-x', null, AT);

function ingestedIds(items: unknown): string[] {
  return (items as IngestItem[]).map((item) => item.call.callId);
}

/** The window [FROM, TO] as a run of `trigger`; `extra` moves the watermark, or says how not. */
function windowOf(
  trigger: SyncWindow['trigger'],
  extra: Omit<SyncWindow, 'trigger' | 'from' | 'to'>,
): SyncWindow {
  return { trigger, from: FROM, to: TO, ...extra };
}

/** How many runs of `trigger` the metrics counted with `result`. */
function pollRuns(
  metrics: MetricsService,
  trigger: SyncWindow['trigger'],
  result: 'succeeded' | 'failed',
): Promise<number> {
  return counterValue(metrics, 'knowlarity_poll_runs_total', { trigger, result });
}

describe('CallLogWindowSync', () => {
  beforeAll(() => {
    Logger.overrideLogger(false);
  });

  it('ingests each call of the window once, counts records without a phone, renews the lease after every page, and moves the watermark', async () => {
    const pages: ScriptedPage[] = [
      [a, b, noPhone],
      [b, c],
    ];
    const { repository, client, metrics, windows } = syncStack(
      () => pages,
      (id) => (id === 'call-b' ? 'call_linked' : 'lead_created'),
    );
    const { lease, renewals } = fakeLease('call_log');

    const run = await windows.run(windowOf('schedule', { advancesWatermark: true }), lease);

    expect(client.windows).toEqual([{ from: FROM, to: TO }]);
    const pageCalls = repository.callsOf('knowlarity_ingest_calls');
    expect(pageCalls.map((args) => ingestedIds(args.p_items))).toEqual([
      ['call-a', 'call-b'],
      ['call-c'],
    ]);
    expect(pageCalls.map((args) => [args.p_arrival_path, args.p_dry_run])).toEqual([
      ['poll', false],
      ['poll', false],
    ]);
    expect(renewals.count).toBe(2);
    expect(repository.callsOf('knowlarity_sync_start_run')).toEqual([
      {
        p_trigger: 'schedule',
        p_owner: 'this-instance',
        p_from: FROM,
        p_to: TO,
        p_backfill_id: null,
      },
    ]);
    const outcomes = { lead_created: 2, call_linked: 1, skipped_no_customer_phone: 1 };
    expect(repository.callsOf('knowlarity_sync_finish_run')).toEqual([
      {
        p_run_id: 1,
        p_status: 'succeeded',
        p_pages: 2,
        p_records: 5,
        p_outcomes: outcomes,
        p_error: null,
        p_stream: 'call_log',
        p_advance_to: TO,
      },
    ]);
    expect(run).toEqual({
      runId: 1,
      trigger: 'schedule',
      status: 'succeeded',
      windowFrom: FROM.toISOString(),
      windowTo: TO.toISOString(),
      pages: 2,
      records: 5,
      outcomes,
      error: null,
      watermarkAdvanced: true,
    });
    expect(await pollRuns(metrics, 'schedule', 'succeeded')).toBe(1);
  });

  it('records a window whose page fails as a failed run with the error code, and returns it instead of throwing', async () => {
    const failure = new KnowlarityUnavailableError('server_error', 3, 503);
    const { repository, metrics, windows } = syncStack(() => [[a], failure]);
    const { lease } = fakeLease('call_log');

    const run = await windows.run(windowOf('manual', { advancesWatermark: true }), lease);

    expect(run).toMatchObject({
      status: 'failed',
      pages: 1,
      records: 1,
      outcomes: { lead_created: 1 },
      error: `knowlarity_unavailable: ${failure.message}`,
      watermarkAdvanced: false,
    });
    expect(repository.callsOf('knowlarity_sync_finish_run')).toEqual([
      expect.objectContaining({ p_status: 'failed', p_error: run.error }),
    ]);
    expect(await pollRuns(metrics, 'manual', 'failed')).toBe(1);
  });

  it('never asks to move the watermark for a window that does not advance it (back-fills)', async () => {
    const { repository, windows } = syncStack(() => [[a]]);
    const { lease } = fakeLease('call_log_backfill');

    const run = await windows.run(
      windowOf('backfill', { advancesWatermark: false, backfillId: 9 }),
      lease,
    );

    expect(run.watermarkAdvanced).toBe(false);
    expect(repository.callsOf('knowlarity_sync_start_run')[0].p_backfill_id).toBe(9);
    expect(repository.callsOf('knowlarity_sync_finish_run')).toEqual([
      expect.objectContaining({ p_status: 'succeeded', p_stream: null, p_advance_to: null }),
    ]);
  });

  it('in a dry run ingests with dryRun and records no run', async () => {
    const { repository, metrics, windows } = syncStack(() => [[a, b]]);
    const { lease } = fakeLease('call_log_backfill');

    const run = await windows.run(
      windowOf('backfill', { advancesWatermark: false, dryRun: true }),
      lease,
    );

    expect(run).toMatchObject({ runId: 0, status: 'succeeded', outcomes: { lead_created: 2 } });
    expect(repository.calls.map((call) => call.fn)).toEqual(['knowlarity_ingest_calls']);
    expect(repository.callsOf('knowlarity_ingest_calls')[0].p_dry_run).toBe(true);
    expect(await pollRuns(metrics, 'backfill', 'succeeded')).toBe(0);
  });

  it('after stop(), ends a run before ingesting its next page and records it as failed', async () => {
    const { repository, windows } = syncStack(() => [[a]]);
    const { lease } = fakeLease('call_log');

    windows.stop();
    const run = await windows.run(windowOf('schedule', { advancesWatermark: true }), lease);

    expect(run).toMatchObject({
      status: 'failed',
      error: 'Interrupted by shutdown before the window was read',
      watermarkAdvanced: false,
    });
    expect(repository.callsOf('knowlarity_ingest_calls')).toEqual([]);
  });
});
