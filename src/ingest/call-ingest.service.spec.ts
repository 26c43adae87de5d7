import { makeCall, testRules } from '../../test/support/calls';
import { RecordingRepository } from '../../test/support/recording-repository';
import { counterValue } from '../../test/support/sync-fakes';
import { Clock } from '../common/clock';
import { parseIngestConfig } from '../config/ingest.config';
import { FunctionArgs, IngestItem, IngestResult } from '../database/lead-sync.repository';
import { MetricsService } from '../metrics/metrics.service';
import { CallIngestService } from './call-ingest.service';

const result = (callId: string, outcome: IngestResult['outcome'], sourceId = 4): IngestResult => ({
  outcome,
  leadId: 7,
  callId,
  sourceId,
  deliveryId: null,
  assignedTo: null,
  assignmentReason: null,
});

async function ingestTimings(metrics: MetricsService, arrivalPath: string): Promise<number> {
  const metric = metrics.registry.getSingleMetric('knowlarity_ingest_duration_seconds')!;
  const { values } = await metric.get();
  // A histogram's values carry the series name (`…_count`, `…_sum`, `…_bucket`) untyped.
  const count = values.find(
    (v: { metricName?: string; labels: Record<string, unknown> }) =>
      v.metricName?.endsWith('_count') && v.labels.arrival_path === arrivalPath,
  );
  return count?.value ?? 0;
}

describe('CallIngestService', () => {
  let repository: RecordingRepository;
  let metrics: MetricsService;
  let service: CallIngestService;

  beforeEach(() => {
    repository = new RecordingRepository();
    metrics = new MetricsService(new Clock());
    const config = parseIngestConfig({ KNOWLARITY_NUMBER_SOURCES: '+919600000302=Meta' });
    service = new CallIngestService(repository, metrics, config);
  });

  it('hands one call to the ingest function with the configured rules, and counts its outcome', async () => {
    const call = makeCall('9800000101');
    const delivery = { method: 'POST', headers: {}, httpStatus: 200 };
    repository.on('knowlarity_ingest_call', (args: FunctionArgs) =>
      result((args.p_call as { callId: string }).callId, 'lead_created'),
    );

    const outcome = await service.ingest(call, 'webhook', { raw: true }, delivery);

    expect(outcome).toEqual(result(call.callId, 'lead_created'));
    expect(repository.callsOf('knowlarity_ingest_call')).toEqual([
      {
        p_call: call,
        p_arrival_path: 'webhook',
        p_rules: {
          ...testRules,
          numberSources: { '+919600000302': 'Meta' },
          agentUsers: {},
          numberOwners: {},
        },
        p_raw: { raw: true },
        p_delivery: delivery,
      },
    ]);
    const labels = { arrival_path: 'webhook', outcome: 'lead_created' };
    expect(await counterValue(metrics, 'knowlarity_calls_total', labels)).toBe(1);
    expect(await counterValue(metrics, 'knowlarity_leads_created_total', { source_id: '4' })).toBe(
      1,
    );
    expect(await ingestTimings(metrics, 'webhook')).toBe(1);
  });

  it('hands a call-log page over in one call (arrival path poll) and counts every outcome', async () => {
    const items: IngestItem[] = [makeCall('9800000102'), makeCall('9800000103')].map((call) => ({
      call,
      raw: { uuid: call.callId },
    }));
    repository.on('knowlarity_ingest_calls', () => [
      result(items[0].call.callId, 'lead_created'),
      result(items[1].call.callId, 'same_source_duplicate'),
    ]);

    const results = await service.ingestPage(items);

    expect(results.map((r) => r.outcome)).toEqual(['lead_created', 'same_source_duplicate']);
    expect(repository.callsOf('knowlarity_ingest_calls')).toEqual([
      expect.objectContaining({ p_items: items, p_arrival_path: 'poll', p_dry_run: false }),
    ]);
    for (const outcome of ['lead_created', 'same_source_duplicate']) {
      const labels = { arrival_path: 'poll', outcome };
      expect(await counterValue(metrics, 'knowlarity_calls_total', labels)).toBe(1);
    }
    expect(await ingestTimings(metrics, 'poll')).toBe(1);
  });

  it('passes dryRun through and counts nothing for a dry run', async () => {
    const items: IngestItem[] = [{ call: makeCall('9800000104'), raw: {} }];
    repository.on('knowlarity_ingest_calls', () => [result(items[0].call.callId, 'lead_created')]);

    await service.ingestPage(items, true);

    expect(repository.callsOf('knowlarity_ingest_calls')[0].p_dry_run).toBe(true);
    const labels = { arrival_path: 'poll', outcome: 'lead_created' };
    expect(await counterValue(metrics, 'knowlarity_calls_total', labels)).toBe(0);
  });

  it('lets a database error through and counts no outcome', async () => {
    repository.on('knowlarity_ingest_call', () => {
      throw new Error('connection refused');
    });

    await expect(service.ingest(makeCall('9800000105'), 'replay', null)).rejects.toThrow(
      'connection refused',
    );
    const labels = { arrival_path: 'replay', outcome: 'lead_created' };
    expect(await counterValue(metrics, 'knowlarity_calls_total', labels)).toBe(0);
  });
});
