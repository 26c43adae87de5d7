import { Logger } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { Test } from '@nestjs/testing';
import { createServer, IncomingHttpHeaders, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { Clock } from '../common/clock';
import {
  KnowlarityApiConfig,
  knowlarityApiConfig,
  parseKnowlarityApiConfig,
} from '../config/knowlarity-api.config';
import {
  KnowlarityCredentialsError,
  KnowlarityResponseError,
  KnowlarityUnavailableError,
} from './knowlarity-api.errors';
import {
  CallLogPageAt,
  KnowlarityClient,
  MAX_RETRY_AFTER_MS,
  parseRetryAfter,
} from './knowlarity-client';

const API_KEY = 'test-application-key';
const SR_KEY = '5f0c8a8e-3c1b-4f4e-9d0a-2b7c6e1d9a10';
const FROM = new Date('2026-11-20T00:00:00+05:30');
const TO = new Date('2026-11-20T23:59:59+05:30');

interface SeenRequest {
  method: string;
  url: string;
  rawQuery: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
}

type Handler = (request: SeenRequest, response: ServerResponse) => void;

/** A real HTTP server on a free port whose answers each test scripts, one handler per request. */
class ScriptedServer {
  readonly requests: SeenRequest[] = [];
  private readonly handlers: Handler[] = [];
  private fallback: Handler = (_req, res) => json(res, 500, { error: 'no handler scripted' });
  private readonly server: Server = createServer((req, res) => {
    const url = req.url ?? '';
    const rawQuery = url.includes('?') ? url.slice(url.indexOf('?') + 1) : '';
    const seen: SeenRequest = {
      method: req.method ?? '',
      url,
      rawQuery,
      query: new URLSearchParams(rawQuery),
      headers: req.headers,
    };
    this.requests.push(seen);
    (this.handlers.shift() ?? this.fallback)(seen, res);
  });

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** The next requests are answered by these handlers, in order. */
  then(...handlers: Handler[]): this {
    this.handlers.push(...handlers);
    return this;
  }

  /** Requests beyond the scripted ones. */
  otherwise(handler: Handler): this {
    this.fallback = handler;
    return this;
  }
}

function json(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

function record(n: number): Record<string, unknown> {
  return { uuid: `call-${n}`, customer_number: `+9198000${String(n).padStart(5, '0')}` };
}

/** A page of `count` records numbered from `first`, claiming `total` in meta. */
function page(first: number, count: number, total: number | undefined): Handler {
  return (_req, res) =>
    json(res, 200, {
      meta: { limit: count, offset: first, total_count: total, next: '', previous: '' },
      objects: Array.from({ length: count }, (_, i) => record(first + i)),
    });
}

const status =
  (code: number, headers: Record<string, string> = {}): Handler =>
  (_req, res) =>
    json(res, code, { message: 'scripted failure' }, headers);

/** The client with waits recorded instead of slept, and a fixed jitter. */
class TestClient extends KnowlarityClient {
  readonly sleeps: number[] = [];
  jitter = 0.5;

  protected override sleep(ms: number): Promise<void> {
    this.sleeps.push(ms);
    return Promise.resolve();
  }

  protected override random(): number {
    return this.jitter;
  }
}

function clientFor(baseUrl: string, env: Record<string, string> = {}): TestClient {
  const config: KnowlarityApiConfig = parseKnowlarityApiConfig({
    KNOWLARITY_API_KEY: API_KEY,
    KNOWLARITY_SR_API_KEY: SR_KEY,
    KNOWLARITY_BASE_URL: baseUrl,
    KNOWLARITY_MAX_RETRIES: '3',
    ...env,
  });
  return new TestClient(config, new Clock());
}

async function collect(pages: AsyncIterable<CallLogPageAt>): Promise<CallLogPageAt[]> {
  const all: CallLogPageAt[] = [];
  for await (const p of pages) all.push(p);
  return all;
}

describe('KnowlarityClient', () => {
  let server: ScriptedServer;
  let baseUrl: string;

  beforeAll(() => {
    Logger.overrideLogger(false);
  });
  beforeEach(async () => {
    server = new ScriptedServer();
    baseUrl = await server.start();
  });
  afterEach(() => server.stop());

  describe('fetchCallLogPage', () => {
    it('sends the keys raw, the channel and the IST window with an encoded +', async () => {
      server.then(page(0, 2, 2));
      const client = clientFor(baseUrl);

      const result = await client.fetchCallLogPage({ from: FROM, to: TO, limit: 50, offset: 100 });

      expect(result).toEqual({ records: [record(0), record(1)], totalCount: 2 });
      expect(server.requests).toHaveLength(1);
      const [request] = server.requests;
      expect(request.method).toBe('GET');
      expect(request.url.split('?')[0]).toBe('/Basic/v1/account/calllog');
      expect(request.headers['x-api-key']).toBe(API_KEY);
      expect(request.headers.authorization).toBe(SR_KEY);
      expect(request.headers.channel).toBe('Basic');
      expect(request.headers.accept).toBe('application/json');
      expect(request.rawQuery).toContain('start_time=2026-11-20+00%3A00%3A00%2B05%3A30');
      expect(request.rawQuery).toContain('end_time=2026-11-20+23%3A59%3A59%2B05%3A30');
      expect(request.query.get('start_time')).toBe('2026-11-20 00:00:00+05:30');
      expect(request.query.get('end_time')).toBe('2026-11-20 23:59:59+05:30');
      expect(request.query.get('limit')).toBe('50');
      expect(request.query.get('offset')).toBe('100');
    });

    it('uses the configured channel in the path and header, under a base URL with a path', async () => {
      server.then(page(0, 0, 0));
      const client = clientFor(`${baseUrl}/proxy/`, { KNOWLARITY_CHANNEL: 'Advanced' });

      await client.fetchCallLogPage({ from: FROM, to: TO, limit: 1, offset: 0 });

      expect(server.requests[0].url.split('?')[0]).toBe('/proxy/Advanced/v1/account/calllog');
      expect(server.requests[0].headers.channel).toBe('Advanced');
    });

    it('reads total_count given as a string, and null when it is missing', async () => {
      server.then(page(0, 1, undefined), (_req, res) =>
        json(res, 200, { meta: { total_count: '7' }, objects: [] }),
      );
      const client = clientFor(baseUrl);
      const request = { from: FROM, to: TO, limit: 1, offset: 0 };

      expect((await client.fetchCallLogPage(request)).totalCount).toBeNull();
      expect((await client.fetchCallLogPage(request)).totalCount).toBe(7);
    });

    it('retries a 500 and returns the page that follows', async () => {
      server.then(status(500), status(502), page(0, 1, 1));
      const client = clientFor(baseUrl);

      const result = await client.fetchCallLogPage({ from: FROM, to: TO, limit: 10, offset: 0 });

      expect(result.records).toEqual([record(0)]);
      expect(server.requests).toHaveLength(3);
      // Full jitter at random() = 0.5: half of 500 ms, then half of 1000 ms.
      expect(client.sleeps).toEqual([250, 500]);
    });

    it('waits as long as Retry-After says after a 429, in seconds or as an HTTP-date', async () => {
      const inFiveSeconds = new Date(Date.now() + 5_000).toUTCString();
      server.then(
        status(429, { 'retry-after': '7' }),
        status(429, { 'retry-after': inFiveSeconds }),
        status(429, { 'retry-after': '3600' }),
        page(0, 1, 1),
      );
      const client = clientFor(baseUrl);

      await client.fetchCallLogPage({ from: FROM, to: TO, limit: 10, offset: 0 });

      expect(server.requests).toHaveLength(4);
      expect(client.sleeps[0]).toBe(7_000);
      expect(client.sleeps[1]).toBeGreaterThan(3_000);
      expect(client.sleeps[1]).toBeLessThanOrEqual(5_000);
      expect(client.sleeps[2]).toBe(MAX_RETRY_AFTER_MS);
    });

    it('backs off exponentially after a 429 without Retry-After', async () => {
      server.then(status(429), status(429), status(429), page(0, 1, 1));
      const client = clientFor(baseUrl);
      client.jitter = 0.999;

      await client.fetchCallLogPage({ from: FROM, to: TO, limit: 10, offset: 0 });

      expect(client.sleeps).toEqual([499, 999, 1998]);
    });

    it('gives up after the configured retries with KnowlarityUnavailableError naming the cause', async () => {
      server.otherwise(status(503));
      const client = clientFor(baseUrl, { KNOWLARITY_MAX_RETRIES: '2' });

      const error = await client
        .fetchCallLogPage({ from: FROM, to: TO, limit: 10, offset: 0 })
        .catch((e: unknown) => e);

      expect(error).toBeInstanceOf(KnowlarityUnavailableError);
      expect(error).toMatchObject({
        code: 'knowlarity_unavailable',
        reason: 'server_error',
        attempts: 3,
        status: 503,
      });
      expect((error as Error).message).toContain('server error (HTTP 503)');
      expect(server.requests).toHaveLength(3);
      expect(client.sleeps).toHaveLength(2);
    });

    it('retries a request that times out, then gives up with a timeout error', async () => {
      server.otherwise(() => {
        // Never answers: the client's timeout has to end the request.
      });
      const client = clientFor(baseUrl, {
        KNOWLARITY_TIMEOUT_MS: '100',
        KNOWLARITY_MAX_RETRIES: '2',
      });

      const error = await client
        .fetchCallLogPage({ from: FROM, to: TO, limit: 10, offset: 0 })
        .catch((e: unknown) => e);

      expect(error).toBeInstanceOf(KnowlarityUnavailableError);
      expect(error).toMatchObject({ reason: 'timeout', attempts: 3, status: null });
      expect((error as Error).message).toContain('timeout');
      expect(server.requests).toHaveLength(3);
    });

    it('recovers when only the first request times out', async () => {
      server.then(() => undefined, page(0, 1, 1));
      const client = clientFor(baseUrl, { KNOWLARITY_TIMEOUT_MS: '100' });

      const result = await client.fetchCallLogPage({ from: FROM, to: TO, limit: 10, offset: 0 });

      expect(result.records).toEqual([record(0)]);
      expect(server.requests).toHaveLength(2);
    });

    it('retries a refused connection, then reports a network error', async () => {
      await server.stop();
      const client = clientFor(baseUrl, { KNOWLARITY_MAX_RETRIES: '1' });

      const error = await client
        .fetchCallLogPage({ from: FROM, to: TO, limit: 10, offset: 0 })
        .catch((e: unknown) => e);

      expect(error).toBeInstanceOf(KnowlarityUnavailableError);
      expect(error).toMatchObject({ reason: 'network', attempts: 2 });
      expect(client.sleeps).toHaveLength(1);
      server = new ScriptedServer();
      await server.start();
    });

    it.each([[401], [403]])('does not retry HTTP %d', async (code) => {
      server.otherwise(status(code));
      const client = clientFor(baseUrl);

      const error = await client
        .fetchCallLogPage({ from: FROM, to: TO, limit: 10, offset: 0 })
        .catch((e: unknown) => e);

      expect(error).toBeInstanceOf(KnowlarityCredentialsError);
      expect(error).toMatchObject({ code: 'knowlarity_credentials', status: code });
      expect(server.requests).toHaveLength(1);
      expect(client.sleeps).toEqual([]);
    });

    it('sends nothing when no keys are configured', async () => {
      const client = new TestClient(
        parseKnowlarityApiConfig({ KNOWLARITY_BASE_URL: baseUrl }),
        new Clock(),
      );

      await expect(
        client.fetchCallLogPage({ from: FROM, to: TO, limit: 10, offset: 0 }),
      ).rejects.toThrow(KnowlarityCredentialsError);
      expect(server.requests).toHaveLength(0);
    });

    it.each([
      ['a 400', status(400), /HTTP 400/],
      ['a 404', status(404), /HTTP 404/],
      ['a redirect', status(302, { location: 'http://127.0.0.1:1/elsewhere' }), /HTTP 302/],
      [
        'a body that is not JSON',
        (_req: SeenRequest, res: ServerResponse) => res.end('<html>Gateway</html>'),
        /not JSON/,
      ],
      ['truncated JSON', (_req, res) => res.end('{"meta": {}, "objects": ['), /not JSON/],
      ['a JSON array', (_req, res) => json(res, 200, []), /not an object/],
      ['no objects', (_req, res) => json(res, 200, { meta: { total_count: 0 } }), /no objects/],
      [
        'objects that is not an array',
        (_req, res) => json(res, 200, { meta: {}, objects: {} }),
        /no objects/,
      ],
      ['no meta', (_req, res) => json(res, 200, { objects: [] }), /no meta/],
      [
        'an entry that is not an object',
        (_req, res) => json(res, 200, { meta: {}, objects: [record(1), 'call-2'] }),
        /not an object/,
      ],
      [
        'an error body with status 200',
        (_req, res) => json(res, 200, { error: 'Invalid date range' }),
        /no meta/,
      ],
    ])(
      'rejects %s with KnowlarityResponseError, without retrying',
      async (_case, handler, message) => {
        server.otherwise(handler);
        const client = clientFor(baseUrl);

        const error = await client
          .fetchCallLogPage({ from: FROM, to: TO, limit: 10, offset: 0 })
          .catch((e: unknown) => e);

        expect(error).toBeInstanceOf(KnowlarityResponseError);
        expect(error).toMatchObject({ code: 'knowlarity_bad_response' });
        expect((error as Error).message).toMatch(message);
        expect(server.requests).toHaveLength(1);
      },
    );

    it.each([
      ['from after to', { from: TO, to: FROM, limit: 1, offset: 0 }],
      ['an invalid date', { from: new Date('nope'), to: TO, limit: 1, offset: 0 }],
      ['a zero limit', { from: FROM, to: TO, limit: 0, offset: 0 }],
      ['a negative offset', { from: FROM, to: TO, limit: 1, offset: -1 }],
    ])('refuses %s before sending anything', async (_case, request) => {
      await expect(clientFor(baseUrl).fetchCallLogPage(request)).rejects.toThrow(RangeError);
      expect(server.requests).toHaveLength(0);
    });
  });

  describe('iterateCallLog', () => {
    it('pages with limit and offset until offset reaches total_count', async () => {
      server.then(page(0, 2, 5), page(2, 2, 5), page(4, 1, 5));
      const client = clientFor(baseUrl);

      const pages = await collect(client.iterateCallLog({ from: FROM, to: TO, pageSize: 2 }));

      expect(pages.map((p) => [p.offset, p.records.length, p.totalCount])).toEqual([
        [0, 2, 5],
        [2, 2, 5],
        [4, 1, 5],
      ]);
      expect(server.requests.map((r) => [r.query.get('limit'), r.query.get('offset')])).toEqual([
        ['2', '0'],
        ['2', '2'],
        ['2', '4'],
      ]);
    });

    it('stops on an empty page when total_count is missing', async () => {
      server.then(page(0, 2, undefined), page(2, 2, undefined), page(4, 0, undefined));
      const client = clientFor(baseUrl);

      const pages = await collect(client.iterateCallLog({ from: FROM, to: TO, pageSize: 2 }));

      expect(pages).toHaveLength(2);
      expect(server.requests).toHaveLength(3);
    });

    it('stops on an empty page even when total_count claims more', async () => {
      server.then(page(0, 2, 100), page(2, 0, 100));
      const client = clientFor(baseUrl);

      const pages = await collect(client.iterateCallLog({ from: FROM, to: TO, pageSize: 2 }));

      expect(pages.flatMap((p) => p.records)).toEqual([record(0), record(1)]);
      expect(server.requests).toHaveLength(2);
    });

    it('advances by the records returned when the server caps the page size', async () => {
      server.then(page(0, 3, 7), page(3, 3, 7), page(6, 1, 7));
      const client = clientFor(baseUrl);

      const pages = await collect(client.iterateCallLog({ from: FROM, to: TO, pageSize: 500 }));

      expect(pages.flatMap((p) => p.records)).toEqual([0, 1, 2, 3, 4, 5, 6].map(record));
      expect(server.requests.map((r) => r.query.get('offset'))).toEqual(['0', '3', '6']);
    });

    it('uses KNOWLARITY_PAGE_SIZE when no page size is given', async () => {
      server.then(page(0, 0, 0));
      const client = clientFor(baseUrl, { KNOWLARITY_PAGE_SIZE: '250' });

      expect(await collect(client.iterateCallLog({ from: FROM, to: TO }))).toEqual([]);
      expect(server.requests[0].query.get('limit')).toBe('250');
    });

    it('retries a failing page in the middle and carries on', async () => {
      server.then(page(0, 2, 4), status(500), page(2, 2, 4));
      const client = clientFor(baseUrl);

      const pages = await collect(client.iterateCallLog({ from: FROM, to: TO, pageSize: 2 }));

      expect(pages.flatMap((p) => p.records)).toEqual([0, 1, 2, 3].map(record));
      expect(server.requests.map((r) => r.query.get('offset'))).toEqual(['0', '2', '2']);
    });

    it('passes on a malformed page as an error rather than ending early', async () => {
      server.then(page(0, 2, 4), (_req, res) => json(res, 200, { meta: {} }));
      const client = clientFor(baseUrl);

      await expect(
        collect(client.iterateCallLog({ from: FROM, to: TO, pageSize: 2 })),
      ).rejects.toThrow(KnowlarityResponseError);
    });
  });

  it('is injected with the knowlarityApi namespace', async () => {
    server.then(page(0, 1, 1));
    const moduleRef = await Test.createTestingModule({
      imports: [ConfigModule.forFeature(knowlarityApiConfig)],
      providers: [KnowlarityClient, Clock],
    })
      .overrideProvider(knowlarityApiConfig.KEY)
      .useValue(
        parseKnowlarityApiConfig({
          KNOWLARITY_API_KEY: API_KEY,
          KNOWLARITY_SR_API_KEY: SR_KEY,
          KNOWLARITY_BASE_URL: baseUrl,
        }),
      )
      .compile();

    const client = moduleRef.get(KnowlarityClient);
    const result = await client.fetchCallLogPage({ from: FROM, to: TO, limit: 1, offset: 0 });

    expect(result.totalCount).toBe(1);
    expect(server.requests[0].headers.authorization).toBe(SR_KEY);
  });

  describe('parseRetryAfter', () => {
    const now = Date.parse('2026-11-20T10:00:00Z');

    it.each([
      [null, null],
      ['', null],
      ['soon', null],
      ['0', 0],
      ['12', 12_000],
      ['Fri, 20 Nov 2026 10:00:30 GMT', 30_000],
      ['Fri, 20 Nov 2026 09:59:00 GMT', 0],
      ['86400', MAX_RETRY_AFTER_MS],
    ])('reads %j as %j ms', (value, expected) => {
      expect(parseRetryAfter(value, now)).toBe(expected);
    });
  });
});

describe('parseKnowlarityApiConfig', () => {
  it('has working defaults and no credentials when nothing is set', () => {
    expect(parseKnowlarityApiConfig({})).toEqual({
      apiKey: undefined,
      srApiKey: undefined,
      channel: 'Basic',
      baseUrl: 'https://kpi.knowlarity.com',
      timeoutMs: 10_000,
      maxRetries: 4,
      pageSize: 500,
      credentialsConfigured: false,
    });
  });

  it('reads every variable, trimming the base URL', () => {
    const config = parseKnowlarityApiConfig({
      KNOWLARITY_API_KEY: API_KEY,
      KNOWLARITY_SR_API_KEY: SR_KEY,
      KNOWLARITY_CHANNEL: 'Advanced',
      KNOWLARITY_BASE_URL: 'http://127.0.0.1:4010/',
      KNOWLARITY_TIMEOUT_MS: '2500',
      KNOWLARITY_MAX_RETRIES: '0',
      KNOWLARITY_PAGE_SIZE: '10000',
    });
    expect(config).toEqual({
      apiKey: API_KEY,
      srApiKey: SR_KEY,
      channel: 'Advanced',
      baseUrl: 'http://127.0.0.1:4010',
      timeoutMs: 2500,
      maxRetries: 0,
      pageSize: 10_000,
      credentialsConfigured: true,
    });
  });

  it.each([
    [{ KNOWLARITY_API_KEY: API_KEY }, 'KNOWLARITY_SR_API_KEY'],
    [{ KNOWLARITY_SR_API_KEY: SR_KEY }, 'KNOWLARITY_API_KEY'],
    [
      { KNOWLARITY_API_KEY: API_KEY, KNOWLARITY_SR_API_KEY: `Bearer ${SR_KEY}` },
      'KNOWLARITY_SR_API_KEY',
    ],
    [{ KNOWLARITY_BASE_URL: 'kpi.knowlarity.com' }, 'KNOWLARITY_BASE_URL'],
    [{ KNOWLARITY_BASE_URL: 'ftp://kpi.knowlarity.com' }, 'KNOWLARITY_BASE_URL'],
    [{ KNOWLARITY_BASE_URL: 'https://kpi.knowlarity.com/?x=1' }, 'KNOWLARITY_BASE_URL'],
    [{ KNOWLARITY_CHANNEL: 'Basic/../x' }, 'KNOWLARITY_CHANNEL'],
    [{ KNOWLARITY_TIMEOUT_MS: '0' }, 'KNOWLARITY_TIMEOUT_MS'],
    [{ KNOWLARITY_MAX_RETRIES: '-1' }, 'KNOWLARITY_MAX_RETRIES'],
    [{ KNOWLARITY_PAGE_SIZE: '0' }, 'KNOWLARITY_PAGE_SIZE'],
    [{ KNOWLARITY_PAGE_SIZE: '10001' }, 'KNOWLARITY_PAGE_SIZE'],
    [{ KNOWLARITY_PAGE_SIZE: 'lots' }, 'KNOWLARITY_PAGE_SIZE'],
  ])('refuses %j, naming %s', (env, variable) => {
    expect(() => parseKnowlarityApiConfig(env)).toThrow(
      expect.objectContaining({ variable }) as Error,
    );
  });
});
