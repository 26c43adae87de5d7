import { Clock } from '../../src/common/clock';
import { parseIngestConfig } from '../../src/config/ingest.config';
import { parseKnowlarityApiConfig } from '../../src/config/knowlarity-api.config';
import { HeldLease } from '../../src/database/database-lease';
import {
  FunctionArgs,
  IngestItem,
  IngestOutcome,
  IngestResult,
} from '../../src/database/lead-sync.repository';
import { CallIngestService } from '../../src/ingest/call-ingest.service';
import { CallNormalizer } from '../../src/knowlarity/call-normalizer';
import {
  CallLogPageAt,
  CallLogWindow,
  KnowlarityClient,
} from '../../src/knowlarity/knowlarity-client';
import { MetricsService } from '../../src/metrics/metrics.service';
import { CallLogWindowSync } from '../../src/sync/call-log-window-sync';
import { RecordingRepository } from './recording-repository';

/** A page of records, or an error the call log answers instead of that page. */
export type ScriptedPage = Record<string, unknown>[] | Error;

/** The call-log client with pages a spec scripts per window; records each window asked for. */
export class ScriptedCallLog extends KnowlarityClient {
  readonly windows: CallLogWindow[] = [];

  constructor(private readonly pagesFor: (window: CallLogWindow) => ScriptedPage[]) {
    super(parseKnowlarityApiConfig({}), new Clock());
  }

  override async *iterateCallLog(window: CallLogWindow): AsyncGenerator<CallLogPageAt> {
    this.windows.push(window);
    let offset = 0;
    for (const page of this.pagesFor(window)) {
      if (page instanceof Error) throw page;
      yield { records: page, totalCount: null, offset };
      offset += page.length;
    }
  }
}

/** A call-log record as Knowlarity lists it: an inbound call from `phone` (10 digits). */
export function callRecord(uuid: string, phone: string | null, startTime: string) {
  return {
    uuid,
    customer_number: phone === null ? '' : `+91${phone}`,
    knowlarity_number: '+919600000301',
    agent_number: '+919700000201',
    start_time: startTime,
    call_duration: 60,
    Call_Type: 0,
  };
}

/** A lease held by "this instance" that counts its renewals. */
export function fakeLease(name: string, watermark: string | null = null) {
  const renewals = { count: 0 };
  const lease: HeldLease = {
    name,
    owner: 'this-instance',
    watermark,
    renew: () => {
      renewals.count += 1;
      return Promise.resolve(true);
    },
  };
  return { lease, renewals };
}

/**
 * The sync stack for unit specs: the real window sync, ingest door, normaliser and metrics over
 * a recording repository and a scripted call log. The repository answers as the SQL functions
 * would: each ingested call gets `outcomeOf(call id)`, runs are numbered from 1, and a finished
 * run moves the watermark when it succeeded and names a stream.
 */
export function syncStack(
  pagesFor: (window: CallLogWindow) => ScriptedPage[],
  outcomeOf: (callId: string) => IngestOutcome = () => 'lead_created',
) {
  const clock = new Clock();
  const metrics = new MetricsService(clock);
  const repository = new RecordingRepository();
  let runs = 0;
  repository
    .on('knowlarity_sync_start_run', () => ({ runId: ++runs }))
    .on('knowlarity_sync_finish_run', (args: FunctionArgs) => ({
      runId: args.p_run_id,
      watermarkAdvanced: args.p_status === 'succeeded' && args.p_stream !== null,
    }))
    .on('knowlarity_ingest_calls', (args: FunctionArgs): IngestResult[] =>
      (args.p_items as IngestItem[]).map(({ call }) => ({
        outcome: outcomeOf(call.callId),
        leadId: 1,
        callId: call.callId,
        sourceId: 1,
        deliveryId: null,
        assignedTo: null,
        assignmentReason: null,
      })),
    );
  const client = new ScriptedCallLog(pagesFor);
  const ingestion = new CallIngestService(repository, metrics, parseIngestConfig({}));
  const normalizer = new CallNormalizer({ timezone: 'Asia/Kolkata', defaultCountry: 'IN' });
  const windows = new CallLogWindowSync(repository, ingestion, client, normalizer, metrics);
  return { repository, client, metrics, windows };
}

/** A counter's value for the given labels (0 when never incremented). */
export async function counterValue(
  metrics: MetricsService,
  name: string,
  labels: Record<string, string>,
): Promise<number> {
  const metric = metrics.registry.getSingleMetric(name);
  if (!metric) throw new Error(`No metric ${name}`);
  const { values } = await metric.get();
  const match = values.find((value) =>
    Object.entries(labels).every(([key, expected]) => value.labels[key] === expected),
  );
  return match?.value ?? 0;
}
