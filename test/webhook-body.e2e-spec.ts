/**
 * How the Hook API routes read a body (src/common/http/direct-body.ts: straight from the request
 * stream, not through Fastify's reader), over real sockets against the real app: a body in many
 * chunks arrives whole (its HMAC still checks), a chunked body past the limit is a 413 like a
 * declared one, and bad JSON, an empty body and a wrong type get the answers they always got.
 * Other routes keep Fastify's reader, with the same answers.
 */
import { expect } from '@jest/globals';
import { createHook } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { RunningApp, startApp } from './support/app';
import { freshPhone } from './support/calls';
import { createPgliteDatabase, TestDatabase } from './support/databases';
import { ErrorBody, readJson, WebhookBody } from './support/http';
import { signHex } from './support/signing';

const SECRET = `body-secret-${randomBytes(16).toString('hex')}`;
const API_KEY = `key_${randomBytes(16).toString('hex')}`;
const MAX_BODY_BYTES = 4096;

let database: TestDatabase;
let running: RunningApp;

beforeAll(async () => {
  const opened = await createPgliteDatabase();
  database = opened.database;
  running = await startApp({
    repository: opened.repository,
    env: {
      INTERNAL_API_KEYS: API_KEY,
      KNOWLARITY_WEBHOOK_SECRETS: SECRET,
      WEBHOOK_MAX_BODY_BYTES: String(MAX_BODY_BYTES),
    },
  });
});

afterAll(async () => {
  await running?.close();
});

/** One request over a fresh socket, its body written in `chunks` with pauses; the raw answer. */
async function rawRequest(
  head: string,
  chunks: string[],
): Promise<{ status: number; body: string }> {
  const { port } = new URL(running.url);
  const socket = connect(Number(port), '127.0.0.1');
  await new Promise((resolve) => socket.once('connect', resolve));
  const answer = new Promise<string>((resolve) => {
    let text = '';
    socket.on('data', (data) => (text += data.toString('utf8')));
    socket.on('close', () => resolve(text));
    socket.on('error', () => resolve(text));
  });
  socket.write(head);
  for (const chunk of chunks) {
    if (socket.destroyed) break;
    socket.write(chunk);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const text = await answer;
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
  return { status, body: text.slice(text.indexOf('\r\n\r\n') + 4) };
}

function chunked(parts: string[]): string[] {
  return [
    ...parts.map((part) => `${Buffer.byteLength(part).toString(16)}\r\n${part}\r\n`),
    '0\r\n\r\n',
  ];
}

const head = (headers: Record<string, string>) =>
  `POST /webhooks/knowlarity HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n` +
  Object.entries(headers)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('') +
  '\r\n';

const post = (body: string, headers: Record<string, string>) =>
  fetch(`${running.url}/webhooks/knowlarity`, { method: 'POST', headers, body });

describe('webhook bodies', () => {
  it('takes a signed body sent in many chunks whole, and keeps its bytes', async () => {
    const phone = freshPhone();
    const requestId = `chunks-${phone}`;
    const body = JSON.stringify({
      caller_id: `+91${phone}`,
      callid: requestId,
      note: 'é'.repeat(300),
    });
    const parts = body.match(/[\s\S]{1,97}/g)!;

    const { status, body: answer } = await rawRequest(
      head({
        'content-type': 'application/json',
        'content-length': String(Buffer.byteLength(body)),
        'x-request-id': requestId,
        'x-knowlarity-signature': signHex(SECRET, body),
      }),
      parts,
    );

    expect([status, (JSON.parse(answer) as WebhookBody).outcome]).toEqual([200, 'lead_created']);
    const [row] = await database.sql(
      "select convert_from(raw_body, 'UTF8') as body from webhook_deliveries where request_id = $1",
      [requestId],
    );
    expect(row).toEqual({ body });
  });

  it('answers 413 for a chunked body that grows past the limit, and stores it without the body', async () => {
    // As with Fastify's reader: nothing declared a length, so the row says the (empty) body it
    // has is stored, and holds none.
    const requestId = `too-long-${freshPhone()}`;
    const parts = Array.from({ length: 8 }, () => 'x'.repeat(1024));

    const { status, body } = await rawRequest(
      head({
        'content-type': 'application/json',
        'transfer-encoding': 'chunked',
        'x-request-id': requestId,
      }),
      chunked(parts),
    );

    expect([status, (JSON.parse(body) as ErrorBody).code]).toEqual([413, 'payload_too_large']);
    const [row] = await database.sql(
      'select http_status, body_stored, raw_body from webhook_deliveries where request_id = $1',
      [requestId],
    );
    expect(row).toEqual({ http_status: 413, body_stored: true, raw_body: null });
  });

  it('survives a sender that hangs up halfway through a body', async () => {
    const { port } = new URL(running.url);
    const socket = connect(Number(port), '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write(head({ 'content-type': 'application/json', 'content-length': '1000' }));
    socket.write('{"caller_id": "+91');
    await new Promise((resolve) => setTimeout(resolve, 20));
    socket.destroy();
    await new Promise((resolve) => setTimeout(resolve, 50));

    const body = JSON.stringify({ caller_id: `+91${freshPhone()}` });
    const after = await post(body, {
      'content-type': 'application/json',
      'x-knowlarity-signature': signHex(SECRET, body),
    });
    expect(after.status).toBe(200);
  });

  it('answers 413 for a declared length past the limit', async () => {
    const body = JSON.stringify({ pad: 'x'.repeat(MAX_BODY_BYTES) });
    const response = await post(body, {
      'content-type': 'application/json',
      'x-knowlarity-signature': signHex(SECRET, body),
    });

    expect([response.status, (await readJson<ErrorBody>(response)).code]).toEqual([
      413,
      'payload_too_large',
    ]);
  });

  it('answers bad JSON, an empty body and a wrong type as before', async () => {
    const send = (body: string, contentType: string) =>
      post(body, { 'content-type': contentType, 'x-knowlarity-signature': signHex(SECRET, body) });

    const badJson = await send('{"caller_id": "+9198', 'application/json');
    const empty = await send('', 'application/json');
    const xml = await send('<call/>', 'application/xml');

    expect([badJson.status, (await readJson<ErrorBody>(badJson)).code]).toEqual([
      400,
      'invalid_payload',
    ]);
    expect([empty.status, (await readJson<ErrorBody>(empty)).code]).toEqual([400, 'empty_body']);
    expect([xml.status, (await readJson<ErrorBody>(xml)).code]).toEqual([
      415,
      'unsupported_media_type',
    ]);
  });
});

describe('other routes', () => {
  it("keep Fastify's reader: bad JSON is a 400 invalid_payload", async () => {
    const response = await fetch(`${running.url}/sync/knowlarity/backfill`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': API_KEY },
      body: '{"from": ',
    });

    expect([response.status, (await readJson<ErrorBody>(response)).code]).toEqual([
      400,
      'invalid_payload',
    ]);
  });
});

describe('which reader a route takes', () => {
  it("a Hook API body skips Fastify's per-request async resource; another route's body does not", async () => {
    // The shortcut's answers are Fastify's by design, so only the resource shows it is taken.
    let resources = 0;
    const hook = createHook({
      init: (_id, type) => {
        if (type === 'content-type-parser:run') resources += 1;
      },
    }).enable();
    try {
      const body = JSON.stringify({ caller_id: `+91${freshPhone()}` });
      const webhook = await post(body, {
        'content-type': 'application/json',
        'x-knowlarity-signature': signHex(SECRET, body),
      });
      const afterWebhook = resources;
      const other = await fetch(`${running.url}/sync/knowlarity/backfill`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': API_KEY },
        body: '{"from": ',
      });

      expect([webhook.status, afterWebhook, other.status, resources]).toEqual([200, 0, 400, 1]);
    } finally {
      hook.disable();
    }
  });
});
