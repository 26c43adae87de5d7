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
    try {
      const body = JSON.stringify({ caller_id: `+91${phones[0]}`, callid: 'log-call-a' });
      signatures.push(signHex(SECRET, body));
      await fetch(`${running.url}/webhooks/knowlarity/${TOKEN}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-knowlarity-signature': signatures[0],
          'x-request-id': 'log-delivery-a',
        },
        body,
      });
      const query = `caller_id=%2B91${phones[1]}&callid=log-call-b`;
      signatures.push(signHex(SECRET, query));
      await fetch(`${running.url}/webhooks/knowlarity?token=${TOKEN}&${query}`, {
        headers: { 'x-knowlarity-signature': signatures[1] },
      });
      const rejected = JSON.stringify({ caller_id: phones[2] });
      signatures.push(signHex('wrong-secret-wrong-secret-000', rejected));
      await fetch(`${running.url}/webhooks/knowlarity/${TOKEN}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-knowlarity-signature': signatures[2] },
        body: rejected,
      });
      await fetch(`${running.url}/webhooks/knowlarity/deliveries`, {
        headers: { authorization: `Bearer ${API_KEY}` },
      });
      await fetch(`${running.url}/webhooks/knowlarity/deliveries/1/replay`, {
        method: 'POST',
        headers: { 'x-api-key': API_KEY },
      });
      await fetch(`${running.url}/leads?phone=${phones[0]}`, { headers: { 'x-api-key': API_KEY } });
    } finally {
      await running.close();
    }

    const log = lines.join('\n');
    expect(lines.length).toBeGreaterThan(10);
    expect(log).toContain(`******${phones[0].slice(-4)}`);
    expect(lines.filter((l) => l.includes('"requestId"')).length).toBeGreaterThanOrEqual(6);
    // One line per delivery: its outcome, with its request id (no separate "request completed").
    const deliveryLines = lines.filter((l) => l.includes('"requestId":"log-delivery-a"'));
    expect(deliveryLines).toHaveLength(1);
    expect(deliveryLines[0]).toContain('lead_created');
    for (const phone of phones) expect(log).not.toContain(phone);
    for (const signature of signatures) expect(log).not.toContain(signature);
    expect(log).not.toContain(TOKEN);
    expect(log).not.toContain(SECRET);
    expect(log).not.toContain(API_KEY);
  });
});
