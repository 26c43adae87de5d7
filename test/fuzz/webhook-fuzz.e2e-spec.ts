/**
 * Bad-input fuzzing of the Knowlarity webhook with fast-check (issue 7): over 10,000 generated
 * deliveries against one app booted on PGlite, each sent over a real socket byte for byte.
 *
 * The property for every request: a 2xx or 4xx (never a 5xx, a reset or a hang), a JSON body
 * `{success: true, outcome, leadId, callId}` for 200 or `{success: false, code, message}` with a
 * snake_case code otherwise, no secret in the response, correct credentials never refused, and
 * every answered delivery stored in webhook_deliveries.
 *
 * Bugs the fuzzing found are kept as failing `it()`s under "known bugs" at the end, each with the
 * minimal request; the generators avoid them (see webhook-arbitraries.ts) so the big properties
 * keep looking for other failures.
 */
import { LoggerService } from '@nestjs/common';
import fc from 'fast-check';
import { createHmac, randomBytes } from 'node:crypto';
import { RunningApp, startApp } from '../support/app';
import { createPgliteDatabase, TestDatabase } from '../support/databases';
import { RawHttpClient, RawRequest, RawResponse } from './raw-http';
import {
  anyBody,
  contentTypeArb,
  deepJsonBody,
  duplicateKeysBody,
  formBody,
  GeneratedBody,
  hostileStringsBody,
  hugeBody,
  longCallIdBody,
  markupBody,
  MAX_BODY_BYTES,
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

const OUTCOMES = [
  'lead_created',
  'same_source_duplicate',
  'cross_source_duplicate',
  'duplicate_call',
  'call_linked',
  'call_unmatched',
  'ignored',
];
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

/** What the fuzzer means to send, before credentials are added. */
interface Delivery {
  kind: string;
  method: 'GET' | 'POST';
  query: string;
  body?: Buffer;
  contentType?: string;
  auth: Auth;
}

interface Sent {
  kind: string;
  bodyBytes: number;
  status: number;
  code?: string;
  message?: string;
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

  let path = WEBHOOK;
  let fullQuery = query;
  if (auth === 'token-in-query') fullQuery = query ? `token=${TOKEN}&${query}` : `token=${TOKEN}`;
  else if (auth === 'wrong-token') path = `${WEBHOOK}/${TOKEN.slice(0, -1)}x`;
  else if (auth !== 'missing-token') path = `${WEBHOOK}/${TOKEN}`;
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
      Object.keys(body).sort().join() === 'callId,leadId,outcome,success' &&
      body.success === true &&
      typeof body.outcome === 'string' &&
      OUTCOMES.includes(body.outcome) &&
      (body.leadId === null || Number.isSafeInteger(body.leadId)) &&
      typeof body.callId === 'string';
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
}

const run = (arbitrary: fc.Arbitrary<Delivery>, numRuns: number) =>
  fc.assert(fc.asyncProperty(arbitrary, deliver), { numRuns });

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

/**
 * Known bug 6 (see below): the signed query of a GET loses its empty `&&` segments on the server,
 * so a correct signature over a query with `&&`, or a leading or trailing `&`, is refused. GET
 * queries are generated without empty segments.
 */
const withoutEmptySegments = (query: string) => query.split('&').filter(Boolean).join('&');

const gets: fc.Arbitrary<Delivery> = fc
  .record({ query: queryArb, auth: authArb, contentType: contentTypeArb })
  .map(({ query, auth, contentType }) => ({
    kind: 'get-query',
    method: 'GET',
    query: withoutEmptySegments(query),
    auth,
    contentType,
  }));

/** Runs per category, 12,000 in all; at least 10,000 answered deliveries are asserted. */
const RUNS = {
  randomBytes: 1_200,
  truncatedJson: 1_000,
  deepJson: 400,
  hugeStrings: 300,
  longFields: 200,
  wrongTypes: 2_500,
  hostileStrings: 1_200,
  duplicateKeys: 500,
  nul: 500,
  contentTypes: 1_500,
  forms: 700,
  gets: 2_000,
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
      WEBHOOK_RATE_LIMIT_PER_MINUTE: '10000000',
      WEBHOOK_MAX_BODY_BYTES: undefined,
    },
  });
  running.app.useLogger(logger);
  client = new RawHttpClient(running.url);
}, 60_000);

afterAll(async () => {
  client?.close();
  await running?.close();
  await database?.close();
  process.off('unhandledRejection', onProcessError);
  process.off('uncaughtException', onProcessError);
});

describe('webhook fuzzing: every generated delivery gets a clean 2xx/4xx and is kept', () => {
  it('random bytes, under any content type', async () => {
    await run(posts(randomBytesBody), RUNS.randomBytes);
  });

  it('truncated JSON (cut at any byte, mid-character included)', async () => {
    await run(posts(truncatedJsonBody), RUNS.truncatedJson);
  });

  it('deeply nested JSON, up to 32,000 levels', async () => {
    await run(posts(deepJsonBody), RUNS.deepJson);
  });

  it('huge strings close to and above WEBHOOK_MAX_BODY_BYTES', async () => {
    await run(posts(hugeBody), RUNS.hugeStrings);
  });

  it('long values in indexed and plain fields', async () => {
    await run(posts(longCallIdBody), RUNS.longFields);
  });

  it('wrong types for every known field and for the data/call/payload wrappers', async () => {
    await run(posts(wrongTypesBody, queryArb), RUNS.wrongTypes);
  });

  it('unicode, emoji, SQL metacharacters and NUL inside JSON strings', async () => {
    await run(posts(hostileStringsBody), RUNS.hostileStrings);
  });

  it('duplicate keys', async () => {
    await run(posts(duplicateKeysBody), RUNS.duplicateKeys);
  });

  it('NUL as \\u0000 in strings and as raw 0x00 bytes', async () => {
    await run(posts(nulBody), RUNS.nul);
  });

  it('every content type with every kind of body (json, text, form, xml, multipart, garbage, none)', async () => {
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
  });

  it('form bodies with broken percent-encoding', async () => {
    await run(posts(formBody), RUNS.forms);
  });

  it('GET with random, broken and long query strings', async () => {
    await run(gets, RUNS.gets);
  });

  it('afterwards: the app still takes a valid delivery, kept every one, and leaked nothing', async () => {
    const total = Object.values(RUNS).reduce((sum, n) => sum + n, 0);
    expect(total).toBeGreaterThanOrEqual(10_000);
    expect(sent.size).toBeGreaterThanOrEqual(10_000);
    // The generators reach every branch: accepted calls and each kind of refusal.
    const statuses = countBy([...sent.values()].map((s) => s.status));
    expect(statuses[200]).toBeGreaterThan(1_000);
    for (const status of [400, 401, 413, 415, 422]) expect(statuses[status]).toBeGreaterThan(10);

    const phone = `98${String(Date.now()).slice(-8)}`;
    const body = Buffer.from(JSON.stringify({ caller_id: phone, callid: `after-${phone}` }));
    const valid = await client.send({
      method: 'POST',
      path: `${WEBHOOK}/${TOKEN}`,
      headers: { 'content-type': 'application/json', 'x-knowlarity-signature': sign(body) },
      body,
    });
    expect([valid.status, JSON.parse(valid.text).outcome]).toEqual([200, 'lead_created']);

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
      // Known bug 9: Fastify's own 415 (a content type it cannot parse) loses the body.
      wrongSize: summary(
        entries.filter(
          ([id, s]) => stored.get(id)?.body_bytes !== s.bodyBytes && !fastifyRefusedType(s),
        ),
      ),
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
 * Bugs the fuzzing found, each as its minimal request; they fail until the service is fixed.
 * The expectation is the property above: a 2xx/4xx with the app's JSON body, no secret in the
 * response, and the delivery stored as sent.
 */
describe('known bugs found by the fuzzing (these fail until fixed)', () => {
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

  it('BUG 1: a call_duration of 2^31 seconds or more is a 500 storage_error that echoes the database error', async () => {
    // 500 {"success":false,"code":"storage_error","message":"value \"3000000000\" is out of range for type integer"}
    // ERROR [WebhookDeliveryService] Delivery bug-1 failed: value "3000000000" is out of range for type integer
    const response = await post(
      'bug-1',
      '{"caller_id":"9800000101","callid":"bug-1","call_duration":3000000000}',
    );

    expectCleanReply(response);
  });

  it('BUG 2: a lone surrogate escape (\\ud800) in an accepted call is a 500 storage_error', async () => {
    // 500 {"success":false,"code":"storage_error","message":"invalid input syntax for type json"}
    // ERROR [WebhookDeliveryService] Delivery bug-2 failed: invalid input syntax for type json
    const response = await post(
      'bug-2',
      '{"caller_id":"9800000102","callid":"bug-2","caller_name":"\\ud800"}',
    );

    expectCleanReply(response);
  });

  it('BUG 3: an accepted call nested 10,000 levels deep is a 500 internal_error (stack overflow)', async () => {
    // 500 {"success":false,"code":"internal_error","message":"Something went wrong on our side."}
    // ERROR [WebhookDeliveryService] Delivery bug-3 failed: Maximum call stack size exceeded
    // (from about 1,500 levels of objects or 4,000 of arrays)
    const deep = `${'['.repeat(10_000)}${']'.repeat(10_000)}`;
    const response = await post('bug-3', `{"caller_id":"9800000103","callid":"bug-3","x":${deep}}`);

    expectCleanReply(response);
  });

  it('BUG 4: a call id or caller name over the btree limit (~2,700 bytes) is a 500 storage_error', async () => {
    // 500 {"success":false,"code":"storage_error","message":"index row size 2816 exceeds btree
    //   version 4 maximum 2704 for index \"knowlarity_calls_pkey\""}; caller_name of 4,000:
    //   "... for index \"leads_master_name_prefix_idx\""; a 60,000-byte call id: "index row
    //   requires 60016 bytes, maximum size is 8191"
    const incompressible = randomBytes(2_100).toString('base64'); // 2,800 characters
    const callId = await post(
      'bug-4a',
      JSON.stringify({ caller_id: '9800000104', callid: incompressible }),
    );
    const name = await post(
      'bug-4b',
      JSON.stringify({ caller_id: '9800000114', callid: 'bug-4b', caller_name: incompressible }),
    );

    expectCleanReply(callId);
    expectCleanReply(name);
  });

  it('BUG 5: a start_time after year 9999 in UTC is a 500 storage_error', async () => {
    // 500 {"success":false,"code":"storage_error","message":"time zone displacement out of range:
    //   \"+010000-01-01T11:59:59.000Z\""}
    const response = await post(
      'bug-5',
      '{"caller_id":"9800000105","callid":"bug-5","start_time":"9999-12-31 23:59:59-12:00"}',
    );

    expectCleanReply(response);
  });

  it('BUG 6: a correctly signed GET whose query has an empty segment (&&, or a leading or trailing &) gets 401', async () => {
    // The server drops empty segments before checking the signature over the query.
    // 401 {"success":false,"code":"invalid_signature","message":"The signature does not match the request."}
    const query = 'caller_id=9800000106&&callid=bug-6';
    const response = await client.send({
      method: 'GET',
      path: `${WEBHOOK}/${TOKEN}?${query}`,
      headers: { 'x-request-id': 'bug-6', 'x-knowlarity-signature': sign(query) },
    });

    expectCleanReply(response);
    expect(response.status).toBe(200);
  });

  it('BUG 7: invalid percent-encoding in the webhook path gets Fastify 400 FST_ERR_BAD_URL, echoes the token and is not stored', async () => {
    // 400 {"error":"Bad Request","code":"FST_ERR_BAD_URL","message":"'/webhooks/knowlarity/<token>%ZZ'
    //   is not a valid url component","statusCode":400}; no row in webhook_deliveries, no log line
    const response = await client.send({
      method: 'GET',
      path: `${WEBHOOK}/${TOKEN}%ZZ?caller_id=9800000107`,
      headers: { 'x-request-id': 'bug-7' },
    });

    expectCleanReply(response);
    expect(await storedRow('bug-7')).toBeDefined();
  });

  it('BUG 8: a 404 on a webhook path echoes the URL token in its message', async () => {
    // 404 {"success":false,"code":"not_found","message":"Cannot PUT /webhooks/knowlarity/<token>"}
    // (also GET <token>/extra, GET <token>/, DELETE ?token=<token>)
    const responses = [
      await client.send({ method: 'PUT', path: `${WEBHOOK}/${TOKEN}`, headers: {} }),
      await client.send({ method: 'GET', path: `${WEBHOOK}/${TOKEN}/extra`, headers: {} }),
      await client.send({ method: 'DELETE', path: `${WEBHOOK}?token=${TOKEN}`, headers: {} }),
    ];

    for (const response of responses) expectCleanReply(response);
  });

  it('BUG 9: a body under a content type Fastify cannot parse (";;;", "") is stored without its bytes', async () => {
    // 415 {"success":false,"code":"unsupported_media_type","message":"Unsupported Media Type"};
    // the row says body_stored true, raw_body null, body_bytes 0 for a 26-byte body
    const body = '{"caller_id":"9800000109"}';
    const response = await post('bug-9', body, ';;;');

    expectCleanReply(response);
    expect(await storedRow('bug-9')).toMatchObject({ body_bytes: body.length });
  });
});

function countBy(values: number[]): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1;
  return counts;
}

/** Fastify's own 415 for a content type it cannot parse, raised before the body is read. */
function fastifyRefusedType(s: Sent): boolean {
  return s.status === 415 && s.message === 'Unsupported Media Type';
}

async function storedRow(requestId: string) {
  const [row] = await database.sql(
    'select http_status, error_code, body_bytes, body_stored from webhook_deliveries where request_id = $1',
    [requestId],
  );
  return row;
}

/** The per-request property of the fuzzing, for one response. */
function expectCleanReply(response: RawResponse): void {
  expect(`${response.status} ${response.text}`).toMatch(/^[24]\d\d /);
  expect(response.text).not.toContain(TOKEN);
  expect(response.text).not.toContain(SECRET);
  const body = JSON.parse(response.text);
  if (response.status === 200) {
    expect(body).toEqual({
      success: true,
      outcome: expect.any(String),
      leadId: body.leadId === null ? null : expect.any(Number),
      callId: expect.any(String),
    });
  } else {
    expect(body).toEqual({
      success: false,
      code: expect.stringMatching(SNAKE_CASE),
      message: expect.any(String),
    });
  }
}
