/**
 * The Knowlarity simulator and the real KnowlarityClient over HTTP: paging a large window,
 * duplicates across pages, faults mid-window; and the webhook sender against a local receiver,
 * every shape normalising back to the call it came from.
 */
import { expect } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { execFile } from 'node:child_process';
import { createServer, IncomingHttpHeaders, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Clock } from '../src/common/clock';
import { parseKnowlarityApiConfig } from '../src/config/knowlarity-api.config';
import { DEFAULT_NORMALIZE_OPTIONS, normalizeCall, parseFormOrQuery } from '../src/knowlarity';
import {
  KnowlarityCredentialsError,
  KnowlarityResponseError,
  KnowlarityUnavailableError,
} from '../src/knowlarity/knowlarity-api.errors';
import { CallLogWindow, KnowlarityClient } from '../src/knowlarity/knowlarity-client';
import { CallLogRecord, generateCalls } from '../tools/simulator/call-generator';
import { KnowlaritySimulator } from '../tools/simulator/simulator-server';
import { deliverAsWebhooks, WEBHOOK_SHAPES, WebhookShape } from '../tools/simulator/webhook-sender';

const FROM = new Date('2026-11-20T00:00:00+05:30');
const TO = new Date('2026-11-21T00:00:00+05:30');
const WINDOW: CallLogWindow = { from: FROM, to: TO };

/** The real client, waiting on nothing between retries. */
class NoWaitClient extends KnowlarityClient {
  readonly sleeps: number[] = [];

  protected override sleep(ms: number): Promise<void> {
    this.sleeps.push(ms);
    return Promise.resolve();
  }
}

function clientFor(simulator: KnowlaritySimulator, env: Record<string, string> = {}): NoWaitClient {
  return new NoWaitClient(
    parseKnowlarityApiConfig({
      KNOWLARITY_BASE_URL: simulator.baseUrl,
      KNOWLARITY_API_KEY: simulator.apiKey,
      KNOWLARITY_SR_API_KEY: simulator.srApiKey,
      ...env,
    }),
    new Clock(),
  );
}

async function allRecords(
  client: KnowlarityClient,
  window: CallLogWindow,
): Promise<Record<string, unknown>[]> {
  const records: Record<string, unknown>[] = [];
  for await (const page of client.iterateCallLog(window)) records.push(...page.records);
  return records;
}

function countBy<T>(items: T[]): Map<T, number> {
  const counts = new Map<T, number>();
  for (const item of items) counts.set(item, (counts.get(item) ?? 0) + 1);
  return counts;
}

describe('Knowlarity simulator with the call-log client', () => {
  const calls = generateCalls({ count: 1234, seed: 42, from: FROM, to: TO });
  const uuids = calls.map((c) => c.uuid);
  let simulator: KnowlaritySimulator;

  beforeAll(() => {
    Logger.overrideLogger(false);
  });
  beforeEach(async () => {
    simulator = new KnowlaritySimulator({ calls });
    await simulator.start();
  });
  afterEach(() => simulator.stop());

  it('generates the same calls from the same seed, with repeat callers and every kind of call', () => {
    expect(generateCalls({ count: 1234, seed: 42, from: FROM, to: TO })).toEqual(calls);
    expect(generateCalls({ count: 1234, seed: 43, from: FROM, to: TO })).not.toEqual(calls);
    expect(new Set(uuids).size).toBe(1234);
    expect(new Set(calls.map((c) => c.customer_number)).size).toBeLessThan(1234 / 2);

    const events = calls.map((c) => normalizeCall(c, DEFAULT_NORMALIZE_OPTIONS));
    expect(events.every((e, i) => e.callId === uuids[i])).toBe(true);
    expect(events.filter((e) => e.missed).length).toBeGreaterThan(200);
    expect(events.filter((e) => e.direction === 'outbound').length).toBeGreaterThan(50);
    expect(calls.some((c) => typeof c.call_duration === 'string')).toBe(true);
    expect(calls.some((c) => c.agent_number.startsWith('Customer Missed#+91'))).toBe(true);
    expect(calls.some((c) => c.agent_number === 'Did Not Process')).toBe(true);
    expect(
      calls.every((c) => /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\+05:30$/.test(c.start_time)),
    ).toBe(true);
    const starts = calls.map((c) => Date.parse(c.start_time.replace(' ', 'T')));
    expect(starts.every((t) => t >= FROM.getTime() && t < TO.getTime())).toBe(true);
  });

  it('returns every call exactly once, paging at the capped page size', async () => {
    const client = clientFor(simulator, { KNOWLARITY_PAGE_SIZE: '500' });

    const records = await allRecords(client, WINDOW);

    expect(records).toHaveLength(1234);
    expect(new Set(records.map((r) => r.uuid))).toEqual(new Set(uuids));
    const requests = simulator.callLogRequests;
    expect(requests).toHaveLength(13); // 100 per page, the server's cap
    expect(requests.every((r) => r.query.limit === '500' && r.status === 200)).toBe(true);
    expect(requests.map((r) => Number(r.query.offset))).toEqual(
      Array.from({ length: 13 }, (_, i) => i * 100),
    );
    expect(requests[0].rawQuery).toContain('start_time=2026-11-20+00%3A00%3A00%2B05%3A30');
    expect(requests[0].headers.authorization).toBe(simulator.srApiKey);
  });

  it('returns only the calls that started within a narrower window, in start order', async () => {
    const from = new Date('2026-11-20T10:00:00+05:30');
    const to = new Date('2026-11-20T11:59:59+05:30');
    const expected = calls.filter((c) => {
      const at = Date.parse(c.start_time.replace(' ', 'T'));
      return at >= from.getTime() && at <= to.getTime();
    });

    const records = await allRecords(clientFor(simulator), { from, to, pageSize: 7 });

    expect(expected.length).toBeGreaterThan(50);
    expect(records.map((r) => r.uuid)).toEqual(expected.map((c) => c.uuid));
  });

  it('shows the same call on two pages when duplicateAcrossPages is on; deduping by uuid recovers every call', async () => {
    simulator.duplicateAcrossPages = true;
    const client = clientFor(simulator, { KNOWLARITY_PAGE_SIZE: '100' });

    const records = await allRecords(client, WINDOW);

    const counts = countBy(records.map((r) => r.uuid));
    const repeated = [...counts].filter(([, n]) => n > 1);
    expect(records.length).toBeGreaterThan(1234);
    expect(repeated.length).toBe(records.length - 1234);
    expect(repeated.every(([, n]) => n === 2)).toBe(true);
    expect(new Set(counts.keys())).toEqual(new Set(uuids));
  });

  it('retries 500s and a 429 in the middle of the window and still returns every call once', async () => {
    const client = clientFor(simulator, { KNOWLARITY_PAGE_SIZE: '100' });
    const records: Record<string, unknown>[] = [];
    let pages = 0;

    for await (const page of client.iterateCallLog(WINDOW)) {
      records.push(...page.records);
      pages += 1;
      if (pages === 3) simulator.failNext(2, 500);
      if (pages === 7) simulator.failWith429(1, 2);
    }

    expect(records.map((r) => r.uuid)).toEqual(uuids);
    const statuses = simulator.callLogRequests.map((r) => r.status);
    expect(statuses.filter((s) => s === 500)).toHaveLength(2);
    expect(statuses.filter((s) => s === 429)).toHaveLength(1);
    expect(statuses.filter((s) => s === 200)).toHaveLength(13);
    expect(client.sleeps).toHaveLength(3);
    expect(client.sleeps[2]).toBe(2000);
  });

  it('retries a request the simulator answers too late', async () => {
    // The answer would come 20 s later: only a client that gives up after 2 s and asks again
    // gets the first page from a second request.
    simulator.delayNext(1, 20_000);
    const client = clientFor(simulator, {
      KNOWLARITY_TIMEOUT_MS: '2000',
      KNOWLARITY_PAGE_SIZE: '100',
    });

    const records = await allRecords(client, WINDOW);

    expect(records.map((r) => r.uuid)).toEqual(uuids);
    // 13 pages, the first asked twice: timed out (never answered), then retried once.
    expect(simulator.callLogRequests.map((r) => [r.query.offset, r.fault, r.status])).toEqual([
      ['0', 'delay', null],
      ...Array.from({ length: 13 }, (_, i) => [String(i * 100), null, 200]),
    ]);
    expect(client.sleeps).toHaveLength(1);
  });

  it('gives up with KnowlarityUnavailableError when the failures outlast the retries', async () => {
    simulator.failNext(10, 503);
    const client = clientFor(simulator, { KNOWLARITY_MAX_RETRIES: '2' });

    await expect(allRecords(client, WINDOW)).rejects.toThrow(KnowlarityUnavailableError);
    expect(simulator.callLogRequests).toHaveLength(3);
  });

  it('answers wrong keys with 401 and the client does not retry', async () => {
    const client = new NoWaitClient(
      parseKnowlarityApiConfig({
        KNOWLARITY_BASE_URL: simulator.baseUrl,
        KNOWLARITY_API_KEY: simulator.apiKey,
        KNOWLARITY_SR_API_KEY: 'not-the-key',
      }),
      new Clock(),
    );

    await expect(allRecords(client, WINDOW)).rejects.toThrow(KnowlarityCredentialsError);
    expect(simulator.callLogRequests.map((r) => r.status)).toEqual([401]);
  });

  it('refuses a Bearer prefix, a missing offset and an unencoded +', async () => {
    const base = `${simulator.baseUrl}${simulator.callLogPath}`;
    const headers = { 'x-api-key': simulator.apiKey, authorization: simulator.srApiKey };

    const bearer = await fetch(
      `${base}?start_time=2026-11-20%2000%3A00%3A00%2B05%3A30&end_time=2026-11-20%2001%3A00%3A00%2B05%3A30`,
      { headers: { ...headers, authorization: `Bearer ${simulator.srApiKey}` } },
    );
    const naive = await fetch(
      `${base}?start_time=2026-11-20%2000%3A00%3A00&end_time=2026-11-20%2001%3A00%3A00`,
      { headers },
    );
    const plus = await fetch(
      `${base}?start_time=2026-11-20 00:00:00+05:30&end_time=2026-11-20 01:00:00+05:30`,
      { headers },
    );

    expect(bearer.status).toBe(401);
    expect(await bearer.json()).toEqual(expect.objectContaining({ message: expect.any(String) }));
    expect(naive.status).toBe(400);
    expect(plus.status).toBe(400);
  });

  it('serves the documented envelope', async () => {
    const response = await fetch(
      `${simulator.baseUrl}${simulator.callLogPath}?` +
        new URLSearchParams({
          start_time: '2026-11-20 00:00:00+05:30',
          end_time: '2026-11-21 00:00:00+05:30',
          limit: '5',
          offset: '10',
        }).toString(),
      { headers: { 'x-api-key': simulator.apiKey, authorization: simulator.srApiKey } },
    );
    const body = (await response.json()) as { meta: Record<string, unknown>; objects: unknown[] };

    expect(response.status).toBe(200);
    expect(body.meta).toEqual({
      limit: 5,
      offset: 10,
      total_count: 1234,
      next: expect.stringContaining('offset=15'),
      previous: expect.stringContaining('offset=5'),
    });
    expect(body.objects).toEqual(calls.slice(10, 15));
  });

  it('passes a malformed page on as KnowlarityResponseError', async () => {
    simulator.respondNext(1, 200, '{"meta": {"total_count": 3}}');

    await expect(allRecords(clientFor(simulator), WINDOW)).rejects.toThrow(KnowlarityResponseError);
  });
});

interface ReceivedHook {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A tiny webhook receiver that keeps every request and answers 200. */
async function startReceiver(): Promise<{ url: string; received: ReceivedHook[]; server: Server }> {
  const received: ReceivedHook[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"success":true}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/webhooks/knowlarity?token=t0ken`, received, server };
}

/** What a receiver would hand the normaliser: query fields, form fields or the JSON body. */
function payloadOf(hook: ReceivedHook): unknown {
  const query = parseFormOrQuery(hook.url);
  delete query.token;
  if (hook.method === 'GET') return query;
  const type = hook.headers['content-type'] ?? '';
  return type.startsWith('application/json') ? JSON.parse(hook.body) : parseFormOrQuery(hook.body);
}

describe('webhook sender', () => {
  const calls: CallLogRecord[] = generateCalls({ count: 200, seed: 7, from: FROM, to: TO });
  const byId = new Map(calls.map((c) => [c.uuid, c]));
  let receiver: Awaited<ReturnType<typeof startReceiver>>;

  beforeEach(async () => {
    receiver = await startReceiver();
  });
  afterEach(async () => {
    receiver.server.closeAllConnections();
    await new Promise<void>((resolve) => receiver.server.close(() => resolve()));
  });

  it.each([...WEBHOOK_SHAPES, 'mixed' as const])(
    'sends %s hooks that normalise to the source call',
    async (shape: WebhookShape | 'mixed') => {
      const report = await deliverAsWebhooks(calls, { url: receiver.url, shape, seed: 3 });

      expect(report).toMatchObject({ sent: 200, dropped: [], duplicated: [] });
      expect(report.responses.every((r) => r.status === 200)).toBe(true);
      expect(receiver.received).toHaveLength(200);
      for (const hook of receiver.received) {
        const event = normalizeCall(payloadOf(hook), DEFAULT_NORMALIZE_OPTIONS);
        const source = normalizeCall(byId.get(event.callId), DEFAULT_NORMALIZE_OPTIONS);
        expect(event).toMatchObject({
          callId: source.callId,
          customerPhone: source.customerPhone,
          customerPhoneE164: source.customerPhoneE164,
          srNumber: source.srNumber,
          direction: source.direction,
          missed: source.missed,
          durationSeconds: source.durationSeconds,
          startedAt: source.startedAt,
        });
      }
      if (shape === 'mixed') {
        expect(new Set(report.responses.map((r) => r.shape))).toEqual(new Set(WEBHOOK_SHAPES));
      }
    },
  );

  it('encodes the classic hook as Knowlarity does: %2B phones, %20 spaces, mixed offsets', async () => {
    await deliverAsWebhooks(calls.slice(0, 1), { url: receiver.url, shape: 'classic-get' });

    const [hook] = receiver.received;
    expect(hook.method).toBe('GET');
    expect(hook.url).toMatch(/^\/webhooks\/knowlarity\?token=t0ken&dispnumber=%2B91/);
    expect(hook.url).toContain('&caller_id=%2B917');
    expect(hook.url).toMatch(/start_time=\d{4}-\d{2}-\d{2}%20[\d%A]+\.\d{6}%2B00%3A00/);
    expect(hook.url).toMatch(/end_time=\d{4}-\d{2}-\d{2}%20[\d%A]+\.\d{6}%2B05%3A30/);
    const fields = parseFormOrQuery(hook.url);
    expect(fields.callid).toBe(calls[0].uuid);
    expect(fields.call_duration).toBe(String(calls[0].call_duration));
  });

  it('drops and duplicates exactly the reported calls, deterministically', async () => {
    const options = {
      url: receiver.url,
      dropFraction: 0.3,
      duplicateFraction: 0.2,
      shuffle: true,
      seed: 11,
      concurrency: 16,
    };

    const report = await deliverAsWebhooks(calls, options);

    expect(report.dropped).toHaveLength(60);
    expect(report.duplicated).toHaveLength(28); // 20% of the 140 kept
    expect(report.sent).toBe(200 - 60 + 28);
    expect(receiver.received).toHaveLength(report.sent);
    const seen = countBy(
      receiver.received.map((h) => normalizeCall(payloadOf(h), DEFAULT_NORMALIZE_OPTIONS).callId),
    );
    for (const id of report.dropped) expect(seen.has(id)).toBe(false);
    for (const id of report.duplicated) expect(seen.get(id)).toBe(2);
    expect(seen.size).toBe(140);
    expect([...seen.values()].filter((n) => n === 1)).toHaveLength(112);

    const again = await deliverAsWebhooks(calls, options);
    expect(again.dropped).toEqual(report.dropped);
    expect(again.duplicated).toEqual(report.duplicated);
    expect(again.responses.map((r) => r.callId)).toEqual(report.responses.map((r) => r.callId));
  });

  it('reports a receiver that is down as status 0 instead of throwing', async () => {
    const report = await deliverAsWebhooks(calls.slice(0, 3), {
      url: 'http://127.0.0.1:1/webhooks/knowlarity',
      shape: 'logpush',
    });

    expect(report.sent).toBe(3);
    expect(report.responses.map((r) => r.status)).toEqual([0, 0, 0]);
  });
});

describe('npm run simulate', () => {
  let receiver: Awaited<ReturnType<typeof startReceiver>>;

  beforeEach(async () => {
    receiver = await startReceiver();
  });
  afterEach(async () => {
    receiver.server.closeAllConnections();
    await new Promise<void>((resolve) => receiver.server.close(() => resolve()));
  });

  it('builds the tool outside dist/, serves its calls and sends them as webhooks', async () => {
    const { stdout } = await promisify(execFile)(
      'npm',
      [
        'run',
        '--silent',
        'simulate',
        '--',
        '--port',
        '0',
        '--calls',
        '5',
        '--shape',
        'logpush',
      ].concat(['--webhook-url', receiver.url, '--exit']),
      { cwd: join(__dirname, '..') },
    );

    expect(stdout).toContain('Knowlarity simulator serving 5 calls at http://127.0.0.1:');
    expect(stdout).toContain('Webhooks: 5 sent (0 duplicates), 0 dropped; HTTP 200: 5');
    expect(receiver.received).toHaveLength(5);
    expect(receiver.received.every((hook) => hook.method === 'POST')).toBe(true);
  });
});
