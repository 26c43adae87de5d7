import { normalizePhone } from '../../src/knowlarity/phone';
import { formatInZone, parseKnowlarityTime } from '../../src/knowlarity/times';
import { mulberry32 } from './call-generator';

/**
 * The Hook API shapes of docs/knowlarity.md §2: call-log names as JSON, the classic SR variables as a
 * GET query string or a form POST, and the "log push" JSON.
 */
export const WEBHOOK_SHAPES = ['calllog', 'classic-get', 'classic-form', 'logpush'] as const;
export type WebhookShape = (typeof WEBHOOK_SHAPES)[number];

export interface WebhookDeliveryOptions {
  /** The receiver, e.g. `http://127.0.0.1:3000/webhooks/knowlarity?token=...`; its query is kept. */
  url: string;
  /** One shape for every call, or `mixed` (the default): a seeded choice per call. */
  shape?: WebhookShape | 'mixed';
  /** Share of calls never sent, as when a hook does not fire; exact after rounding. */
  dropFraction?: number;
  /** Share of the sent calls sent twice, as when a hook is retried; exact after rounding. */
  duplicateFraction?: number;
  /** Send in a seeded random order instead of record order (duplicates right after originals). */
  shuffle?: boolean;
  /** Same seed, same drops, duplicates, shapes and order. Defaults to 1. */
  seed?: number;
  /** Requests in flight at once; defaults to 8. */
  concurrency?: number;
  /** Per-request timeout; defaults to 10 s. */
  timeoutMs?: number;
  /** Extra headers on every request (e.g. a signature relay's). */
  headers?: Record<string, string>;
}

/** One HTTP request standing for one delivery of one call. */
export interface PlannedWebhook {
  callId: string;
  shape: WebhookShape;
  method: 'GET' | 'POST';
  url: string;
  headers: Record<string, string>;
  body?: string;
}

export interface WebhookPlan {
  requests: PlannedWebhook[];
  /** Call ids never sent. */
  dropped: string[];
  /** Call ids sent twice. */
  duplicated: string[];
}

export interface WebhookResponse {
  callId: string;
  shape: WebhookShape;
  /** The HTTP status; 0 when the request failed without one (the body says why). */
  status: number;
  body: string;
}

export interface WebhookDeliveryReport {
  /** Requests sent, duplicates included. */
  sent: number;
  dropped: string[];
  duplicated: string[];
  /** One per request, in the order they were planned. */
  responses: WebhookResponse[];
}

/**
 * Sends call-log records to a webhook receiver as Knowlarity's Hook API would, with seeded drops,
 * duplicates and reordering, and reports what it did. Network failures are reported as status 0
 * rather than thrown, so one refused request does not hide the others' results.
 */
export async function deliverAsWebhooks(
  records: Record<string, unknown>[],
  options: WebhookDeliveryOptions,
): Promise<WebhookDeliveryReport> {
  const plan = planWebhookDeliveries(records, options);
  const concurrency = Math.max(1, Math.floor(options.concurrency ?? 8));
  const timeoutMs = options.timeoutMs ?? 10_000;
  const responses: WebhookResponse[] = new Array<WebhookResponse>(plan.requests.length);

  let next = 0;
  const worker = async () => {
    while (next < plan.requests.length) {
      const index = next++;
      const request = plan.requests[index];
      responses[index] = await send(request, timeoutMs);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, plan.requests.length) }, worker));

  return {
    sent: plan.requests.length,
    dropped: plan.dropped,
    duplicated: plan.duplicated,
    responses,
  };
}

/** What {@link deliverAsWebhooks} would send, without sending it. */
export function planWebhookDeliveries(
  records: Record<string, unknown>[],
  options: WebhookDeliveryOptions,
): WebhookPlan {
  const seed = options.seed ?? 1;
  const dropFraction = checkFraction(options.dropFraction ?? 0, 'dropFraction');
  const duplicateFraction = checkFraction(options.duplicateFraction ?? 0, 'duplicateFraction');
  const shape = options.shape ?? 'mixed';
  if (shape !== 'mixed' && !WEBHOOK_SHAPES.includes(shape)) {
    throw new RangeError(`shape must be one of ${WEBHOOK_SHAPES.join(', ')} or mixed`);
  }
  // Separate streams, so changing one fraction does not reshuffle the other choices.
  const shapeRandom = mulberry32(seed);
  const dropRandom = mulberry32(seed ^ 0x5bd1e995);
  const duplicateRandom = mulberry32(seed ^ 0x27d4eb2d);
  const orderRandom = mulberry32(seed ^ 0x165667b1);

  const shapes = records.map((): WebhookShape =>
    shape === 'mixed' ? WEBHOOK_SHAPES[Math.floor(shapeRandom() * WEBHOOK_SHAPES.length)] : shape,
  );

  const indices = records.map((_, i) => i);
  const droppedIndices = new Set(
    shuffled(indices, dropRandom).slice(0, Math.round(records.length * dropFraction)),
  );
  const kept = indices.filter((i) => !droppedIndices.has(i));
  const duplicatedIndices = new Set(
    shuffled(kept, duplicateRandom).slice(0, Math.round(kept.length * duplicateFraction)),
  );

  let requests: PlannedWebhook[] = [];
  for (const i of kept) {
    const request = toWebhookRequest(records[i], shapes[i], options.url, options.headers);
    requests.push(request);
    if (duplicatedIndices.has(i)) {
      requests.push({ ...request, headers: { ...request.headers } });
    }
  }
  if (options.shuffle) {
    requests = shuffled(requests, orderRandom);
  }
  const idOf = (i: number) => callIdOf(records[i]);
  return {
    requests,
    dropped: indices.filter((i) => droppedIndices.has(i)).map(idOf),
    duplicated: kept.filter((i) => duplicatedIndices.has(i)).map(idOf),
  };
}

/** One call-log record as one webhook request in `shape`, aimed at `url`. */
export function toWebhookRequest(
  record: Record<string, unknown>,
  shape: WebhookShape,
  url: string,
  extraHeaders: Record<string, string> = {},
): PlannedWebhook {
  const callId = callIdOf(record);
  const post = (contentType: string, body: string): PlannedWebhook => ({
    callId,
    shape,
    method: 'POST',
    url,
    headers: { 'content-type': contentType, ...extraHeaders },
    body,
  });
  switch (shape) {
    case 'calllog':
      return post('application/json', JSON.stringify(record));
    case 'logpush':
      return post('application/json', JSON.stringify(toLogPush(record)));
    case 'classic-form':
      return post('application/x-www-form-urlencoded', encodeForm(toClassicHook(record)));
    case 'classic-get':
      return {
        callId,
        shape,
        method: 'GET',
        url: `${url}${url.includes('?') ? '&' : '?'}${encodeForm(toClassicHook(record))}`,
        headers: { ...extraHeaders },
      };
  }
}

/**
 * The classic SR variables (docs/knowlarity.md §2, like examples/hook-classic.query.txt): every value a
 * string, times with microseconds and mixed offsets (`start_time` in UTC, `end_time` in IST).
 */
export function toClassicHook(record: Record<string, unknown>): Record<string, string> {
  const start = parseKnowlarityTime(record.start_time);
  const duration = durationOf(record);
  const agent = agentOf(record);
  const fields: Record<string, string> = {
    dispnumber: text(record.knowlarity_number),
    extension: 'None',
    callid: callIdOf(record),
    call_duration: String(duration),
    destination: agent.number ?? agent.label ?? '',
    caller_id: text(record.customer_number),
  };
  if (start) {
    fields.end_time = withMicroseconds(new Date(start.getTime() + duration * 1000), 'Asia/Kolkata');
  }
  fields.action = '6';
  fields.timezone = 'Asia/Kolkata';
  fields.resource_url = text(record.call_recording);
  fields.hangup_cause = duration > 0 ? '900' : '';
  fields.type = text(record.business_call_type).toLowerCase();
  if (start) {
    fields.start_time = withMicroseconds(start, 'UTC');
  }
  fields.call_type = isOutbound(record) ? 'outgoing' : 'incoming';
  return fields;
}

/**
 * The "log push" JSON (docs/knowlarity.md §2, like examples/hook-logpush.json): IST `call_date` and
 * `call_time` without a zone, every value a string, and the caller's `+` percent-encoded inside
 * the JSON string as some accounts send it.
 */
export function toLogPush(record: Record<string, unknown>): Record<string, string> {
  const start = parseKnowlarityTime(record.start_time);
  const ist = start ? formatInZone(start, 'Asia/Kolkata') : '';
  const duration = durationOf(record);
  const customer = text(record.customer_number);
  return {
    call_uuid: callIdOf(record),
    call_date: ist.slice(0, 10),
    call_time: ist.slice(11, 19),
    caller_number: customer.replace(/^\+/, '%2B'),
    caller_country_dial_code: '+91',
    call_direction: isOutbound(record) ? 'outbound' : 'inbound',
    called_number: text(record.knowlarity_number),
    call_status: duration > 0 ? 'answered' : 'missed',
    agent_number: text(record.agent_number),
    call_transfer_status: 'not_transferred',
    caller_duration: String(duration),
    recording_url: text(record.call_recording),
    hangup_cause: duration > 0 ? '900' : '',
  };
}

async function send(request: PlannedWebhook, timeoutMs: number): Promise<WebhookResponse> {
  const { callId, shape } = request;
  try {
    const response = await fetch(request.url, {
      method: request.method,
      headers: request.headers,
      body: request.body,
      signal: AbortSignal.timeout(timeoutMs),
    });
    return { callId, shape, status: response.status, body: await response.text() };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { callId, shape, status: 0, body: message };
  }
}

/** `a=b&c=d` with `%20` for spaces and `%2B` for `+`, as Knowlarity encodes its hooks. */
function encodeForm(fields: Record<string, string>): string {
  return Object.entries(fields)
    .map(([key, value]) => `${encodeURIComponent(key)}=${encodeURIComponent(value)}`)
    .join('&');
}

/** `YYYY-MM-DD HH:MM:SS.ffffff+HH:MM` in `timezone`. */
function withMicroseconds(date: Date, timezone: string): string {
  const formatted = formatInZone(date, timezone);
  const micros = String((date.getTime() % 1000) * 1000).padStart(6, '0');
  return `${formatted.slice(0, 19)}.${micros}${formatted.slice(19)}`;
}

function callIdOf(record: Record<string, unknown>): string {
  return text(record.uuid);
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : '';
}

function durationOf(record: Record<string, unknown>): number {
  const value = Number(text(record.call_duration));
  return Number.isFinite(value) && value > 0 ? Math.round(value) : 0;
}

function isOutbound(record: Record<string, unknown>): boolean {
  const type = text(record.Call_Type).toLowerCase();
  return type === '1' || type === 'outgoing' || type === 'outbound';
}

/** `agent_number` split into its outcome label and phone (`Customer Missed#+91...`). */
function agentOf(record: Record<string, unknown>): { label: string | null; number: string | null } {
  const value = text(record.agent_number);
  const hash = value.indexOf('#');
  const label = hash === -1 ? value : value.slice(0, hash);
  const numberPart = hash === -1 ? value : value.slice(hash + 1);
  const phone = normalizePhone(numberPart);
  if (phone) {
    return { label: hash === -1 ? null : label || null, number: phone.e164 };
  }
  return { label: label || null, number: null };
}

function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j], copy[i]];
  }
  return copy;
}

function checkFraction(value: number, name: string): number {
  if (!(value >= 0 && value <= 1)) {
    throw new RangeError(`${name} must be between 0 and 1`);
  }
  return value;
}
