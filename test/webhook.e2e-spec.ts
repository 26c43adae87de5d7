/**
 * The webhook over real HTTP against the real app, on PGlite and on the PostgreSQL server:
 * every sample shape, the error codes, and that every delivery is kept.
 */
import { expect } from '@jest/globals';
import { ErrorBody, readJson, WebhookBody } from './support/http';
import { freshPhone } from './support/calls';
import { RunningApp, startApp } from './support/app';
import { samples } from './support/samples';
import { describeOnEveryTarget } from './support/targets';

describeOnEveryTarget(
  'webhook',
  (db, target) => {
    let running: RunningApp;

    beforeAll(async () => {
      running = await startApp({ repository: db.repository });
    });
    afterAll(async () => running?.close());

    /** The stored delivery of one request, found by the request id it was sent with. */
    const storedDelivery = async (requestId: string) => {
      const rows = await db.database.sql(
        `select http_status, error_code, outcome, call_id, convert_from(raw_body, 'UTF8') as body
         from webhook_deliveries where request_id = $1`,
        [requestId],
      );
      expect(rows).toHaveLength(1);
      return rows[0];
    };

    const post = (body: string, contentType?: string, path = '/webhooks/knowlarity') =>
      fetch(`${running.url}${path}`, {
        method: 'POST',
        headers: contentType ? { 'content-type': contentType } : {},
        body,
      });

    it('turns the classic GET hook into a lead, and the same call as a form POST into a duplicate', async () => {
      const get = await fetch(`${running.url}/webhooks/knowlarity?${samples.classicQuery}`);
      const form = await post(samples.classicQuery, 'application/x-www-form-urlencoded');

      expect(get.status).toBe(200);
      const created = await readJson<WebhookBody>(get);
      expect(created).toEqual({
        success: true,
        outcome: 'lead_created',
        leadId: expect.any(Number),
        callId: '5c1e7a90-3f4b-4d2a-8e61-7b9c0d1e2f31',
        assignedTo: null,
        assignmentReason: 'unassigned',
      });
      expect(await readJson(form)).toEqual({ ...created, outcome: 'duplicate_call' });
      const [call] = await db.database.sql(
        `select customer_phone, customer_phone_e164, sr_number, started_at, duration_seconds, arrival_paths
         from knowlarity_calls where call_id = $1`,
        ['5c1e7a90-3f4b-4d2a-8e61-7b9c0d1e2f31'],
      );
      expect(call).toEqual({
        customer_phone: '9800000111',
        customer_phone_e164: '+919800000111',
        sr_number: '+919600000301',
        started_at: new Date('2026-11-20T03:49:27.391Z'),
        duration_seconds: 7,
        arrival_paths: ['webhook'],
      });
    });

    it('accepts the log-push JSON, also sent as text/plain', async () => {
      const json = await post(samples.logPush, 'application/json');
      const text = await post(samples.logPush, 'text/plain');

      expect(await readJson(json)).toMatchObject({
        success: true,
        outcome: 'lead_created',
        callId: '9a8b7c6d-1234-4e5f-8a9b-0c1d2e3f4a51',
      });
      expect(await readJson(text)).toMatchObject({ success: true, outcome: 'duplicate_call' });
      const leads = await db.database.sql(
        'select full_name, status from leads_master where phone_number_normalized = $1',
        ['9800000121'],
      );
      expect(leads).toEqual([{ full_name: 'Knowlarity Lead 9800000121', status: 'New' }]);
    });

    it('accepts call-log records and the SSE CDR as hook bodies, wrapped or not', async () => {
      const [answered, missed, outbound] = samples.callLogPage.objects;
      const cdr = samples.sseEvents.find((event) => event.type === 'CDR')!;

      const outcomes = [];
      for (const body of [answered, { data: missed }, outbound, cdr]) {
        const response = await post(JSON.stringify(body), 'application/json');
        outcomes.push((await readJson<WebhookBody>(response)).outcome);
      }

      expect(outcomes).toEqual(['lead_created', 'lead_created', 'call_linked', 'lead_created']);
      const [missedRow] = await db.database.sql(
        'select missed, agent_label, agent_number from knowlarity_calls where call_id = $1',
        [missed.uuid],
      );
      expect(missedRow).toEqual({
        missed: true,
        agent_label: 'Customer Missed',
        agent_number: '+919700000202',
      });
    });

    it('answers 400 invalid_payload for a body that does not parse, and keeps it', async () => {
      const requestId = `bad-json-${freshPhone()}`;
      const response = await fetch(`${running.url}/webhooks/knowlarity`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-request-id': requestId },
        body: '{"caller_id": "+9198',
      });

      expect(response.status).toBe(400);
      const body = await readJson(response);
      expect(body).toEqual({
        success: false,
        code: 'invalid_payload',
        message: expect.any(String),
      });
      expect(await storedDelivery(requestId)).toEqual({
        http_status: 400,
        error_code: 'invalid_payload',
        outcome: null,
        call_id: null,
        body: '{"caller_id": "+9198',
      });
    });

    it('answers 422 no_customer_phone for a dashboard test ping, and keeps it', async () => {
      const requestId = `ping-${freshPhone()}`;
      const ping = JSON.stringify({ test: 'ping', callid: requestId });
      const response = await fetch(`${running.url}/webhooks/knowlarity`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-request-id': requestId },
        body: ping,
      });

      expect(response.status).toBe(422);
      expect(await readJson(response)).toMatchObject({ success: false, code: 'no_customer_phone' });
      expect(await storedDelivery(requestId)).toEqual({
        http_status: 422,
        error_code: 'no_customer_phone',
        outcome: null,
        call_id: null,
        body: ping,
      });
      const calls = await db.database.sql('select 1 from knowlarity_calls where call_id = $1', [
        requestId,
      ]);
      expect(calls).toEqual([]);
    });

    it('answers 415 for an unsupported content type, 400 for a JSON array', async () => {
      const xml = await post('<call/>', 'application/xml');
      const array = await post('[{"caller_id":"9800000199"}]', 'application/json');

      expect([xml.status, (await readJson<ErrorBody>(xml)).code]).toEqual([
        415,
        'unsupported_media_type',
      ]);
      expect([array.status, (await readJson<ErrorBody>(array)).code]).toEqual([
        400,
        'invalid_payload',
      ]);
    });

    it('keeps every delivery, accepted or not, with the headers minus secrets', async () => {
      const phone = freshPhone();
      const send = (requestId: string, body: string) =>
        fetch(`${running.url}/webhooks/knowlarity`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            authorization: 'Bearer top-secret',
            'x-request-id': requestId,
          },
          body,
        });
      const acceptedBody = JSON.stringify({ caller_id: phone, callid: `kept-${phone}` });
      const refusedBody = JSON.stringify({ callid: `kept-refused-${phone}` });

      const accepted = await send(`trace-ok-${phone}`, acceptedBody);
      const refused = await send(`trace-refused-${phone}`, refusedBody);

      expect([accepted.status, refused.status]).toEqual([200, 422]);
      const acceptedRow = await storedDelivery(`trace-ok-${phone}`);
      const refusedRow = await storedDelivery(`trace-refused-${phone}`);
      expect(acceptedRow).toEqual({
        http_status: 200,
        error_code: null,
        outcome: 'lead_created',
        call_id: `kept-${phone}`,
        body: acceptedBody,
      });
      expect(refusedRow).toEqual({
        http_status: 422,
        error_code: 'no_customer_phone',
        outcome: null,
        call_id: null,
        body: refusedBody,
      });
      const stored = await db.database.sql(
        'select headers from webhook_deliveries where request_id = any($1) order by id',
        [[`trace-ok-${phone}`, `trace-refused-${phone}`]],
      );
      expect(stored.map((row) => (row.headers as Record<string, string>).authorization)).toEqual([
        '[redacted]',
        '[redacted]',
      ]);
      expect(JSON.stringify(stored)).not.toContain('top-secret');
    });

    it('a call without a call id gets a derived id, so its re-delivery still dedupes', async () => {
      const body = JSON.stringify({
        caller_id: freshPhone(),
        dispnumber: '+919600000301',
        start_time: '2026-11-20 10:00:00',
      });

      const first = await readJson<WebhookBody>(await post(body, 'application/json'));
      const again = await readJson<WebhookBody>(await post(body, 'application/json'));

      expect(first.callId).toMatch(/^derived:[0-9a-f]{32}$/);
      expect(again).toEqual({ ...first, outcome: 'duplicate_call' });
    });

    if (target.server) {
      it('50 concurrent deliveries of different calls from one new phone give exactly one lead', async () => {
        const phone = freshPhone();
        const responses = await Promise.all(
          Array.from({ length: 50 }, (_, i) =>
            post(
              JSON.stringify({ caller_id: `+91${phone}`, callid: `race-${phone}-${i}` }),
              'application/json',
            ),
          ),
        );

        const bodies = await Promise.all(responses.map((r) => readJson<WebhookBody>(r)));
        expect(responses.every((r) => r.status === 200)).toBe(true);
        expect(bodies.filter((b) => b.outcome === 'lead_created')).toHaveLength(1);
        const leads = await db.database.sql(
          'select id from leads_master where phone_number_normalized = $1',
          [phone],
        );
        expect(leads).toHaveLength(1);
      });
    }
  },
  { only: ['pglite', 'postgres'] },
);
