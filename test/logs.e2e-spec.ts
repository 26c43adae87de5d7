/**
 * The logs of a full run with real deliveries (accepted, rejected, replayed) and look-ups: a
 * request id on every request line, phones masked, and no full phone number, URL token, HMAC
 * signature or API key anywhere. Its own file: nestjs-pino keeps one root logger per process.
 */
import { Writable } from 'node:stream';
import { startApp } from './support/app';
import { freshPhone } from './support/calls';
import { createPgliteDatabase } from './support/databases';
import { signHex } from './support/signing';

const API_KEY = 'internal-key-operability-0001';
const TOKEN = 'url-token-operability-0123456789';
const SECRET = 'hmac-secret-operability-0123456789';

interface LogEntry {
  time: number;
  msg: string;
  context?: string;
  requestId?: string;
  req?: { id?: string; method?: string; url?: string };
  res?: { statusCode?: number };
}

describe('logs of a full run', () => {
  it('hold request ids and masked phones, and no full phone number, token, signature or API key', async () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
        done();
      },
    });
    const { repository } = await createPgliteDatabase();
    const running = await startApp({
      repository,
      logDestination: destination,
      env: {
        LOG_LEVEL: 'debug',
        INTERNAL_API_KEYS: API_KEY,
        KNOWLARITY_WEBHOOK_TOKEN: TOKEN,
        KNOWLARITY_WEBHOOK_SECRETS: SECRET,
      },
    });
    const phones = [freshPhone(), freshPhone(), freshPhone()];
    const signatures: string[] = [];
    const replies: [string, number, unknown][] = [];
    // Each request carries its own id, so every line can be tied to the request that wrote it.
    const send = async (name: string, url: string, init: RequestInit = {}) => {
      const headers = {
        ...(init.headers as Record<string, string>),
        'x-request-id': `log-${name.replace(/ /g, '-')}`,
      };
      const response = await fetch(`${running.url}${url}`, { ...init, headers });
      replies.push([name, response.status, await response.json()]);
    };
    const firstSentAt = Date.now();
    try {
      const body = JSON.stringify({ caller_id: `+91${phones[0]}`, callid: 'log-call-a' });
      signatures.push(signHex(SECRET, body));
      await send('signed POST', `/webhooks/knowlarity/${TOKEN}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-knowlarity-signature': signatures[0],
        },
        body,
      });
      const query = `caller_id=%2B91${phones[1]}&callid=log-call-b`;
      signatures.push(signHex(SECRET, query));
      await send('signed GET', `/webhooks/knowlarity?token=${TOKEN}&${query}`, {
        headers: { 'x-knowlarity-signature': signatures[1] },
      });
      const rejected = JSON.stringify({ caller_id: phones[2] });
      signatures.push(signHex('wrong-secret-wrong-secret-000', rejected));
      await send('wrong signature', `/webhooks/knowlarity/${TOKEN}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-knowlarity-signature': signatures[2] },
        body: rejected,
      });
      await send('deliveries', '/webhooks/knowlarity/deliveries', {
        headers: { authorization: `Bearer ${API_KEY}` },
      });
      await send('replay', '/webhooks/knowlarity/deliveries/1/replay', {
        method: 'POST',
        headers: { 'x-api-key': API_KEY },
      });
      await send('look-up', `/leads?phone=${phones[0]}`, { headers: { 'x-api-key': API_KEY } });
    } finally {
      await running.close();
    }

    // Every request did what it should, so each reached the code that logs it.
    expect(replies.map(([name, status]) => [name, status])).toEqual([
      ['signed POST', 200],
      ['signed GET', 200],
      ['wrong signature', 401],
      ['deliveries', 200],
      ['replay', 200],
      ['look-up', 200],
    ]);
    expect(replies[0][2]).toMatchObject({ outcome: 'lead_created', callId: 'log-call-a' });
    expect(replies[1][2]).toMatchObject({ outcome: 'lead_created', callId: 'log-call-b' });
    expect(replies[4][2]).toMatchObject({ outcome: 'duplicate_call', callId: 'log-call-a' });

    const requestIds = replies.map(([name]) => `log-${name.replace(/ /g, '-')}`);
    const entries = lines.map((line) => JSON.parse(line) as LogEntry);
    // A webhook delivery writes exactly one line, its outcome or refusal, under its request id
    // (no separate "request completed" line); every other request gets pino-http's line.
    for (const index of [0, 1, 2]) {
      const own = entries.filter((entry) => entry.requestId === requestIds[index]);
      expect([requestIds[index], own.length]).toEqual([requestIds[index], 1]);
      expect(own[0].msg).not.toBe('request completed');
    }
    const completed = entries.filter((entry) => entry.msg === 'request completed');
    expect(
      completed.map((entry) => [
        entry.req?.id,
        entry.req?.method,
        entry.req?.url,
        entry.res?.statusCode,
      ]),
    ).toEqual([
      [requestIds[3], 'GET', '/webhooks/knowlarity/deliveries', 200],
      [requestIds[4], 'POST', '/webhooks/knowlarity/deliveries/1/replay', 200],
      [requestIds[5], 'GET', '/leads', 200],
    ]);
    expect(completed.every((entry) => entry.requestId === entry.req?.id)).toBe(true);
    // Every line written while the requests ran carries the id of one of them, and the replay
    // logged its own line under its request's id.
    const duringRequests = entries.filter(
      (entry, index) => entry.time >= firstSentAt && index <= entries.indexOf(completed[2]),
    );
    expect(duringRequests.length).toBeGreaterThanOrEqual(6);
    expect(duringRequests.filter((entry) => !requestIds.includes(entry.requestId ?? ''))).toEqual(
      [],
    );
    expect(
      entries.some((e) => e.msg !== 'request completed' && e.requestId === requestIds[4]),
    ).toBe(true);
    // Headers are never logged: the request lines hold the id, method and path only.
    expect(
      completed.every((entry) => Object.keys(entry.req ?? {}).join() === 'id,method,url'),
    ).toBe(true);

    // The phones of the accepted calls were logged, masked; no phone, token, signature or key in
    // full anywhere.
    const log = lines.join('\n');
    expect(log).toContain(`phone ******${phones[0].slice(-4)}`);
    expect(log).toContain(`phone ******${phones[1].slice(-4)}`);
    for (const phone of phones) expect(log).not.toContain(phone);
    for (const signature of signatures) expect(log).not.toContain(signature);
    expect(log).not.toContain(TOKEN);
    expect(log).not.toContain(SECRET);
    expect(log).not.toContain(API_KEY);
  });
});
