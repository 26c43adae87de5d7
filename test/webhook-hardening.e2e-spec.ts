/**
 * Issue 11 over real HTTP against the real app on PGlite: forgery through the query, HEAD and an
 * empty body; Standard Webhooks id replay; forced and unforced replay of refused deliveries; the
 * refusal flood within its budget; one rate limit per client (IPv6 /64, IPv4-mapped, every
 * route); slow uploads cut at the timeout; and the smaller findings (JSON depth, static files,
 * security headers, docs in production, paths classified after decoding).
 */
import { createHash, randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { RunningApp, startApp } from './support/app';
import { freshPhone } from './support/calls';
import { createPgliteDatabase, TestDatabase } from './support/databases';
import { ErrorBody, readJson } from './support/http';
import { signHex, standardWebhookHeaders } from './support/signing';

const random = (prefix: string) => `${prefix}${randomBytes(16).toString('hex')}`;
const TOKEN = random('tok_');
const OLD_TOKEN = random('old_');
const SECRET = random('sec_');
const WHSEC = `whsec_${randomBytes(24).toString('base64')}`;
const API_KEY = random('key_');
const WEBHOOK = '/webhooks/knowlarity';

let database: TestDatabase;
let running: RunningApp | undefined;

async function boot(env: Record<string, string>) {
  await running?.close();
  const opened = await createPgliteDatabase();
  database = opened.database;
  running = await startApp({
    repository: opened.repository,
    env: { INTERNAL_API_KEYS: API_KEY, WEBHOOK_RATE_LIMIT_PER_MINUTE: '100000', ...env },
  });
  return running.url;
}

/** Booting takes long on a loaded machine: hooks and tests that boot get this long. */
const BOOT_MS = 240_000;

/** One app for a whole describe block (boots are the slow part of these tests). */
function bootForBlock(env: Record<string, string>): { url: string } {
  const handle = { url: '' };
  beforeAll(async () => {
    handle.url = await boot(env);
  }, BOOT_MS);
  return handle;
}

afterAll(async () => {
  await running?.close();
  running = undefined;
}, BOOT_MS);

async function leadsFor(phone: string): Promise<number> {
  const rows = await database.sql(
    'select id from leads_master where phone_number_normalized = $1',
    [phone],
  );
  return rows.length;
}

const json = { 'content-type': 'application/json' };

describe('what is signed is all that is read, and read once', () => {
  const app = bootForBlock({ KNOWLARITY_WEBHOOK_SECRETS: `${SECRET},${WHSEC}` });

  it('ignores query fields on a signed POST: a captured body cannot be re-targeted', async () => {
    const phone = freshPhone();
    const forged = freshPhone();
    const body = JSON.stringify({ caller_id: phone, callid: `sig-${phone}` });
    const signature = { 'x-knowlarity-signature': signHex(SECRET, body) };

    const response = await fetch(
      `${app.url}${WEBHOOK}?customer_number=${forged}&uuid=forged-${forged}&caller_name=Mallory`,
      { method: 'POST', headers: { ...json, ...signature }, body },
    );

    expect(response.status).toBe(200);
    expect(await readJson(response)).toMatchObject({ callId: `sig-${phone}` });
    expect(await leadsFor(forged)).toBe(0);
    expect(await leadsFor(phone)).toBe(1);
  });

  it("refuses an empty POST body before any signature check, so the empty body's signature opens nothing", async () => {
    const forged = freshPhone();

    const response = await fetch(
      `${app.url}${WEBHOOK}?caller_id=${forged}&callid=empty-${forged}`,
      {
        method: 'POST',
        headers: { ...json, 'x-knowlarity-signature': signHex(SECRET, '') },
      },
    );

    expect([response.status, (await readJson<ErrorBody>(response)).code]).toEqual([
      400,
      'empty_body',
    ]);
    expect(await leadsFor(forged)).toBe(0);
  });

  it('never ingests a HEAD, even one signed like its GET', async () => {
    const phone = freshPhone();
    const query = `caller_id=${phone}&callid=head-${phone}`;

    const response = await fetch(`${app.url}${WEBHOOK}?${query}`, {
      method: 'HEAD',
      headers: { 'x-knowlarity-signature': signHex(SECRET, query) },
    });

    expect(response.status).toBe(405);
    expect(await leadsFor(phone)).toBe(0);
  });

  it('answers a repeated Standard Webhooks message id as a duplicate without ingesting it again', async () => {
    const url = app.url;
    const phone = freshPhone();
    const body = JSON.stringify({ caller_id: phone, callid: `std-${phone}` });
    const headers = { ...json, ...standardWebhookHeaders(WHSEC, body, undefined, `msg_${phone}`) };
    const send = () => fetch(`${url}${WEBHOOK}`, { method: 'POST', headers, body });

    const first = await readJson(await send());
    const again = await send();

    expect(first).toMatchObject({ success: true, outcome: 'lead_created' });
    expect([again.status, await readJson(again)]).toEqual([
      200,
      { success: true, outcome: 'duplicate_message', leadId: null, callId: null },
    ]);
    const [call] = await database.sql(
      'select seen_count from knowlarity_calls where call_id = $1',
      [`std-${phone}`],
    );
    expect(Number(call.seen_count)).toBe(1);
  });
});

describe('replaying refused deliveries; paths classified after decoding', () => {
  const app = bootForBlock({
    KNOWLARITY_WEBHOOK_TOKEN: TOKEN,
    KNOWLARITY_WEBHOOK_PREVIOUS_TOKENS: OLD_TOKEN,
  });

  it('classifies paths after decoding: %64eliveries is the deliveries API, not a delivery', async () => {
    const response = await fetch(`${app.url}${WEBHOOK}/%64eliveries`);

    expect([response.status, (await readJson<ErrorBody>(response)).code]).toEqual([
      401,
      'unauthorized',
    ]);
    const [{ n }] = await database.sql<{ n: number }>(
      'select count(*)::int as n from webhook_deliveries',
    );
    expect(n).toBe(0);
  });

  it('stores what the token was, refuses an unforced replay of a refused delivery, and records who forced one', async () => {
    const url = app.url;
    const post = (token: string, phone: string) =>
      fetch(`${url}${WEBHOOK}/${token}`, {
        method: 'POST',
        headers: json,
        body: JSON.stringify({ caller_id: phone, callid: `rp-${phone}` }),
      });
    const phones = [freshPhone(), freshPhone(), freshPhone()];
    await post(TOKEN, phones[0]);
    await post(OLD_TOKEN, phones[1]);
    await post(random('guess_'), phones[2]);
    const auth = { 'x-api-key': API_KEY };
    const rows = await database.sql<{ id: number; path: string; http_status: number }>(
      'select id, path, http_status from webhook_deliveries order by id',
    );

    const unforced = await fetch(`${url}${WEBHOOK}/deliveries/${rows[1].id}/replay`, {
      method: 'POST',
      headers: auth,
    });
    const forced = await fetch(`${url}${WEBHOOK}/deliveries/${rows[1].id}/replay?force=true`, {
      method: 'POST',
      headers: auth,
    });

    expect(rows.map((row) => [row.path, row.http_status])).toEqual([
      [`${WEBHOOK}/[valid-token]`, 200],
      [`${WEBHOOK}/[previous-token]`, 401],
      [`${WEBHOOK}/[wrong-token]`, 401],
    ]);
    expect([unforced.status, (await readJson<ErrorBody>(unforced)).code]).toEqual([
      409,
      'replay_needs_force',
    ]);
    expect(await leadsFor(phones[1])).toBe(1);
    expect(await readJson(forced)).toMatchObject({ success: true, outcome: 'lead_created' });
    const [replay] = await database.sql<{ headers: Record<string, string> }>(
      'select headers from webhook_deliveries where replay_of = $1',
      [rows[1].id],
    );
    const fingerprint = createHash('sha256').update(API_KEY).digest('hex').slice(0, 12);
    expect(replay.headers['x-replay-forced-by']).toBe(`key:${fingerprint}`);
  });
});

describe('bounded storage of refusals', () => {
  const budget = 1024 * 1024;
  const app = bootForBlock({
    KNOWLARITY_WEBHOOK_TOKEN: TOKEN,
    WEBHOOK_REFUSED_BYTES_PER_HOUR: String(budget),
    WEBHOOK_REFUSED_BYTES_PER_CLIENT_PER_HOUR: String(budget),
  });

  it('keeps the bodies of 1,000 unauthenticated 60 KB requests within the hourly budget', async () => {
    const url = app.url;
    const body = JSON.stringify({ caller_id: '9800000101', pad: 'x'.repeat(60 * 1024) });
    const statuses: number[] = [];
    for (let batch = 0; batch < 100; batch++) {
      const responses = await Promise.all(
        Array.from({ length: 10 }, () =>
          fetch(`${url}${WEBHOOK}/wrong-token-wrong-token-wrong`, {
            method: 'POST',
            headers: json,
            body,
          }),
        ),
      );
      statuses.push(...responses.map((response) => response.status));
    }

    // Measured as the bytes of stored bodies: sum(octet_length(raw_body)).
    const [stored] = await database.sql<{ rows: number; body_bytes: string; biggest_row: number }>(
      `select count(*)::int as rows, coalesce(sum(octet_length(raw_body)), 0) as body_bytes,
              max(octet_length(headers::text) + coalesce(octet_length(query), 0))::int as biggest_row
       from webhook_deliveries`,
    );
    expect(statuses.filter((status) => status === 401)).toHaveLength(1000);
    expect(stored.rows).toBe(1000);
    expect(Number(stored.body_bytes)).toBeLessThanOrEqual(budget);
    expect(Number(stored.body_bytes)).toBeGreaterThan(0);
    expect(stored.biggest_row).toBeLessThan(4096);
    const metrics = await (
      await fetch(`${url}/metrics`, { headers: { 'x-api-key': API_KEY } })
    ).text();
    expect(metrics).toMatch(
      /knowlarity_webhook_refusals_unauthenticated_total\{kept="metadata"\} \d+/,
    );
    expect(metrics).toContain(`knowlarity_webhook_refusal_budget_bytes ${budget}`);
  }, 600_000);
});

describe('one rate-limit budget per client', () => {
  const app = bootForBlock({
    WEBHOOK_RATE_LIMIT_PER_MINUTE: '3',
    TRUST_PROXY: '127.0.0.1',
    KNOWLARITY_WEBHOOK_TOKEN: TOKEN,
  });
  const post = (url: string, path: string, forwardedFor: string) =>
    fetch(`${url}${path}`, {
      method: 'POST',
      headers: { ...json, 'x-forwarded-for': forwardedFor },
      body: JSON.stringify({ caller_id: freshPhone() }),
    });

  it('counts every address of one IPv6 /64 as one client', async () => {
    const url = app.url;
    const statuses = [];
    for (let i = 1; i <= 4; i++)
      statuses.push((await post(url, WEBHOOK, `2001:db8:5:6::${i}`)).status);
    const otherNetwork = await post(url, WEBHOOK, '2001:db8:5:7::1');

    expect(statuses).toEqual([401, 401, 401, 429]);
    expect(otherNetwork.status).toBe(401);
  });

  it('counts an IPv4-mapped address as its IPv4 address, across GET and POST, path and query tokens', async () => {
    const url = app.url;
    const responses = [
      await post(url, `${WEBHOOK}/${TOKEN}`, '203.0.113.5'),
      await post(url, `${WEBHOOK}?token=${TOKEN}`, '::ffff:203.0.113.5'),
      await fetch(`${url}${WEBHOOK}/${TOKEN}?caller_id=${freshPhone()}`, {
        headers: { 'x-forwarded-for': '203.0.113.5' },
      }),
      await fetch(`${url}${WEBHOOK}?token=${TOKEN}&caller_id=${freshPhone()}`, {
        headers: { 'x-forwarded-for': '::ffff:203.0.113.5' },
      }),
    ];

    expect(responses.map((response) => response.status)).toEqual([200, 200, 200, 429]);
  });
});

describe('timeouts', () => {
  const app = bootForBlock({
    HTTP_REQUEST_TIMEOUT_SECONDS: '2',
    HTTP_HEADERS_TIMEOUT_SECONDS: '2',
  });

  it('cuts a slow upload at the request timeout, counts it, and stores nothing', async () => {
    const url = app.url;
    const { port } = new URL(url);
    const started = Date.now();

    const closedAfter = await new Promise<number>((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1', () => {
        socket.write(
          `POST ${WEBHOOK} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n` +
            'Content-Length: 1000\r\n\r\n{"caller_id":',
        );
        // One byte every second: never idle, never done.
        const drip = setInterval(() => socket.write(' '), 1000);
        socket.on('close', () => {
          clearInterval(drip);
          resolve(Date.now() - started);
        });
      });
      socket.on('error', () => undefined);
      setTimeout(() => reject(new Error('the slow upload was never cut')), 20_000).unref();
    });

    expect(closedAfter).toBeLessThan(15_000);
    const [{ n }] = await database.sql<{ n: number }>(
      'select count(*)::int as n from webhook_deliveries',
    );
    expect(n).toBe(0);
    const metrics = await (
      await fetch(`${url}/metrics`, { headers: { 'x-api-key': API_KEY } })
    ).text();
    expect(metrics).toContain('knowlarity_http_aborted_requests_total{reason="timeout"} 1');
  }, 60_000);
});

describe('the smaller findings', () => {
  const app = bootForBlock({});

  it('refuses JSON nested past the limit on any route with a 400, before validation', async () => {
    const url = app.url;
    const deep = `${'['.repeat(5000)}${']'.repeat(5000)}`;

    const response = await fetch(`${url}/sources`, {
      method: 'POST',
      headers: { ...json, 'x-api-key': API_KEY },
      body: `{"displayName":"x","sourceType":${deep}}`,
    });

    expect([response.status, (await readJson<ErrorBody>(response)).code]).toEqual([
      400,
      'invalid_payload',
    ]);
  });

  it('answers a static-file refusal with a 4xx, and every answer carries security headers', async () => {
    const url = app.url;

    const traversal = await fetch(`${url}/docs/..%2f..%2fpackage.json`);
    const dotdot = await fetch(`${url}/docs/../x`);
    const health = await fetch(`${url}/health/live`);

    expect(traversal.status).toBeGreaterThanOrEqual(400);
    expect(traversal.status).toBeLessThan(500);
    expect(dotdot.status).toBeGreaterThanOrEqual(400);
    expect(dotdot.status).toBeLessThan(500);
    expect(health.headers.get('x-content-type-options')).toBe('nosniff');
    expect(health.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(health.headers.get('x-frame-options')).toBe('SAMEORIGIN');
  });

  it(
    'keeps the API docs off in production unless OPENAPI_ENABLED, and then behind the key',
    async () => {
      const production = { NODE_ENV: 'production', KNOWLARITY_WEBHOOK_TOKEN: TOKEN };
      let url = await boot(production);
      const off = await fetch(`${url}/docs-json`);
      url = await boot({ ...production, OPENAPI_ENABLED: 'true' });
      const anonymous = await fetch(`${url}/docs-json`);
      const withKey = await fetch(`${url}/docs-json`, { headers: { 'x-api-key': API_KEY } });

      expect(off.status).toBe(404);
      expect(anonymous.status).toBe(401);
      expect(withKey.status).toBe(200);
      expect((await readJson<{ openapi: string }>(withKey)).openapi).toMatch(/^3\./);
    },
    2 * BOOT_MS,
  );
});
