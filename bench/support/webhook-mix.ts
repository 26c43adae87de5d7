import { randomUUID } from 'node:crypto';
import { parseBody } from '../../src/common/http/raw-body';
import { IngestRules } from '../../src/config/ingest.config';
import { buildFunctionCall } from '../../src/database/drivers/sql-function-call';
import { BatchIngestItem } from '../../src/database/lead-sync.types';
import { normalizeCall } from '../../src/knowlarity';
import { formatIst } from '../../src/knowlarity/times';
import { mulberry32 } from '../../tools/simulator/call-generator';
import {
  PlannedWebhook,
  toWebhookRequest,
  WEBHOOK_SHAPES,
} from '../../tools/simulator/webhook-sender';
import { toDeliveryRecord } from '../../src/webhooks/delivery-record';
import { decodeWebhookPayload, WebhookRequest } from '../../src/webhooks/webhook-payload';

/** The SR number credited to the default source, and one mapped to a second source. */
export const PRIMARY_SR = '+919600000301';
export const SECONDARY_SR = '+919600000302';
export const SECOND_SOURCE = 'Google Ads';

export type CallKind = 'new_phone' | 'repeat_caller' | 'cross_source' | 'redelivery';

export interface MixedRequest {
  kind: CallKind;
  request: PlannedWebhook;
}

/** The share of each kind of delivery, as issue 7 specifies it. */
const MIX: [CallKind, number][] = [
  ['new_phone', 0.6],
  ['repeat_caller', 0.25],
  ['cross_source', 0.1],
  ['redelivery', 0.05],
];

/**
 * Generates webhook deliveries in a realistic mix: 60% from phones never seen, 25% from phones
 * already leads of the default source (same SR number), 10% from such phones calling the SR
 * number mapped to a second source (each phone once, so each is a real cross-source credit), and
 * 5% exact re-deliveries of an earlier request. Shapes rotate through the Hook API's four
 * (call-log JSON, classic GET, classic form, log push).
 *
 * Repeats only reuse phones and requests generated at least `lag` deliveries earlier, so with
 * fewer connections than that their first delivery has been answered: the outcomes are then
 * exactly lead_created / same_source_duplicate / cross_source_duplicate / duplicate_call. Until
 * `lag` phones exist every delivery is a new phone (warm-up covers that).
 */
export class WebhookMix {
  private readonly random: () => number;
  private readonly phones: string[] = [];
  private crossed = 0;
  private readonly recent: PlannedWebhook[] = [];
  private shape = 0;
  private generated = 0;
  private startTime = '';
  private startTimeAt = 0;

  constructor(
    private readonly path: string,
    private readonly firstPhone: number,
    private readonly lag = 2000,
    seed = 7,
  ) {
    this.random = mulberry32(seed);
  }

  next(): MixedRequest {
    this.generated += 1;
    const kind = this.pickKind();
    const old = this.phones.length - this.lag;
    if (kind === 'redelivery') {
      const request = this.recent[Math.floor(this.random() * (this.recent.length - this.lag))];
      return { kind, request };
    }
    if (kind === 'repeat_caller') {
      return { kind, request: this.call(this.phones[Math.floor(this.random() * old)], PRIMARY_SR) };
    }
    if (kind === 'cross_source') {
      return { kind, request: this.call(this.phones[this.crossed++], SECONDARY_SR) };
    }
    const phone = `+91${this.firstPhone + this.phones.length}`;
    this.phones.push(phone);
    return { kind, request: this.call(phone, PRIMARY_SR) };
  }

  private pickKind(): CallKind {
    const old = this.phones.length - this.lag;
    let r = this.random();
    for (const [kind, share] of MIX) {
      if (r < share) {
        if (kind === 'repeat_caller' && old > 0) return kind;
        if (kind === 'cross_source' && this.crossed < old) return kind;
        if (kind === 'redelivery' && this.recent.length > this.lag) return kind;
        return 'new_phone';
      }
      r -= share;
    }
    return 'new_phone';
  }

  /** A call-log record for one new call, rendered in the next shape. */
  private call(phone: string, srNumber: string): PlannedWebhook {
    const now = Date.now();
    if (now - this.startTimeAt >= 1000) {
      this.startTime = formatIst(new Date(now));
      this.startTimeAt = now;
    }
    const uuid = randomUUID();
    const missed = this.random() < 0.3;
    const agent = `+91970000020${1 + Math.floor(this.random() * 5)}`;
    const record = {
      uuid,
      customer_number: phone,
      agent_number: missed ? `Customer Missed#${agent}` : agent,
      knowlarity_number: srNumber,
      start_time: this.startTime,
      call_duration: missed ? 0 : 5 + Math.floor(this.random() * 900),
      business_call_type: missed ? 'Missed Call' : 'Phone',
      Call_Type: 0,
      call_recording: missed ? '' : `https://sr.knowlarity.com/vr/fetchsound/?callid=${uuid}`,
      destination: missed ? '' : agent,
    };
    const shape = WEBHOOK_SHAPES[this.shape++ % WEBHOOK_SHAPES.length];
    const request = toWebhookRequest(record, shape, this.path);
    if (request.body !== undefined) {
      request.headers['content-length'] = String(Buffer.byteLength(request.body));
    }
    this.recent.push(request);
    if (this.recent.length > 4 * this.lag) this.recent.splice(0, this.lag);
    return request;
  }
}

/**
 * The exact `select knowlarity_ingest_call(...)` the service issues for `planned` (same
 * decoding, normaliser, delivery record and rules), for calling the function without HTTP.
 */
export function ingestStatementFor(
  planned: PlannedWebhook,
  rules: IngestRules,
  host: string,
): { text: string; values: unknown[] } {
  const { call, arrivalPath, raw, delivery } = ingestItemFor(planned, host);
  return buildFunctionCall('knowlarity_ingest_call', {
    p_call: call,
    p_arrival_path: arrivalPath,
    p_rules: rules,
    p_raw: raw,
    p_delivery: delivery,
  });
}

/**
 * What the service hands the ingest for `planned`: the normalised call, its raw fields and its
 * delivery record, as one item of `knowlarity_ingest_batch`.
 */
export function ingestItemFor(planned: PlannedWebhook, host: string): BatchIngestItem {
  const queryStart = planned.url.indexOf('?');
  const rawBody = planned.body === undefined ? undefined : Buffer.from(planned.body);
  const headers: Record<string, string> = { host, connection: 'keep-alive', ...planned.headers };
  const request: WebhookRequest = {
    requestId: randomUUID(),
    method: planned.method,
    path: '/webhooks/knowlarity/[redacted]',
    contentType: planned.headers['content-type'],
    headers,
    rawQuery: queryStart === -1 ? '' : planned.url.slice(queryStart + 1),
    rawBody,
    parsedBody: rawBody ? parseBody(planned.headers['content-type'], rawBody).body : undefined,
    remoteAddress: '127.0.0.1',
  };
  const fields = decodeWebhookPayload(request);
  return {
    call: normalizeCall(fields, { defaultCountry: 'IN', timezone: 'Asia/Kolkata' }),
    arrivalPath: 'webhook',
    raw: fields,
    delivery: toDeliveryRecord(request, {
      secretHeaders: ['x-knowlarity-signature'],
      secrets: [],
      tokenVerdict: () => 'valid',
    }),
  };
}
