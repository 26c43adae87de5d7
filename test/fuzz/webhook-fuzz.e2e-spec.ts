/**
 * Bad-input fuzzing of the Knowlarity webhook with fast-check (issue 7): over 10,000 generated
 * deliveries against one app booted on PGlite, each sent over a real socket byte for byte.
 *
 * The property for every request: a 2xx or 4xx (never a 5xx, a reset or a hang), a JSON body
 * `{success: true, outcome, leadId, callId}` for 200 or `{success: false, code, message}` with a
 * snake_case code otherwise, no secret in the response, correct credentials never refused, and
 * every answered delivery stored in webhook_deliveries with its status and its body's size
 * (unparseable content types and unreadable URLs included).
 *
 * The generators hold nothing back (see webhook-arbitraries.ts): the inputs behind the nine bugs
 * the fuzzing found are generated on purpose, and the last property checks that each of them was
 * reached. Each bug is also pinned by its minimal request, with the exact reply now expected,
 * under "regressions found by fuzzing" at the end.
 */
import { expect } from '@jest/globals';
import { LoggerService } from '@nestjs/common';
import fc from 'fast-check';
import { createHmac, randomBytes } from 'node:crypto';
import { INGEST_OUTCOMES } from '../../src/database/lead-sync.types';
import { RunningApp, startApp } from '../support/app';
import { createPgliteDatabase, TestDatabase } from '../support/databases';
import { WebhookBody } from '../support/http';
import { RawHttpClient, RawRequest, RawResponse } from './raw-http';
import {
  anyBody,
  badPathEscapeArb,
  contentTypeArb,
  deepJsonBody,
  duplicateKeysBody,
  formBody,
  GeneratedBody,
  hostileStringsBody,
  hugeBody,
  longCallIdBody,
  markupBody,
  MAX_ACCEPTED_DEPTH,
  MAX_BODY_BYTES,
  MAX_CALL_ID_LENGTH,
  nulBody,
  queryArb,
  randomBytesBody,
  truncatedJsonBody,
  wrongTypesBody,
} from './webhook-arbitraries';

const TOKEN = `tok_${randomBytes(16).toString('hex')}`;
const SECRET = `sec_${randomBytes(16).toString('hex')}`;
const SECRETS = [TOKEN, SECRET];
const WEBHOOK = '/webhooks/knowlarity';

const OUTCOMES: readonly string[] = INGEST_OUTCOMES;
const SNAKE_CASE = /^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$/;
const AUTH_CODES = ['invalid_token', 'invalid_signature', 'signature_expired'];

/** How a request presents its credentials; the first two are correct. */
type Auth =
  | 'token-in-path'
  | 'token-in-query'
  | 'missing-token'
  | 'wrong-token'
  | 'no-signature'
  | 'wrong-signature'
  | 'garbage-standard-webhook';

const authArb: fc.Arbitrary<Auth> = fc.oneof(
  { arbitrary: fc.constantFrom<Auth>('token-in-path', 'token-in-query'), weight: 17 },
  {
    arbitrary: fc.constantFrom<Auth>(
      'missing-token',
      'wrong-token',
      'no-signature',
      'wrong-signature',
      'garbage-standard-webhook',
    ),
    weight: 3,
  },
);

/** Where a percent-escape that does not decode goes in the path (see badUrls). */
type BadPath = { escape: string; at: 'after-token' | 'before-token' | 'extra-segment' };

/** What the fuzzer means to send, before credentials are added. */
interface Delivery {
  kind: string;
  method: 'GET' | 'POST';
  query: string;
  body?: Buffer;
  contentType?: string;
  auth: Auth;
  /** Makes the URL path unreadable: the request is then a 400 bad_request whatever else it is. */
  badPath?: BadPath;
}

interface Sent {
  kind: string;
  bodyBytes: number;
  status: number;
  code?: string;
  message?: string;
  /** Which of the once-avoided inputs (see LIFTED) the request carries. */
  lifted: string[];
}

/** Keeps the app's log lines so a failure can show the server's side of one request. */
class CollectingLogger implements LoggerService {
  readonly lines: string[] = [];
  private record(level: string, message: unknown, params: unknown[]) {
    this.lines.push(`${level} [${String(params.at(-1))}] ${String(message)}`);
    if (this.lines.length > 20_000) this.lines.splice(0, 10_000);
  }
  log(message: unknown, ...params: unknown[]) {
    this.record('LOG', message, params);
  }
  error(message: unknown, ...params: unknown[]) {
    this.record('ERROR', message, params);
  }
  warn(message: unknown, ...params: unknown[]) {
    this.record('WARN', message, params);
  }
  linesFor(requestId: string): string[] {
    return this.lines.filter((line) => line.includes(requestId));
  }
}

let database: TestDatabase;
let running: RunningApp;
let client: RawHttpClient;
const logger = new CollectingLogger();
const sent = new Map<string, Sent>();
const processErrors: unknown[] = [];
const onProcessError = (error: unknown) => processErrors.push(error);
let requestCounter = 0;

function sign(payload: Buffer | string): string {
  return `sha256=${createHmac('sha256', SECRET).update(payload).digest('hex')}`;
}

/** The request on the wire: path, token, signature and the request id that ties it to its row. */
function toRawRequest(delivery: Delivery): RawRequest {
  const { method, query, body, contentType, auth } = delivery;
  const requestId = `fuzz-${++requestCounter}`;
  const headers: Record<string, string> = { 'x-request-id': requestId };
  if (contentType !== undefined) headers['content-type'] = contentType;

  let segment: string | undefined;
  let fullQuery = query;
  if (auth === 'token-in-query') fullQuery = query ? `token=${TOKEN}&${query}` : `token=${TOKEN}`;
  else if (auth === 'wrong-token') segment = `${TOKEN.slice(0, -1)}x`;
  else if (auth !== 'missing-token') segment = TOKEN;
  const bad = delivery.badPath;
  if (bad) {
    if (segment === undefined) segment = bad.escape;
    else if (bad.at === 'after-token') segment += bad.escape;
    else if (bad.at === 'before-token') segment = bad.escape + segment;
    else segment += `/${bad.escape}`;
  }
  let path = segment === undefined ? WEBHOOK : `${WEBHOOK}/${segment}`;
  if (fullQuery) path += `?${fullQuery}`;

  // Signed as documented: the raw body, or for GET the raw query without the token parameter.
  const signed = method === 'GET' ? query : (body ?? Buffer.alloc(0));
  if (auth === 'wrong-signature') headers['x-knowlarity-signature'] = sign(`${String(signed)}x`);
  else if (auth === 'garbage-standard-webhook') {
    headers['webhook-id'] = 'msg_fuzz';
    headers['webhook-timestamp'] = String(Math.floor(Date.now() / 1000));
    headers['webhook-signature'] = `v1,${randomBytes(32).toString('base64')}`;
  } else if (auth !== 'no-signature') headers['x-knowlarity-signature'] = sign(signed);
  return { method, path, headers, body };
}

/** The request as JSON, the body as UTF-8 text when it is valid UTF-8, else as base64. */
function describeRequest(request: RawRequest): string {
  const utf8 = request.body?.toString('utf8');
  const body =
    request.body && utf8 !== undefined && !Buffer.from(utf8).equals(request.body)
      ? `base64:${request.body.toString('base64')}`
      : utf8;
  return JSON.stringify({
    method: request.method,
    path: request.path.slice(0, 300),
    headers: request.headers,
    body: body && body.length > 500 ? `${body.slice(0, 500)}... (${body.length} bytes)` : body,
  });
}

/** Sends one delivery and checks the property; throws with the full story when it fails. */
async function deliver(delivery: Delivery): Promise<void> {
  const request = toRawRequest(delivery);
  const requestId = request.headers['x-request-id'];
  const fail = (why: string, response?: RawResponse): never => {
    throw new Error(
      `${why}\nrequest: ${describeRequest(request)}` +
        `\nresponse: ${response ? `${response.status} ${response.text.slice(0, 500)}` : '-'}` +
        `\nserver log: ${JSON.stringify(logger.linesFor(requestId))}`,
    );
  };

  let response: RawResponse;
  try {
    response = await client.send(request);
  } catch (error) {
    return fail(`No response: ${(error as Error).message}`);
  }
  const answered: Sent = {
    kind: delivery.kind,
    bodyBytes: delivery.body?.length ?? 0,
    status: response.status,
    lifted: Object.entries(LIFTED)
      .filter(([, carries]) => carries(delivery))
      .map(([name]) => name),
  };
  sent.set(requestId, answered);
  let parsed: unknown;
  try {
    parsed = JSON.parse(response.text);
  } catch {
    return fail('The response is not JSON', response);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    return fail('The response is not a JSON object', response);
  const body = parsed as Record<string, unknown>;
  const code = typeof body.code === 'string' ? body.code : undefined;
  answered.code = code;
  answered.message = typeof body.message === 'string' ? body.message : undefined;

  if (response.status < 200 || response.status >= 500) fail('Not a 2xx or 4xx', response);
  if (!String(response.headers['content-type']).startsWith('application/json'))
    fail('The response is not labelled JSON', response);
  if (SECRETS.some((secret) => response.text.includes(secret)))
    fail('The response echoes a secret', response);
  if (response.status === 200) {
    const ok =
      Object.keys(body).sort().join() ===
        'assignedTo,assignmentReason,callId,leadId,outcome,success' &&
      body.success === true &&
      typeof body.outcome === 'string' &&
      OUTCOMES.includes(body.outcome) &&
      (body.leadId === null || Number.isSafeInteger(body.leadId)) &&
      typeof body.callId === 'string' &&
      (body.assignedTo === null || typeof body.assignedTo === 'string') &&
      (body.assignmentReason === null ||
        (typeof body.assignmentReason === 'string' &&
          ['answering_agent', 'number_owner', 'already_assigned', 'unassigned'].includes(
            body.assignmentReason,
          )));
    if (!ok) fail('A 200 without the success body', response);
  } else {
    const ok =
      Object.keys(body).sort().join() === 'code,message,success' &&
      body.success === false &&
      code !== undefined &&
      SNAKE_CASE.test(code) &&
      typeof body.message === 'string' &&
      body.message.length > 0;
    if (!ok) fail('A refusal without {success: false, code, message}', response);
    if (response.status < 400) fail('A 2xx other than 200', response);
  }

  // Fastify checks the content type before the size, so an oversized body may get a 415.
  const tooLarge = (delivery.body?.length ?? 0) > MAX_BODY_BYTES;
  if (tooLarge && !['payload_too_large', 'unsupported_media_type'].includes(code ?? ''))
    fail('An oversized body was accepted or refused for another reason', response);
  const credentialsOk = delivery.auth === 'token-in-path' || delivery.auth === 'token-in-query';
  if (credentialsOk && (response.status === 401 || response.status === 403))
    fail('Correct credentials were refused', response);
  if (!credentialsOk && response.status === 200) fail('Wrong credentials were accepted', response);
  if (!credentialsOk && response.status === 401 && !AUTH_CODES.includes(code ?? ''))
    fail('A 401 with an unexpected code', response);
  if (delivery.badPath && (response.status !== 400 || code !== 'bad_request'))
    fail('An unreadable URL was not refused with 400 bad_request', response);
  if (credentialsOk && !delivery.badPath && !tooLarge) {
    // Exact answers for the inputs behind two of the found bugs, when nothing else is wrong.
    const depth = acceptedCallDepth(delivery);
    if (depth !== undefined && depth > MAX_ACCEPTED_DEPTH && code !== 'invalid_payload')
      fail(`A body nested ${depth} levels deep was not refused as invalid_payload`, response);
    if (depth !== undefined && depth <= MAX_ACCEPTED_DEPTH && response.status !== 200)
      fail(`A call nested ${depth} levels deep was not accepted`, response);
  }
}

/** Nesting depth of a generated deep-JSON call with a phone, sent as JSON; else undefined. */
function acceptedCallDepth(delivery: Delivery): number | undefined {
  if (!delivery.kind.startsWith('deep-json') || delivery.kind.endsWith('-in-string')) return;
  if (delivery.contentType !== 'application/json' || !delivery.body) return;
  const text = delivery.body.toString('utf8');
  if (!text.startsWith('{"caller_id":')) return;
  try {
    JSON.parse(text); // an unclosed body is refused for that, not for its depth
  } catch {
    return;
  }
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{' || c === '[') deepest = Math.max(deepest, ++depth);
    else if (c === '}' || c === ']') depth--;
  }
  return deepest;
}

/** The body of a POST as text (where the lifted inputs are looked for). */
const jsonText = (d: Delivery) => (d.body && d.method === 'POST' ? d.body.toString('utf8') : '');
const LONE_SURROGATE_ESCAPE =
  /\\ud[89ab][0-9a-f]{2}(?!\\ud[c-f][0-9a-f]{2})|(?<!\\ud[89ab][0-9a-f]{2})\\ud[c-f][0-9a-f]{2}/i;
const HUGE_DURATION = /"\s*(?:call_|caller_)?duration\s*"\s*:\s*"?\s*-?\d{10,}/i;
const FAR_TIME = /"\s*start_time\s*"\s*:\s*"?(?:[+-]\d{6}|(?!20)\d{4}|2100)-/i;
/** What a content type must look like for Fastify to parse it (a `type/subtype`). */
const MEDIA_TYPE = /^\s*[!#$%&'*+.^_`|~0-9A-Za-z-]+\/[!#$%&'*+.^_`|~0-9A-Za-z-]+\s*(?:;.*)?$/;

/**
 * The inputs the generators once avoided because they hit a bug, by name: the last property
 * checks that every one of them was generated and answered as now expected.
 */
const LIFTED: Record<string, (d: Delivery) => boolean> = {
  'lone surrogate': (d) => LONE_SURROGATE_ESCAPE.test(jsonText(d)),
  'duration of 2^31 s or more': (d) => HUGE_DURATION.test(jsonText(d)),
  'start time outside 2000-2100': (d) => FAR_TIME.test(jsonText(d)),
  'deep call': (d) => acceptedCallDepth(d) !== undefined,
  'long field': (d) =>
    d.kind.startsWith('long-field') &&
    Object.values(JSON.parse(jsonText(d)) as Record<string, unknown>).some(
      (v) => typeof v === 'string' && v.length > MAX_CALL_ID_LENGTH,
    ),
  'empty query segment': (d) => d.method === 'GET' && /^&|&&|&$/.test(d.query),
  'unparseable content type': (d) =>
    d.body !== undefined && d.contentType !== undefined && !MEDIA_TYPE.test(d.contentType),
  'unreadable URL': (d) => d.badPath !== undefined,
};

const run = (arbitrary: fc.Arbitrary<Delivery>, numRuns: number) =>
  fc.assert(fc.asyncProperty(arbitrary, deliver), { numRuns });

/**
 * Jest's time for a property of `numRuns` deliveries. Each takes a few milliseconds on an idle
 * machine but 50-70 ms on a saturated one (measured: 2,000 GETs in 136-139 s at a load average
 * of 15-24 on 2 cores, the same before and after the webhook hardening of issue 11), so jest's
 * default 60 s would fail a slow run, not a wrong one. A hang is still caught per request: RawHttpClient gives up on
 * any answer after 10 s and the property fails with "No response".
 */
const timeoutFor = (numRuns: number) => 60_000 + numRuns * 250;

/** A POST of `bodies`, with their natural content type most of the time, else any type. */
function posts(bodies: fc.Arbitrary<GeneratedBody>, query: fc.Arbitrary<string> = fc.constant('')) {
  return fc
    .record({
      body: bodies,
      natural: fc.boolean(),
      otherType: contentTypeArb,
      query: fc.oneof({ arbitrary: fc.constant(''), weight: 4 }, { arbitrary: query, weight: 1 }),
      auth: authArb,
    })
    .map(({ body, natural, otherType, query: q, auth }): Delivery => ({
      kind: body.kind,
      method: 'POST',
      query: q,
      body: body.bytes,
      contentType: natural && body.naturalType ? body.naturalType : otherType,
      auth,
    }));
}

/** GETs signed over their raw query, empty `&` segments included. */
const gets: fc.Arbitrary<Delivery> = fc
  .record({ query: queryArb, auth: authArb, contentType: contentTypeArb })
  .map(({ query, auth, contentType }) => ({
    kind: 'get-query',
    method: 'GET',
    query,
    auth,
    contentType,
  }));

/** Any GET or POST above, its path made unreadable by a percent-escape that does not decode. */
const badUrls: fc.Arbitrary<Delivery> = fc
  .record({
    delivery: fc.oneof(gets, posts(anyBody, queryArb)),
    escape: badPathEscapeArb,
    at: fc.constantFrom<BadPath['at']>('after-token', 'before-token', 'extra-segment'),
  })
  .map(({ delivery, escape, at }) => ({
    ...delivery,
    kind: `bad-url:${delivery.kind}`,
    badPath: { escape, at },
  }));

/** Runs per category, 12,600 in all; at least 10,000 answered deliveries are asserted. */
const RUNS = {
  randomBytes: 1_200,
  truncatedJson: 1_000,
  deepJson: 500,
  hugeStrings: 300,
  longFields: 300,
  wrongTypes: 2_500,
  hostileStrings: 1_200,
  duplicateKeys: 500,
  nul: 500,
  contentTypes: 1_500,
  forms: 700,
  gets: 2_000,
  badUrls: 400,
};

beforeAll(async () => {
  process.on('unhandledRejection', onProcessError);
  process.on('uncaughtException', onProcessError);
  const opened = await createPgliteDatabase();
  database = opened.database;
  running = await startApp({
    repository: opened.repository,
    env: {
      KNOWLARITY_WEBHOOK_TOKEN: TOKEN,
      KNOWLARITY_WEBHOOK_SECRETS: SECRET,
      // Every request comes from one address: neither the rate limit nor the refusal budget
      // (tested in the hardening suite) may stand between a refusal and its stored body here.
      WEBHOOK_RATE_LIMIT_PER_MINUTE: '10000000',
      WEBHOOK_REFUSED_BYTES_PER_HOUR: String(2 ** 40),
      WEBHOOK_REFUSED_BYTES_PER_CLIENT_PER_HOUR: String(2 ** 40),
      WEBHOOK_MAX_BODY_BYTES: undefined,
    },
  });
  running.app.useLogger(logger);
  client = new RawHttpClient(running.url);
}, 300_000); // booting the app (PGlite, migrations) took over 60 s at a load average of 20

afterAll(async () => {
  client?.close();
  await running?.close();
  await database?.close();
  process.off('unhandledRejection', onProcessError);
  process.off('uncaughtException', onProcessError);
});

describe('webhook fuzzing: every generated delivery gets a clean 2xx/4xx and is kept', () => {
  it(
    'random bytes, under any content type',
    async () => {
      await run(posts(randomBytesBody), RUNS.randomBytes);
    },
    timeoutFor(RUNS.randomBytes),
  );

  it(
    'truncated JSON (cut at any byte, mid-character included)',
    async () => {
      await run(posts(truncatedJsonBody), RUNS.truncatedJson);
    },
    timeoutFor(RUNS.truncatedJson),
  );

  it(
    'deeply nested JSON, around the 32-level limit and up to 32,000 levels',
    async () => {
      await run(posts(deepJsonBody), RUNS.deepJson);
    },
    timeoutFor(RUNS.deepJson),
  );

  it(
    'huge strings close to and above WEBHOOK_MAX_BODY_BYTES',
    async () => {
      await run(posts(hugeBody), RUNS.hugeStrings);
    },
    timeoutFor(RUNS.hugeStrings),
  );

  it(
    'long values (ASCII and wide) in every stored field, call ids around 128 characters',
    async () => {
      await run(posts(longCallIdBody), RUNS.longFields);
    },
    timeoutFor(RUNS.longFields),
  );

  it(
    'wrong types for every known field and for the data/call/payload wrappers',
    async () => {
      await run(posts(wrongTypesBody, queryArb), RUNS.wrongTypes);
    },
    timeoutFor(RUNS.wrongTypes),
  );

  it(
    'unicode, lone surrogates, emoji, SQL metacharacters and NUL inside JSON strings',
    async () => {
      await run(posts(hostileStringsBody), RUNS.hostileStrings);
    },
    timeoutFor(RUNS.hostileStrings),
  );

  it(
    'duplicate keys',
    async () => {
      await run(posts(duplicateKeysBody), RUNS.duplicateKeys);
    },
    timeoutFor(RUNS.duplicateKeys),
  );

  it(
    'NUL as \\u0000 in strings and as raw 0x00 bytes',
    async () => {
      await run(posts(nulBody), RUNS.nul);
    },
    timeoutFor(RUNS.nul),
  );

  it(
    'every content type with every kind of body (json, text, form, xml, multipart, garbage, none)',
    async () => {
      const anyType = fc
        .record({ body: anyBody, contentType: contentTypeArb, auth: authArb })
        .map(({ body, contentType, auth }): Delivery => ({
          kind: `content-type:${body.kind}`,
          method: 'POST',
          query: '',
          body: body.bytes,
          contentType,
          auth,
        }));
      await run(fc.oneof(anyType, posts(markupBody)), RUNS.contentTypes);
    },
    timeoutFor(RUNS.contentTypes),
  );

  it(
    'form bodies with broken percent-encoding',
    async () => {
      await run(posts(formBody), RUNS.forms);
    },
    timeoutFor(RUNS.forms),
  );

  it(
    'GET with random, broken, long and empty-segment query strings',
    async () => {
      await run(gets, RUNS.gets);
    },
    timeoutFor(RUNS.gets),
  );

  it(
    'URL paths with percent-escapes that do not decode (400 bad_request, still stored)',
    async () => {
      await run(badUrls, RUNS.badUrls);
    },
    timeoutFor(RUNS.badUrls),
  );

  it('afterwards: the app still takes a valid delivery, kept every one, and leaked nothing', async () => {
    const total = Object.values(RUNS).reduce((sum, n) => sum + n, 0);
    expect(total).toBeGreaterThanOrEqual(10_000);
    expect(sent.size).toBeGreaterThanOrEqual(10_000);
    // The generators reach every branch: accepted calls and each kind of refusal.
    const statuses = countBy([...sent.values()].map((s) => s.status));
    expect(statuses[200]).toBeGreaterThan(1_000);
    for (const status of [400, 401, 413, 415, 422]) expect(statuses[status]).toBeGreaterThan(10);
    // Every once-avoided input was generated, and answered as the fixes intend.
    const liftedAnswers = (name: string) =>
      countBy(
        [...sent.values()]
          .filter((s) => s.lifted.includes(name))
          .map((s) => (s.code ? `${s.status} ${s.code}` : String(s.status))),
      );
    const expectAnswered = (name: string, answer: string, atLeast: number) => {
      const answers = liftedAnswers(name);
      if ((answers[answer] ?? 0) < atLeast)
        throw new Error(
          `"${name}": fewer than ${atLeast} × ${answer} in ${JSON.stringify(answers)}`,
        );
    };
    expectAnswered('lone surrogate', '200', 50);
    expectAnswered('duration of 2^31 s or more', '200', 20);
    expectAnswered('start time outside 2000-2100', '200', 5);
    expectAnswered('deep call', '200', 5);
    expectAnswered('deep call', '400 invalid_payload', 5);
    expectAnswered('long field', '200', 20);
    expectAnswered('long field', '400 invalid_payload', 10);
    expectAnswered('empty query segment', '200', 50);
    expectAnswered('unparseable content type', '415 unsupported_media_type', 100);
    expect(liftedAnswers('unreadable URL')).toEqual({ '400 bad_request': RUNS.badUrls });

    const phone = `98${String(Date.now()).slice(-8)}`;
    const body = Buffer.from(JSON.stringify({ caller_id: phone, callid: `after-${phone}` }));
    const valid = await client.send({
      method: 'POST',
      path: `${WEBHOOK}/${TOKEN}`,
      headers: { 'content-type': 'application/json', 'x-knowlarity-signature': sign(body) },
      body,
    });
    expect([valid.status, (JSON.parse(valid.text) as WebhookBody).outcome]).toEqual([
      200,
      'lead_created',
    ]);

    const rows = await database.sql<{
      request_id: string;
      http_status: number;
      body_bytes: number;
    }>(
      "select request_id, http_status, body_bytes from webhook_deliveries where request_id like 'fuzz-%'",
    );
    const stored = new Map(rows.map((row) => [row.request_id, row]));
    const entries = [...sent.entries()];
    const summary = (list: [string, Sent][]) =>
      list.slice(0, 5).map(([id, s]) => `${id} ${s.kind} ${s.status} ${s.code}`);
    expect({
      missing: summary(entries.filter(([id]) => !stored.has(id))),
      wrongStatus: summary(entries.filter(([id, s]) => stored.get(id)?.http_status !== s.status)),
      wrongSize: summary(entries.filter(([id, s]) => stored.get(id)?.body_bytes !== s.bodyBytes)),
    }).toEqual({ missing: [], wrongStatus: [], wrongSize: [] });
    const [{ n }] = await database.sql<{ n: number }>(
      'select count(*)::int as n from webhook_deliveries',
    );
    expect(n).toBe(sent.size + 1);

    const [leaked] = await database.sql<{ n: number }>(
      `select count(*)::int as n from webhook_deliveries
       where position($1 in concat(path, query, headers::text)) > 0
          or position($2 in concat(path, query, headers::text)) > 0`,
      [TOKEN, SECRET],
    );
    expect(leaked.n).toBe(0);
    const [leads] = await database.sql<{ n: number }>(
      'select count(*)::int as n from leads_master',
    );
    expect(leads.n).toBeGreaterThan(0);
    expect(processErrors).toEqual([]);
  });
});

/**
 * Requests Node's HTTP parser refuses before Fastify or the app see them. They are answered by
 * Fastify's client-error handler (`{error, message, statusCode}`) on a closed connection, and are
 * not webhook deliveries: nothing is stored. Documented here so a change shows up.
 */
describe('outside the app: requests the HTTP parser refuses are answered but not stored', () => {
  const once = (request: RawRequest) => new RawHttpClient(running.url).send(request);

  it('a request line beyond 16 KiB (a very long query) gets 431', async () => {
    const response = await once({
      method: 'GET',
      path: `${WEBHOOK}/${TOKEN}?caller_id=9800000101&pad=${'a'.repeat(20_000)}`,
      headers: { 'x-request-id': 'outside-431' },
    });

    expect(response.status).toBe(431);
    expect(response.text).not.toContain(TOKEN);
    expect(await storedRow('outside-431')).toBeUndefined();
  });

  it('raw bytes above 0x7F in the query get 400', async () => {
    const response = await once({
      method: 'GET',
      path: `${WEBHOOK}/${TOKEN}?caller_id=9800000101&caller_name=\u00e9\u00ff`,
      headers: { 'x-request-id': 'outside-400' },
    });

    expect(response.status).toBe(400);
    expect(response.text).not.toContain(TOKEN);
    expect(await storedRow('outside-400')).toBeUndefined();
  });
});

/**
 * The nine bugs the fuzzing found, each pinned by its minimal request with the exact reply and
 * stored row now expected. They were 500s, refused signatures, lost bodies and echoed tokens.
 */
describe('regressions found by fuzzing', () => {
  const post = (name: string, body: string, contentType = 'application/json') => {
    const bytes = Buffer.from(body);
    return client.send({
      method: 'POST',
      path: `${WEBHOOK}/${TOKEN}`,
      headers: {
        'x-request-id': name,
        'content-type': contentType,
        'x-knowlarity-signature': sign(bytes),
      },
      body: bytes,
    });
  };
  const call = (name: string, phone: string, fields: Record<string, unknown>) =>
    post(name, JSON.stringify({ caller_id: phone, callid: name, ...fields }));

  it('a call_duration of 2^31 seconds is accepted with the duration dropped, not a 500', async () => {
    // Was: 500 storage_error "value \"2147483648\" is out of range for type integer".
    const huge = await post(
      'regression-1',
      '{"caller_id":"9800000101","callid":"regression-1","call_duration":2147483648}',
    );
    const week = await call('regression-1-week', '9800000111', { call_duration: 7 * 86_400 });
    const overWeek = await call('regression-1-over', '9800000121', {
      call_duration: 7 * 86_400 + 1,
    });

    expectAccepted(huge, 'regression-1');
    expectAccepted(week, 'regression-1-week');
    expectAccepted(overWeek, 'regression-1-over');
    expect(await storedCall('regression-1')).toMatchObject({ duration_seconds: null });
    expect(await storedCall('regression-1-week')).toMatchObject({ duration_seconds: 604_800 });
    expect(await storedCall('regression-1-over')).toMatchObject({ duration_seconds: null });
    expect(await storedRow('regression-1')).toMatchObject({ http_status: 200, error_code: null });
  });

  it('a lone surrogate (\\ud800) in an accepted call is stored as U+FFFD and a NUL dropped, not a 500', async () => {
    // Was: 500 storage_error "invalid input syntax for type json".
    const response = await post(
      'regression-2',
      '{"caller_id":"9800000102","callid":"regression-2","caller_name":"Ra\\ud800vi\\u0000"}',
    );

    expectAccepted(response, 'regression-2');
    expect(await storedCall('regression-2')).toMatchObject({ caller_name: 'Ra\ufffdvi' });
    expect(await storedRow('regression-2')).toMatchObject({ http_status: 200 });
  });

  it('a call nested 10,000 levels deep is a 400 invalid_payload, not a stack overflow; 32 levels are accepted', async () => {
    // Was: 500 internal_error "Maximum call stack size exceeded" from about 1,500 levels.
    const nested = (levels: number) =>
      `{"caller_id":"9800000103","callid":"regression-3-${levels}","x":` +
      `${'['.repeat(levels - 1)}${']'.repeat(levels - 1)}}`;
    const deep = await post('regression-3', nested(10_000));
    const atLimit = await post('regression-3-32', nested(MAX_ACCEPTED_DEPTH));
    const overLimit = await post('regression-3-33', nested(MAX_ACCEPTED_DEPTH + 1));

    expectRefused(deep, 400, 'invalid_payload');
    expectAccepted(atLimit, `regression-3-${MAX_ACCEPTED_DEPTH}`);
    expectRefused(overLimit, 400, 'invalid_payload');
    expect(await storedRow('regression-3')).toMatchObject({
      http_status: 400,
      error_code: 'invalid_payload',
      body_bytes: nested(10_000).length,
    });
  });

  it('a call id over 128 characters is a 400 invalid_payload; a long caller name is clipped and a long recording URL dropped, not a 500', async () => {
    // Was: 500 storage_error "index row size 2816 exceeds btree version 4 maximum 2704 ...".
    const incompressible = randomBytes(2_100).toString('base64'); // 2,800 characters
    const idOf = (length: number) => `regression-4-${'x'.repeat(length - 'regression-4-'.length)}`;
    const longId = await post(
      'regression-4',
      JSON.stringify({ caller_id: '9800000104', callid: incompressible }),
    );
    const id128 = await call(idOf(128), '9800000114', {});
    const id129 = await call(idOf(129), '9800000124', {});
    const longName = await call('regression-4-name', '9800000134', {
      caller_name: incompressible,
      call_recording: `https://recordings.example/${'r'.repeat(2_048)}`,
    });

    expectRefused(longId, 400, 'invalid_payload');
    expect(await storedRow('regression-4')).toMatchObject({
      http_status: 400,
      error_code: 'invalid_payload',
    });
    expectAccepted(id128, idOf(128));
    expectRefused(id129, 400, 'invalid_payload');
    expectAccepted(longName, 'regression-4-name');
    expect(await storedCall('regression-4-name')).toMatchObject({
      caller_name: incompressible.slice(0, 200),
      recording_url: null,
    });
  });

  it('a start_time after year 9999 in UTC (or before 2000) is accepted with the time dropped, not a 500', async () => {
    // Was: 500 storage_error "time zone displacement out of range: \"+010000-01-01T11:59:59.000Z\"".
    const before = Date.now();
    const far = await post(
      'regression-5',
      '{"caller_id":"9800000105","callid":"regression-5","start_time":"9999-12-31 23:59:59-12:00"}',
    );
    const early = await call('regression-5-early', '9800000115', {
      start_time: '1999-12-31 23:59:59Z',
    });
    const inRange = await call('regression-5-ok', '9800000125', {
      start_time: '2099-12-31 23:59:59Z',
    });

    expectAccepted(far, 'regression-5');
    expectAccepted(early, 'regression-5-early');
    expectAccepted(inRange, 'regression-5-ok');
    const after = Date.now();
    // A call without a start time is stored as starting when it arrived: between the moment the
    // first request was sent and the moment the last one was answered (1 s for clock rounding).
    for (const id of ['regression-5', 'regression-5-early']) {
      const startedAt = new Date((await storedCall(id)).started_at as string).getTime();
      expect([id, startedAt >= before - 1_000, startedAt <= after + 1_000]).toEqual([
        id,
        true,
        true,
      ]);
    }
    expect(new Date((await storedCall('regression-5-ok')).started_at as string)).toEqual(
      new Date('2099-12-31T23:59:59Z'),
    );
  });

  it('a correctly signed GET whose query has empty segments (&&, a leading or trailing &) is accepted and stored as sent', async () => {
    // Was: 401 invalid_signature (the server dropped empty segments before checking).
    const queries = {
      'regression-6': 'caller_id=9800000106&&callid=regression-6',
      'regression-6-leading': '&caller_id=9800000116&callid=regression-6-leading',
      'regression-6-trailing': 'caller_id=9800000126&callid=regression-6-trailing&&',
    };
    for (const [name, query] of Object.entries(queries)) {
      const response = await client.send({
        method: 'GET',
        path: `${WEBHOOK}/${TOKEN}?${query}`,
        headers: { 'x-request-id': name, 'x-knowlarity-signature': sign(query) },
      });

      expectAccepted(response, name);
      expect(await storedRow(name)).toMatchObject({ http_status: 200, query });
    }
  });

  it('invalid percent-encoding in the webhook path is our 400 bad_request, stored with the path redacted and no token echoed', async () => {
    // Was: Fastify's 400 FST_ERR_BAD_URL naming the URL (token included), and nothing stored.
    const response = await client.send({
      method: 'GET',
      path: `${WEBHOOK}/${TOKEN}%ZZ?caller_id=9800000107`,
      headers: { 'x-request-id': 'regression-7' },
    });

    expectRefused(response, 400, 'bad_request');
    expect(await storedRow('regression-7')).toMatchObject({
      http_status: 400,
      error_code: 'bad_request',
      path: `${WEBHOOK}/[wrong-token]`,
      query: 'caller_id=9800000107',
    });
  });

  it('a 404 on a webhook path says "No such endpoint." without the URL or its token', async () => {
    // Was: 404 "Cannot PUT /webhooks/knowlarity/<token>".
    const responses = [
      await client.send({ method: 'PUT', path: `${WEBHOOK}/${TOKEN}`, headers: {} }),
      await client.send({ method: 'GET', path: `${WEBHOOK}/${TOKEN}/extra`, headers: {} }),
      await client.send({ method: 'GET', path: `${WEBHOOK}/${TOKEN}/`, headers: {} }),
      await client.send({ method: 'DELETE', path: `${WEBHOOK}?token=${TOKEN}`, headers: {} }),
    ];

    for (const response of responses) {
      expect([response.status, JSON.parse(response.text)]).toEqual([
        404,
        { success: false, code: 'not_found', message: 'No such endpoint.' },
      ]);
    }
  });

  it('a body under a content type Fastify cannot parse (";;;") is a 415 unsupported_media_type stored with its bytes', async () => {
    // Was: Fastify's 415 before the body was read; the row said body_bytes 0 for a 26-byte body.
    const body = '{"caller_id":"9800000109"}';
    const response = await post('regression-9', body, ';;;');

    expectRefused(response, 415, 'unsupported_media_type');
    expect(await storedRow('regression-9')).toMatchObject({
      http_status: 415,
      error_code: 'unsupported_media_type',
      content_type: ';;;',
      body_bytes: body.length,
      body_stored: true,
      raw_body: Buffer.from(body),
    });
  });
});

/** Found by the lifted generators after the first nine were fixed, as its minimal request. */
describe('later regression found by fuzzing', () => {
  it('a POST whose URL path does not decode is refused 400 and stored with its body', async () => {
    // Fastify refuses such a URL before reading the body; the refusal responder reads it.
    const body = Buffer.from('{"caller_id":"9800000110"}');
    const response = await client.send({
      method: 'POST',
      path: `${WEBHOOK}/${TOKEN}%ZZ`,
      headers: {
        'x-request-id': 'new-bug-1',
        'content-type': 'application/json',
        'x-knowlarity-signature': sign(body),
      },
      body,
    });

    expectRefused(response, 400, 'bad_request');
    const row = await storedRow('new-bug-1');
    expect(row).toMatchObject({
      http_status: 400,
      error_code: 'bad_request',
      body_bytes: body.length,
      body_stored: true,
      raw_body: body,
    });
  });
});

function countBy(values: (string | number)[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1;
  return counts;
}

async function storedRow(requestId: string) {
  const [row] = await database.sql<Record<string, unknown>>(
    `select http_status, error_code, path, query, content_type, body_bytes, body_stored, raw_body
     from webhook_deliveries where request_id = $1`,
    [requestId],
  );
  if (row?.raw_body) row.raw_body = Buffer.from(row.raw_body as Uint8Array);
  return row;
}

async function storedCall(callId: string) {
  const [row] = await database.sql<Record<string, unknown>>(
    `select duration_seconds, caller_name, recording_url, started_at
     from knowlarity_calls where call_id = $1`,
    [callId],
  );
  return row;
}

/** A 200 with the success body for the call `callId`. */
function expectAccepted(response: RawResponse, callId: string): void {
  expectCleanReply(response);
  const body = JSON.parse(response.text) as WebhookBody;
  expect([response.status, body.callId]).toEqual([200, callId]);
  expect(OUTCOMES).toContain(body.outcome);
}

/** A refusal with exactly this status and code. */
function expectRefused(response: RawResponse, status: number, code: string): void {
  expectCleanReply(response);
  expect([response.status, (JSON.parse(response.text) as WebhookBody).code]).toEqual([
    status,
    code,
  ]);
}

/** The per-request property of the fuzzing, for one response. */
function expectCleanReply(response: RawResponse): void {
  expect(`${response.status} ${response.text}`).toMatch(/^[24]\d\d /);
  expect(response.text).not.toContain(TOKEN);
  expect(response.text).not.toContain(SECRET);
  const body = JSON.parse(response.text) as WebhookBody;
  if (response.status === 200) {
    expect(body).toEqual({
      success: true,
      outcome: expect.any(String),
      leadId: body.leadId === null ? null : expect.any(Number),
      callId: expect.any(String),
      assignedTo: body.assignedTo === null ? null : expect.any(String),
      assignmentReason:
        body.assignmentReason === null
          ? null
          : expect.stringMatching(/^(answering_agent|number_owner|already_assigned|unassigned)$/),
    });
  } else {
    expect(body).toEqual({
      success: false,
      code: expect.stringMatching(SNAKE_CASE),
      message: expect.any(String),
    });
  }
}
