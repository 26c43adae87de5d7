import { Logger } from '@nestjs/common';
import { callRecord, fakeLease, ScriptedPage, syncStack } from '../../test/support/sync-fakes';
import { parsePollingConfig } from '../config/polling.config';
import { FunctionArgs } from '../database/lead-sync.repository';
import { KnowlarityCredentialsError } from '../knowlarity/knowlarity-api.errors';
import { CallLogWindow } from '../knowlarity/knowlarity-client';
import { BackfillProgress, CallLogBackfill } from './call-log-backfill';

const HOUR = 3600_000;
const FROM = new Date('2026-11-20T00:00:00Z');
/** Five hours and a half: chunks of two hours make three, the last one an hour and a half. */
const TO = new Date(FROM.getTime() + 5.5 * HOUR);

/** One call per window, named after the window's start, so each chunk's calls are its own. */
function oneCallPerWindow(window: CallLogWindow): ScriptedPage[] {
  const hour = (window.from.getTime() - FROM.getTime()) / HOUR;
  return [
    [
      callRecord(
        `call-${hour}h`,
        `98000001${String(hour).padStart(2, '0')}`,
        window.from.toISOString(),
      ),
    ],
  ];
}

function backfillStack(
  pagesFor: (window: CallLogWindow) => ScriptedPage[] = oneCallPerWindow,
  doneUntil: Date = FROM,
) {
  const stack = syncStack(pagesFor);
  stack.repository
    .on('knowlarity_backfill_begin', (args: FunctionArgs) => ({
      backfillId: 42,
      doneUntil: doneUntil.toISOString(),
      chunkSeconds: args.p_chunk_seconds,
    }))
    .on('knowlarity_backfill_progress', () => null);
  const polling = parsePollingConfig({ KNOWLARITY_BACKFILL_CHUNK_MINUTES: '120' });
  const backfill = new CallLogBackfill(stack.repository, stack.windows, polling);
  return { ...stack, backfill };
}

const windowsOf = (windows: CallLogWindow[]) =>
  windows.map((w) => [w.from.toISOString(), w.to.toISOString()]);

describe('CallLogBackfill', () => {
  beforeAll(() => {
    Logger.overrideLogger(false);
  });

  it('reads the window in chunks, one run each, and records every finished chunk', async () => {
    const { repository, client, backfill } = backfillStack();
    const { lease } = fakeLease('call_log_backfill');
    const progress: BackfillProgress[] = [];

    const summary = await backfill.run(FROM, TO, lease, { onProgress: (p) => progress.push(p) });

    expect(repository.callsOf('knowlarity_backfill_begin')).toEqual([
      { p_from: FROM, p_to: TO, p_chunk_seconds: 7200 },
    ]);
    expect(windowsOf(client.windows)).toEqual([
      ['2026-11-20T00:00:00.000Z', '2026-11-20T02:00:00.000Z'],
      ['2026-11-20T02:00:00.000Z', '2026-11-20T04:00:00.000Z'],
      ['2026-11-20T04:00:00.000Z', '2026-11-20T05:30:00.000Z'],
    ]);
    expect(repository.callsOf('knowlarity_sync_start_run').map((a) => a.p_backfill_id)).toEqual([
      42, 42, 42,
    ]);
    expect(repository.callsOf('knowlarity_backfill_progress')).toEqual([
      { p_backfill_id: 42, p_done_until: new Date(FROM.getTime() + 2 * HOUR), p_status: 'running' },
      { p_backfill_id: 42, p_done_until: new Date(FROM.getTime() + 4 * HOUR), p_status: 'running' },
      { p_backfill_id: 42, p_done_until: TO, p_status: 'running' },
      { p_backfill_id: 42, p_done_until: FROM, p_status: 'succeeded' },
    ]);
    expect(progress.map((p) => [p.chunksDone, p.chunksTotal, p.records])).toEqual([
      [1, 3, 1],
      [2, 3, 2],
      [3, 3, 3],
    ]);
    expect(summary).toEqual({
      backfillId: 42,
      chunksDone: 3,
      chunksTotal: 3,
      records: 3,
      outcomes: { lead_created: 3 },
      status: 'succeeded',
      dryRun: false,
      resumedFrom: null,
      error: null,
    });
  });

  it('resumes an unfinished back-fill of the same window after its last finished chunk', async () => {
    const resumeAt = new Date(FROM.getTime() + 4 * HOUR);
    const { client, backfill } = backfillStack(oneCallPerWindow, resumeAt);
    const { lease } = fakeLease('call_log_backfill');

    const summary = await backfill.run(FROM, TO, lease);

    expect(windowsOf(client.windows)).toEqual([
      ['2026-11-20T04:00:00.000Z', '2026-11-20T05:30:00.000Z'],
    ]);
    expect(summary).toMatchObject({
      chunksDone: 1,
      chunksTotal: 1,
      status: 'succeeded',
      resumedFrom: resumeAt.toISOString(),
    });
  });

  it('stops at the first failed chunk and records the back-fill as failed, its finished chunks kept', async () => {
    const failure = new KnowlarityCredentialsError(401);
    const { repository, client, backfill } = backfillStack((window) =>
      window.from.getTime() === FROM.getTime() + 2 * HOUR ? [failure] : oneCallPerWindow(window),
    );
    const { lease } = fakeLease('call_log_backfill');

    const summary = await backfill.run(FROM, TO, lease);

    expect(client.windows).toHaveLength(2);
    expect(repository.callsOf('knowlarity_backfill_progress')).toEqual([
      { p_backfill_id: 42, p_done_until: new Date(FROM.getTime() + 2 * HOUR), p_status: 'running' },
      { p_backfill_id: 42, p_done_until: FROM, p_status: 'failed' },
    ]);
    expect(summary).toMatchObject({
      chunksDone: 1,
      chunksTotal: 3,
      records: 1,
      status: 'failed',
      error: `knowlarity_credentials: ${failure.message}`,
    });
  });

  it('in a dry run reads every chunk and records nothing', async () => {
    const { repository, client, backfill } = backfillStack();
    const { lease } = fakeLease('call_log_backfill');

    const summary = await backfill.run(FROM, TO, lease, { dryRun: true });

    expect(client.windows).toHaveLength(3);
    expect(new Set(repository.calls.map((call) => call.fn))).toEqual(
      new Set(['knowlarity_ingest_calls']),
    );
    expect(summary).toMatchObject({
      backfillId: 0,
      chunksDone: 3,
      records: 3,
      outcomes: { lead_created: 3 },
      status: 'succeeded',
      dryRun: true,
    });
  });
});
