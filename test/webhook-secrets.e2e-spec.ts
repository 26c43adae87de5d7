/**
 * Secrets never leave (issue 11): the URL token sent as x-request-id, in a Referer, as ?TOKEN=,
 * as token[]= and percent-encoded in the path appears in no log line and in no field of the
 * deliveries list. Its own file: nestjs-pino keeps one root logger per process.
 */
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { startApp } from './support/app';
import { freshPhone } from './support/calls';
import { createPgliteDatabase } from './support/databases';
import { readJson } from './support/http';

const TOKEN = `tok_${randomBytes(16).toString('hex')}`;
const API_KEY = `key_${randomBytes(16).toString('hex')}`;
const WEBHOOK = '/webhooks/knowlarity';

/** Every character of the token percent-encoded: `%74%6f%6b...`. */
const encodedToken = [...TOKEN].map((c) => `%${c.charCodeAt(0).toString(16)}`).join('');

describe('the URL token in side doors', () => {
  it('never reaches a log line or the deliveries list', async () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
        done();
      },
    });
    const { database, repository } = await createPgliteDatabase();
    const running = await startApp({
      repository,
      logDestination: destination,
      env: { LOG_LEVEL: 'debug', INTERNAL_API_KEYS: API_KEY, KNOWLARITY_WEBHOOK_TOKEN: TOKEN },
    });
    const call = () => JSON.stringify({ caller_id: freshPhone(), callid: `side-${freshPhone()}` });
    const post = (path: string, headers: Record<string, string> = {}) =>
      fetch(`${running.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: call(),
      });
    let list: unknown;
    let responses: number[];
    let rows: Record<string, unknown>[];
    try {
      responses = [
        (await post(`${WEBHOOK}/${TOKEN}`, { 'x-request-id': TOKEN })).status,
        (await post(`${WEBHOOK}/${TOKEN}`, { referer: `https://crm.example/${WEBHOOK}/${TOKEN}` }))
          .status,
        (await post(`${WEBHOOK}?TOKEN=${TOKEN}`)).status,
        (await post(`${WEBHOOK}?token[]=${TOKEN}`)).status,
        (await post(`${WEBHOOK}/${encodedToken}`)).status,
        (await post(`${WEBHOOK}?next=${encodeURIComponent(`${WEBHOOK}/${TOKEN}`)}`)).status,
      ];
      list = await readJson(
        await fetch(`${running.url}${WEBHOOK}/deliveries?limit=50`, {
          headers: { 'x-api-key': API_KEY },
        }),
      );
      rows = await database.sql('select * from webhook_deliveries');
    } finally {
      await running.close();
    }

    expect(responses).toEqual([200, 200, 200, 200, 200, 401]);
    expect(rows).toHaveLength(6);
    expect((list as { items: unknown[] }).items).toHaveLength(6);
    for (const text of [lines.join('\n'), JSON.stringify(list), JSON.stringify(rows)]) {
      expect(text).not.toContain(TOKEN);
      expect(text.toLowerCase()).not.toContain(encodedToken.toLowerCase());
    }
    expect(lines.some((line) => line.includes('"requestId"'))).toBe(true);
  });
});
