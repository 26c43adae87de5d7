/**
 * The webhook guard over real HTTP against the real app, signing with test secrets (nothing about
 * verification is mocked): URL token, HMAC in both schemes, IP allowlist behind and without
 * trusted proxies, size and rate limits, internal API keys, and what gets stored.
 */
import { expect } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { RunningApp, startApp } from './support/app';
import { freshPhone } from './support/calls';
import { createPgliteDatabase, TestDatabase } from './support/databases';
import { ErrorBody, readJson, WebhookBody } from './support/http';
import { signBase64, signHex, standardWebhookHeaders } from './support/signing';

const TOKEN = `tok_${randomBytes(16).toString('hex')}`;
const SECRET_OLD = `old-secret-${randomBytes(12).toString('hex')}`;
const SECRET_NEW = `new-secret-${randomBytes(12).toString('hex')}`;
const WHSEC = `whsec_${randomBytes(24).toString('base64')}`;
const API_KEY = `key_${randomBytes(16).toString('hex')}`;

/** GET /webhooks/knowlarity/deliveries: the fields these tests pick deliveries by. */
interface DeliveryList {
  items: Array<{ id: number; httpStatus: number }>;
}

let database: TestDatabase;
let running: RunningApp | undefined;

async function boot(env: Record<string, string>, host?: string) {
  await running?.close();
  const opened = await createPgliteDatabase();
  database = opened.database;
  running = await startApp({
    repository: opened.repository,
    env: { INTERNAL_API_KEYS: API_KEY, ...env },
    host,
  });
  return running.url;
}

afterEach(async () => {
  await running?.close();
  running = undefined;
});

const callBody = (phone = freshPhone()) =>
  JSON.stringify({ caller_id: `+91${phone}`, callid: `sec-${phone}` });

async function leadsFor(phone: string): Promise<number> {
  const rows = await database.sql(
    'select id from leads_master where phone_number_normalized = $1',
    [phone],
  );
  return rows.length;
}

describe('URL token', () => {
  it('accepts the token as a path segment or ?token=, rejects a missing or wrong one, and never stores it', async () => {
    const url = await boot({ KNOWLARITY_WEBHOOK_TOKEN: TOKEN });
    const post = (path: string, body = callBody()) =>
      fetch(`${url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });

    const inPath = await post(`/webhooks/knowlarity/${TOKEN}`);
    const inQuery = await fetch(
      `${url}/webhooks/knowlarity?token=${TOKEN}&caller_id=%2B91${freshPhone()}&callid=q1`,
    );
    const missing = await post('/webhooks/knowlarity');
    const wrongPhone = freshPhone();
    const wrong = await post(`/webhooks/knowlarity/${TOKEN.slice(0, -1)}x`, callBody(wrongPhone));

    expect([inPath.status, inQuery.status]).toEqual([200, 200]);
    expect((await readJson<WebhookBody>(inQuery)).outcome).toBe('lead_created');
    expect([missing.status, await readJson(missing)]).toEqual([
      401,
      { success: false, code: 'invalid_token', message: expect.any(String) },
    ]);
    expect(wrong.status).toBe(401);
    expect(await leadsFor(wrongPhone)).toBe(0);
    const stored = await database.sql(
      'select path, query, error_code from webhook_deliveries order by id',
    );
    expect(stored).toHaveLength(4);
    expect(JSON.stringify(stored)).not.toContain(TOKEN);
    expect(JSON.stringify(stored)).not.toContain(TOKEN.slice(0, -1));
    expect(stored.map((row) => row.error_code)).toEqual([
      null,
      null,
      'invalid_token',
      'invalid_token',
    ]);
  });
});

describe('HMAC signatures', () => {
  let url: string;
  beforeEach(async () => {
    url = await boot({ KNOWLARITY_WEBHOOK_SECRETS: `${SECRET_OLD},${SECRET_NEW},${WHSEC}` });
  });
  const send = (body: string, headers: Record<string, string>) =>
    fetch(`${url}/webhooks/knowlarity`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
    });

  it('accepts hex and base64, with or without sha256=, under either secret during a rotation', async () => {
    const bodies = [callBody(), callBody(), callBody()];

    const responses = [
      await send(bodies[0], {
        'x-knowlarity-signature': `sha256=${signHex(SECRET_OLD, bodies[0])}`,
      }),
      await send(bodies[1], { 'x-knowlarity-signature': signBase64(SECRET_NEW, bodies[1]) }),
      await send(bodies[2], { 'x-knowlarity-signature': signHex(SECRET_NEW, bodies[2]) }),
    ];

    expect(responses.map((r) => r.status)).toEqual([200, 200, 200]);
  });

  it('rejects a missing, wrong, truncated and other-secret signature, and a re-serialised body', async () => {
    const phone = freshPhone();
    const body = callBody(phone);
    const pretty = JSON.stringify(JSON.parse(body), null, 2);
    const good = signHex(SECRET_OLD, body);

    const responses = [
      await send(body, {}),
      await send(body, { 'x-knowlarity-signature': signHex(SECRET_OLD, `${body} `) }),
      await send(body, { 'x-knowlarity-signature': good.slice(0, 40) }),
      await send(body, {
        'x-knowlarity-signature': signHex(`other-secret-${randomBytes(12).toString('hex')}`, body),
      }),
      await send(pretty, { 'x-knowlarity-signature': good }),
    ];

    expect(
      await Promise.all(
        responses.map(async (r) => [r.status, (await readJson<ErrorBody>(r)).code]),
      ),
    ).toEqual(Array(5).fill([401, 'invalid_signature']));
    expect(await leadsFor(phone)).toBe(0);
  });

  it('checks a GET over its raw query string', async () => {
    const query = `caller_id=%2B91${freshPhone()}&callid=get-signed`;

    const signed = await fetch(`${url}/webhooks/knowlarity?${query}`, {
      headers: { 'x-knowlarity-signature': signHex(SECRET_OLD, query) },
    });
    const tampered = await fetch(`${url}/webhooks/knowlarity?${query}1`, {
      headers: { 'x-knowlarity-signature': signHex(SECRET_OLD, query) },
    });

    expect([signed.status, tampered.status]).toEqual([200, 401]);
  });

  it('accepts Standard Webhooks signatures and rejects expired ones in both directions', async () => {
    const now = Math.floor(Date.now() / 1000);
    const body = callBody();
    const valid = standardWebhookHeaders(WHSEC, body, now);
    const several = {
      ...valid,
      'webhook-signature': `v1,${randomBytes(32).toString('base64')} ${valid['webhook-signature']}`,
    };

    const responses = [
      await send(body, valid),
      await send(callBody(), several),
      await send(body, standardWebhookHeaders(WHSEC, body, now - 400)),
      await send(body, standardWebhookHeaders(WHSEC, body, now + 400)),
      await send(body, { ...valid, 'webhook-id': 'msg_other' }),
    ];

    const outcome = async (r: Response) => [
      r.status,
      (await readJson<WebhookBody>(r)).code ?? 'ok',
    ];
    expect(await outcome(responses[0])).toEqual([200, 'ok']);
    expect(responses[1].status).toBe(401); // the valid signature was for the other body
    expect(await outcome(responses[2])).toEqual([401, 'signature_expired']);
    expect(await outcome(responses[3])).toEqual([401, 'signature_expired']);
    expect(await outcome(responses[4])).toEqual([401, 'invalid_signature']);
  });
});

describe('IP allowlist and trusted proxies', () => {
  const post = (url: string, headers: Record<string, string> = {}, phone = freshPhone()) =>
    fetch(`${url}/webhooks/knowlarity`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: callBody(phone),
    });

  it('rejects a caller outside the list, and a spoofed X-Forwarded-For from an untrusted peer', async () => {
    const url = await boot({ KNOWLARITY_WEBHOOK_IP_ALLOWLIST: '10.0.0.0/8' });
    const phone = freshPhone();

    const direct = await post(url, {}, phone);
    const spoofed = await post(url, { 'x-forwarded-for': '10.1.2.3' }, phone);

    expect([direct.status, (await readJson<ErrorBody>(direct)).code]).toEqual([
      403,
      'ip_not_allowed',
    ]);
    expect(spoofed.status).toBe(403);
    expect(await leadsFor(phone)).toBe(0);
  });

  it('believes X-Forwarded-For from a trusted proxy, IPv4 and IPv6 clients alike', async () => {
    const url = await boot({
      KNOWLARITY_WEBHOOK_IP_ALLOWLIST: '10.0.0.0/8,2001:db8::/32',
      TRUST_PROXY: '127.0.0.1',
    });

    const ipv4 = await post(url, { 'x-forwarded-for': '10.1.2.3' });
    const ipv6 = await post(url, { 'x-forwarded-for': '2001:db8::5' });
    const outside = await post(url, { 'x-forwarded-for': '192.0.2.7' });

    expect([ipv4.status, ipv6.status, outside.status]).toEqual([200, 200, 403]);
    const [row] = await database.sql(
      'select remote_address from webhook_deliveries where http_status = 403',
    );
    expect(row.remote_address).toBe('192.0.2.7');
  });

  it('matches an IPv4-mapped socket address against IPv4 rules, and IPv6 loopback against ::1', async () => {
    const url = await boot({ KNOWLARITY_WEBHOOK_IP_ALLOWLIST: '127.0.0.1,::1' }, '::');
    const port = new URL(url).port;

    const mapped = await post(`http://127.0.0.1:${port}`);
    const ipv6 = await post(`http://[::1]:${port}`);

    expect([mapped.status, ipv6.status]).toEqual([200, 200]);
    const addresses = await database.sql(
      'select remote_address from webhook_deliveries order by id',
    );
    expect(addresses.map((r) => r.remote_address)).toEqual(['::ffff:127.0.0.1', '::1']);
  });

  it('with no protection configured, accepts loopback callers only', async () => {
    const url = await boot({ TRUST_PROXY: '127.0.0.1' });

    const local = await post(url);
    const remote = await post(url, { 'x-forwarded-for': '203.0.113.9' });

    expect([local.status, remote.status]).toEqual([200, 403]);
  });
});

describe('limits', () => {
  it('answers 413 for an oversized body and stores the delivery without it', async () => {
    const url = await boot({ WEBHOOK_MAX_BODY_BYTES: '2048' });
    const body = JSON.stringify({ caller_id: '+919800000001', pad: 'x'.repeat(4000) });

    const response = await fetch(`${url}/webhooks/knowlarity`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });

    expect([response.status, (await readJson<ErrorBody>(response)).code]).toEqual([
      413,
      'payload_too_large',
    ]);
    const [row] = await database.sql(
      'select http_status, body_stored, raw_body, body_bytes from webhook_deliveries',
    );
    expect(row).toEqual({
      http_status: 413,
      body_stored: false,
      raw_body: null,
      body_bytes: body.length,
    });
  });

  it('rate-limits per client IP with 429 and Retry-After, each client on its own count', async () => {
    // Two clients behind a trusted proxy: the limit must follow the client, not the service.
    const url = await boot({
      WEBHOOK_RATE_LIMIT_PER_MINUTE: '3',
      KNOWLARITY_WEBHOOK_IP_ALLOWLIST: '10.0.0.0/8',
      TRUST_PROXY: '127.0.0.1',
    });
    const sendFrom = (client: string) =>
      fetch(`${url}/webhooks/knowlarity`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': client },
        body: callBody(),
      });

    const first: Response[] = [];
    for (let i = 0; i < 4; i++) first.push(await sendFrom('10.0.0.1'));
    const second: Response[] = [];
    for (let i = 0; i < 3; i++) second.push(await sendFrom('10.0.0.2'));
    const firstAgain = await sendFrom('10.0.0.1');

    expect(first.map((r) => r.status)).toEqual([200, 200, 200, 429]);
    expect(second.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(firstAgain.status).toBe(429);
    expect(Number(first[3].headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await readJson<ErrorBody>(first[3])).code).toBe('rate_limited');
    const limited = await database.sql(
      "select remote_address from webhook_deliveries where error_code = 'rate_limited' order by id",
    );
    // Two 429s for 10.0.0.1, one row: a rate-limited client leaves one row per hour (issue 11).
    expect(limited.map((row) => row.remote_address)).toEqual(['10.0.0.1']);
  });
});

describe('deliveries list and replay (internal API key)', () => {
  it('requires a valid internal API key, as Bearer or x-api-key', async () => {
    const url = await boot({});
    const list = (headers: Record<string, string>) =>
      fetch(`${url}/webhooks/knowlarity/deliveries`, { headers });

    const none = await list({});
    const wrong = await list({ authorization: `Bearer ${API_KEY}x` });
    const bearer = await list({ authorization: `Bearer ${API_KEY}` });
    const header = await list({ 'x-api-key': API_KEY });

    expect([none.status, (await readJson<ErrorBody>(none)).code]).toEqual([401, 'unauthorized']);
    expect([wrong.status, bearer.status, header.status]).toEqual([401, 200, 200]);
  });

  it('lists rejected deliveries redacted, and a replay of a stored delivery gives duplicate_call', async () => {
    const url = await boot({
      KNOWLARITY_WEBHOOK_TOKEN: TOKEN,
      KNOWLARITY_WEBHOOK_SECRETS: SECRET_OLD,
    });
    const phone = freshPhone();
    const body = callBody(phone);
    const headers = {
      'content-type': 'application/json',
      'x-knowlarity-signature': signHex(SECRET_OLD, body),
    };
    const rejected = await fetch(`${url}/webhooks/knowlarity?token=${TOKEN}`, {
      method: 'POST',
      headers: { ...headers, 'x-knowlarity-signature': signHex(SECRET_NEW, body) },
      body,
    });
    const accepted = await fetch(`${url}/webhooks/knowlarity/${TOKEN}`, {
      method: 'POST',
      headers,
      body,
    });
    const auth = { 'x-api-key': API_KEY };

    const list = await readJson<DeliveryList>(
      await fetch(`${url}/webhooks/knowlarity/deliveries?status=rejected&limit=10`, {
        headers: auth,
      }),
    );
    const all = await readJson<DeliveryList>(
      await fetch(`${url}/webhooks/knowlarity/deliveries`, { headers: auth }),
    );
    const acceptedId = all.items.find((d) => d.httpStatus === 200)!.id;
    const replay = await fetch(`${url}/webhooks/knowlarity/deliveries/${acceptedId}/replay`, {
      method: 'POST',
      headers: auth,
    });

    expect([rejected.status, accepted.status]).toEqual([401, 200]);
    expect(list.items).toHaveLength(1);
    expect(list.items[0]).toMatchObject({
      httpStatus: 401,
      errorCode: 'invalid_signature',
      path: '/webhooks/knowlarity',
      query: 'token=[valid-token]',
      body,
      bodyEncoding: 'utf8',
      headers: expect.objectContaining({ 'x-knowlarity-signature': '[redacted]' }),
    });
    expect(JSON.stringify(all)).not.toContain(TOKEN);
    expect(JSON.stringify(all)).not.toContain(signHex(SECRET_OLD, body));
    expect(await readJson(replay)).toMatchObject({ success: true, outcome: 'duplicate_call' });
    const [call] = await database.sql(
      'select arrival_paths from knowlarity_calls where customer_phone = $1',
      [phone],
    );
    expect(call.arrival_paths).toEqual(['webhook', 'replay']);
    expect(await leadsFor(phone)).toBe(1);
  });

  it('answers 404 for an unknown delivery and 400 for a bad id or limit', async () => {
    const url = await boot({});
    const auth = { 'x-api-key': API_KEY };

    const missing = await fetch(`${url}/webhooks/knowlarity/deliveries/999999/replay`, {
      method: 'POST',
      headers: auth,
    });
    const badId = await fetch(`${url}/webhooks/knowlarity/deliveries/abc/replay`, {
      method: 'POST',
      headers: auth,
    });
    const badLimit = await fetch(`${url}/webhooks/knowlarity/deliveries?limit=0`, {
      headers: auth,
    });

    expect([missing.status, (await readJson<ErrorBody>(missing)).code]).toEqual([
      404,
      'delivery_not_found',
    ]);
    expect([badId.status, badLimit.status]).toEqual([400, 400]);
    expect((await readJson<ErrorBody>(badLimit)).message).toMatch(/limit/);
  });
});
