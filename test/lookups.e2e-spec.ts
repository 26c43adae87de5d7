/**
 * The internal look-ups over real HTTP against the real app, through every driver: leads by
 * phone in eight formats and by every filter, keyset pages while leads arrive, one lead with its
 * history and calls, calls, sources with derived counts; and the 400/401/404/409 answers.
 */
import { expect } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import type { CallPageDto } from '../src/calls/dto/call.dto';
import type { LeadDetailDto, LeadPageDto } from '../src/leads/dto/lead.dto';
import type { SourceDetailDto, SourceDto } from '../src/sources/dto/source.dto';
import { FixedClock, RunningApp, startApp } from './support/app';
import { KNOWLARITY_SR, META_SR, makeCall, testRules } from './support/calls';
import { ErrorBody, readJson } from './support/http';
import { describeOnEveryTarget } from './support/targets';

const API_KEY = 'lookup-test-key-0123456789abcdef';

/** 17:30 in Asia/Kolkata: "today" there is 2026-11-20. */
const NOW = new Date('2026-11-20T12:00:00Z');
const PHONE = '9833300101';

/** A status and a body whose shape the test names per endpoint (`unknown` when it does not). */
interface Reply<T = unknown> {
  status: number;
  body: T;
}

/** A 400's message must not repeat what was sent (values this short occur in any text). */
function expectNoEcho(message: string, value: string): void {
  if (value.length >= 3) expect(message).not.toContain(value);
}

describeOnEveryTarget(
  'look-ups',
  (db) => {
    let running: RunningApp;

    const request = async <T = unknown>(
      method: string,
      path: string,
      options: {
        query?: Record<string, string>;
        body?: unknown;
        headers?: Record<string, string>;
      } = {},
    ): Promise<Reply<T>> => {
      const search = options.query ? `?${new URLSearchParams(options.query).toString()}` : '';
      const response = await fetch(`${running.url}${path}${search}`, {
        method,
        headers: {
          'x-api-key': API_KEY,
          ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
          ...options.headers,
        },
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
      });
      return { status: response.status, body: await readJson<T>(response) };
    };
    const get = <T = unknown>(path: string, query?: Record<string, string>) =>
      request<T>('GET', path, { query });
    const ids = (reply: Reply<LeadPageDto>): number[] => reply.body.items.map((lead) => lead.id);

    /** A source made by SQL, so each group of tests has its own leads to filter. */
    const makeSource = async (name: string): Promise<number> => {
      const [row] = await db.database.sql<{ id: number }>(
        "insert into sources (display_name, source_type) values ($1, 'crm') returning id::int as id",
        [name],
      );
      return row.id;
    };
    /** A CRM lead written directly, with the times a test needs. */
    const makeLead = async (lead: {
      name: string;
      phone: string;
      sourceId: number;
      status?: string;
      createdAt?: string;
      receivedAt?: string | null;
    }): Promise<number> => {
      const [row] = await db.database.sql<{ id: number }>(
        `insert into leads_master (full_name, phone_number_normalized, source_id, status, created_at, received_at)
         values ($1, $2, $3, $4, coalesce($5::timestamptz, now()), $6) returning id::int as id`,
        [
          lead.name,
          lead.phone,
          lead.sourceId,
          lead.status ?? 'New',
          lead.createdAt ?? null,
          lead.receivedAt ?? null,
        ],
      );
      return row.id;
    };

    beforeAll(async () => {
      running = await startApp({
        repository: db.repository,
        clock: new FixedClock(NOW),
        env: { INTERNAL_API_KEYS: API_KEY },
      });
    });
    afterAll(async () => running?.close());

    describe('the internal API key', () => {
      const endpoints: Array<[string, string]> = [
        ['GET', '/leads'],
        ['GET', '/leads/1'],
        ['GET', '/calls'],
        ['GET', '/calls/some-call'],
        ['GET', '/sources'],
        ['GET', '/sources/1'],
        ['POST', '/sources'],
      ];

      it.each(endpoints)(
        '%s %s answers 401 with no key and with a wrong key',
        async (method, path) => {
          const body = method === 'POST' ? { displayName: 'X', sourceType: 'y' } : undefined;
          const none = await request(method, path, { body, headers: { 'x-api-key': '' } });
          const wrong = await request(method, path, {
            body,
            headers: { 'x-api-key': 'wrong-key-wrong-key-wrong-key' },
          });
          const wrongBearer = await request(method, path, {
            body,
            headers: { 'x-api-key': '', authorization: 'Bearer wrong-key-wrong-key-wrong' },
          });

          for (const reply of [none, wrong, wrongBearer]) {
            expect(reply.status).toBe(401);
            expect(reply.body).toEqual({
              success: false,
              code: 'unauthorized',
              message: expect.any(String),
            });
          }
        },
      );

      it('accepts the key as a bearer token too', async () => {
        const reply = await request('GET', '/sources', {
          headers: { 'x-api-key': '', authorization: `Bearer ${API_KEY}` },
        });

        expect(reply.status).toBe(200);
      });
    });

    describe('GET /leads?phone=', () => {
      let ingestedId: number;
      let crmId: number;
      let otherSourceId: number;

      beforeAll(async () => {
        const result = await db.repository.ingestCall(
          makeCall(PHONE, { startedAt: new Date('2026-11-20T05:00:00Z') }),
          'webhook',
          testRules,
          {},
        );
        ingestedId = result.leadId!;
        // A second lead with the same phone (the CRM keeps one per branch), created earlier.
        otherSourceId = await makeSource('Phone formats');
        crmId = await makeLead({
          name: 'Walk-in',
          phone: PHONE,
          sourceId: otherSourceId,
          createdAt: '2026-01-05T10:00:00Z',
        });
      });

      const formats = [
        '+91 98333-00101',
        '098333 00101',
        '0091 9833300101',
        '9833300101',
        '919833300101',
        '+919833300101',
        '(+91) 98333.00101',
        '%2B919833300101',
      ];

      it.each(formats)('finds the same leads, newest first, for %s', async (phone) => {
        const reply = await get<LeadPageDto>('/leads', { phone });

        expect(reply.status).toBe(200);
        expect(ids(reply)).toEqual([ingestedId, crmId]);
        expect(reply.body.nextCursor).toBeNull();
      });

      it('gives each lead its source', async () => {
        const reply = await get<LeadPageDto>('/leads', { phone: PHONE });

        expect(reply.body.items).toEqual([
          expect.objectContaining({
            id: ingestedId,
            phone: PHONE,
            status: 'New',
            sourceId: expect.any(Number),
            source: {
              id: expect.any(Number),
              displayName: 'Knowlarity',
              sourceType: 'knowlarity_call',
            },
            receivedAt: '2026-11-20T05:00:00.000Z',
            createdAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
          }),
          expect.objectContaining({
            id: crmId,
            fullName: 'Walk-in',
            source: { id: otherSourceId, displayName: 'Phone formats', sourceType: 'crm' },
            createdAt: '2026-01-05T10:00:00.000Z',
          }),
        ]);
      });

      it('finds nothing for a phone no lead has', async () => {
        const reply = await get<LeadPageDto>('/leads', { phone: '+91 90000 12345' });

        expect(reply.body).toEqual({ items: [], nextCursor: null });
      });
    });

    describe('GET /leads filters', () => {
      let f: number;
      let g: number;
      const lead: Record<string, number> = {};

      beforeAll(async () => {
        f = await makeSource('Filters F');
        g = await makeSource('Filters G');
        // 23:45 and 00:15 in Asia/Kolkata, either side of midnight between 10 and 11 March.
        lead.l1 = await makeLead({
          name: 'Asha Rao',
          phone: '9811100001',
          sourceId: f,
          createdAt: '2026-03-10T18:15:00Z',
        });
        lead.l2 = await makeLead({
          name: 'asha Verma',
          phone: '9811100002',
          sourceId: f,
          status: 'Contacted',
          createdAt: '2026-03-10T18:45:00Z',
        });
        lead.l3 = await makeLead({
          name: 'Bala',
          phone: '9811200003',
          sourceId: f,
          createdAt: '2026-03-12T06:00:00Z',
        });
        lead.l4 = await makeLead({
          name: 'Chitra',
          phone: '9822200004',
          sourceId: f,
          status: 'Won',
          createdAt: '2026-03-13T06:00:00Z',
        });
        lead.l5 = await makeLead({
          name: 'Asha G',
          phone: '9811100005',
          sourceId: g,
          createdAt: '2026-03-11T06:00:00Z',
        });
      });

      const list = async (query: Record<string, string>) => {
        const reply = await get<LeadPageDto>('/leads', query);
        expect(reply.status).toBe(200);
        return ids(reply);
      };

      it('sourceId', async () => {
        expect(await list({ sourceId: String(f) })).toEqual([lead.l4, lead.l3, lead.l2, lead.l1]);
        expect(await list({ sourceId: String(g) })).toEqual([lead.l5]);
      });

      it('status, alone and with other filters', async () => {
        expect(await list({ sourceId: String(f), status: 'New' })).toEqual([lead.l3, lead.l1]);
        expect(await list({ status: 'Won' })).toEqual([lead.l4]);
        expect(await list({ status: 'Contacted', phone: '+91 98111 00002' })).toEqual([lead.l2]);
        expect(await list({ status: 'Won', phone: '+91 98111 00002' })).toEqual([]);
      });

      it('createdFrom and createdTo as plain dates in the business time zone', async () => {
        expect(await list({ sourceId: String(f), createdFrom: '2026-03-11' })).toEqual([
          lead.l4,
          lead.l3,
          lead.l2,
        ]);
        // A plain createdTo is the end of that day: 10 March until midnight in Kolkata.
        expect(await list({ sourceId: String(f), createdTo: '2026-03-10' })).toEqual([lead.l1]);
        expect(
          await list({ sourceId: String(f), createdFrom: '2026-03-11', createdTo: '2026-03-12' }),
        ).toEqual([lead.l3, lead.l2]);
      });

      it('createdFrom and createdTo as date-times (to is exclusive)', async () => {
        expect(
          await list({
            sourceId: String(f),
            createdFrom: '2026-03-10T18:30:00Z',
            createdTo: '2026-03-12T06:00:00Z',
          }),
        ).toEqual([lead.l2]);
        expect(
          await list({ sourceId: String(f), createdFrom: '2026-03-11T00:00:00+05:30' }),
        ).toEqual([lead.l4, lead.l3, lead.l2]);
        // Without an offset a date-time is a wall time in the business time zone.
        expect(await list({ sourceId: String(f), createdTo: '2026-03-11T00:00:00' })).toEqual([
          lead.l1,
        ]);
      });

      it('q: a case-insensitive name prefix', async () => {
        expect(await list({ sourceId: String(f), q: 'asha' })).toEqual([lead.l2, lead.l1]);
        expect(await list({ q: 'ASHA' })).toEqual([lead.l5, lead.l2, lead.l1]);
        expect(await list({ q: 'sha' })).toEqual([]);
      });

      it('q: a phone prefix, with or without +91 or a trunk 0', async () => {
        expect(await list({ q: '98111' })).toEqual([lead.l5, lead.l2, lead.l1]);
        expect(await list({ q: '+91 98111' })).toEqual([lead.l5, lead.l2, lead.l1]);
        expect(await list({ q: '0981120' })).toEqual([lead.l3]);
        expect(await list({ q: '+91 98222 00004' })).toEqual([lead.l4]);
      });

      it('q treats LIKE wildcards literally', async () => {
        expect(await list({ q: '%' })).toEqual([]);
        expect(await list({ q: '_sha' })).toEqual([]);
      });
    });

    describe('GET /leads pages', () => {
      let p: number;
      let expected: number[];

      beforeAll(async () => {
        p = await makeSource('Paging');
        const times = [
          ...Array.from(
            { length: 18 },
            (_, i) => `2026-02-01T10:${String(i).padStart(2, '0')}:00Z`,
          ),
          // Ties: several leads created in the same microsecond are ordered by id.
          '2026-02-01T09:00:00Z',
          '2026-02-01T09:00:00Z',
          '2026-02-01T09:00:00Z',
          // One microsecond apart, inside one millisecond.
          '2026-02-01T08:00:00.123456Z',
          '2026-02-01T08:00:00.123457Z',
        ];
        const created: Array<{ id: number; at: string }> = [];
        for (const [i, at] of times.entries()) {
          created.push({
            id: await makeLead({
              name: `Page ${i}`,
              phone: `97000${String(i).padStart(5, '0')}`,
              sourceId: p,
              createdAt: at,
            }),
            at,
          });
        }
        expected = created
          .sort((a, b) => b.at.localeCompare(a.at) || b.id - a.id)
          .map((lead) => lead.id);
      });

      it('neither skip nor repeat a lead while new leads arrive between pages', async () => {
        // Ingested arrivals are credited to the source being paged.
        const pagingRules = {
          ...testRules,
          defaultSource: { displayName: 'Paging', sourceType: 'crm' },
        };
        // Arrivals at times the test chooses, some inside pages already read and some ahead of
        // the cursor (set by hand: a CRM import or a back-fill can insert any created_at), and
        // through the ingest at the database's own clock.
        const placed = ['10:05:30', '10:09:30', '10:01:30', '10:12:30'];
        const arrivals: Array<{ id: number; cursorId: number }> = [];
        const seen: number[] = [];
        const sizes: number[] = [];
        let cursor: string | null = null;
        do {
          const query: Record<string, string> = { sourceId: String(p), limit: '5' };
          if (cursor) query.cursor = cursor;
          const reply = await get<LeadPageDto>('/leads', query);
          expect(reply.status).toBe(200);
          seen.push(...ids(reply));
          sizes.push(reply.body.items.length);
          cursor = reply.body.nextCursor;
          if (!cursor) break;
          const round = arrivals.length / 3 + 1;
          const cursorId = seen[seen.length - 1];
          const newest = await makeLead({
            name: `Newest ${round}`,
            phone: `96100${String(round).padStart(5, '0')}`,
            sourceId: p,
            createdAt: `2026-02-02T00:00:0${round}Z`,
          });
          const inBetween = await makeLead({
            name: `Placed ${round}`,
            phone: `96200${String(round).padStart(5, '0')}`,
            sourceId: p,
            createdAt: `2026-02-01T${placed[round - 1]}Z`,
          });
          const ingested = await db.repository.ingestCall(
            makeCall(`95100${String(round).padStart(5, '0')}`),
            'webhook',
            pagingRules,
            {},
          );
          expect(ingested.outcome).toBe('lead_created');
          for (const id of [newest, inBetween, ingested.leadId!]) arrivals.push({ id, cursorId });
        } while (cursor);

        // The keyset order, from the stored rows: created_at (to the microsecond) desc, id desc.
        const rows = await db.database.sql<{ id: number; at: string }>(
          `select id::int as id, to_char(created_at at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') as at
           from leads_master where source_id = $1`,
          [p],
        );
        const key = new Map(rows.map((row) => [row.id, row]));
        const newestFirst = (a: number, b: number) =>
          key.get(b)!.at.localeCompare(key.get(a)!.at) || b - a;
        const all = rows.map((row) => row.id).sort(newestFirst);
        // A lead that arrives behind the cursor was already passed; one ahead of it is still to
        // come. Either way no lead is skipped or shown twice.
        const ahead = arrivals.filter((a) => newestFirst(a.id, a.cursorId) > 0).map((a) => a.id);
        const expectedSeen = all.filter((id) => expected.includes(id) || ahead.includes(id));
        expect(arrivals).toHaveLength(12);
        expect(ahead.length).toBeGreaterThan(0);
        expect(ahead.length).toBeLessThan(arrivals.length);
        expect(seen).toEqual(expectedSeen);
        expect(seen.filter((id) => expected.includes(id))).toEqual(expected);
        expect(sizes).toEqual(
          Array.from({ length: Math.ceil(seen.length / 5) }, (_, i) =>
            Math.min(5, seen.length - i * 5),
          ),
        );
        const fresh = await get<LeadPageDto>('/leads', { sourceId: String(p), limit: '200' });
        expect(ids(fresh)).toEqual(all);
        expect(all).toHaveLength(expected.length + arrivals.length);
      });

      it('walks one lead at a time across ties and microseconds', async () => {
        const seen: number[] = [];
        let cursor: string | null = null;
        const query: Record<string, string> = {
          sourceId: String(p),
          limit: '1',
          createdFrom: '2026-02-01T08:00:00Z',
          createdTo: '2026-02-01T09:30:00Z',
        };
        do {
          const reply: Reply<LeadPageDto> = await get(
            '/leads',
            cursor ? { ...query, cursor } : query,
          );
          seen.push(...ids(reply));
          cursor = reply.body.nextCursor;
        } while (cursor);

        expect(seen).toEqual(expected.slice(-5));
      });

      it('answers 400 invalid_cursor for a tampered cursor, never a wrong page', async () => {
        const first = await get<LeadPageDto>('/leads', { sourceId: String(p), limit: '2' });
        const cursor = first.body.nextCursor!;
        const [body, mac] = cursor.split('.');
        const position = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as {
          id: number;
        };
        const forged = Buffer.from(
          JSON.stringify({ ...position, id: position.id + 1000 }),
        ).toString('base64url');
        const flipped = mac.slice(0, -1) + (mac.endsWith('A') ? 'B' : 'A');
        const calls = await get<CallPageDto>('/calls', { limit: '1' });

        for (const bad of [
          `${body}.${flipped}`,
          `${forged}.${mac}`,
          `${body}.${mac}x`,
          `${body}.${mac}.${mac}`,
          'not-a-cursor',
          calls.body.nextCursor!,
        ]) {
          const reply = await get<ErrorBody>('/leads', { sourceId: String(p), cursor: bad });
          expect([bad, reply.status, reply.body.code]).toEqual([bad, 400, 'invalid_cursor']);
        }
      });
    });

    describe('GET /leads/:id and GET /calls', () => {
      let leadId: number;
      const callIds: Record<string, string> = {};

      beforeAll(async () => {
        const phone = '9844400101';
        callIds.first = randomUUID();
        callIds.meta = randomUUID();
        callIds.outbound = randomUUID();
        const first = await db.repository.ingestCall(
          makeCall(phone, {
            callId: callIds.first,
            startedAt: new Date('2026-11-20T05:00:00Z'),
            durationSeconds: 61,
            agentNumber: '+919700000201',
            recordingUrl: 'https://recordings.example/first.mp3',
          }),
          'webhook',
          testRules,
          {},
        );
        leadId = first.leadId!;
        await db.repository.ingestCall(
          makeCall(phone, {
            callId: callIds.meta,
            srNumber: META_SR,
            startedAt: new Date('2026-11-20T06:00:00Z'),
            missed: true,
            durationSeconds: 0,
            agentNumber: null,
            agentLabel: 'Customer Missed',
          }),
          'webhook',
          testRules,
          {},
        );
        await db.repository.ingestCall(
          makeCall(phone, {
            callId: callIds.outbound,
            srNumber: KNOWLARITY_SR,
            direction: 'outbound',
            startedAt: new Date('2026-11-20T07:00:00Z'),
            durationSeconds: 30,
          }),
          'poll',
          testRules,
          {},
        );
      });

      it('GET /leads/:id gives the lead, its primary source, its history and its calls newest first', async () => {
        const reply = await get<LeadDetailDto>(`/leads/${leadId}`);

        expect(reply.status).toBe(200);
        expect(reply.body).toMatchObject({
          id: leadId,
          phone: '9844400101',
          source: { displayName: 'Knowlarity', sourceType: 'knowlarity_call' },
          callsTotal: 3,
        });
        expect(reply.body.history).toEqual([
          {
            sourceId: reply.body.sourceId,
            source: expect.objectContaining({ displayName: 'Knowlarity' }),
            receivedAt: '2026-11-20T05:00:00.000Z',
            isPrimary: true,
            externalId: callIds.first,
          },
          {
            sourceId: expect.any(Number),
            source: expect.objectContaining({ displayName: 'Meta' }),
            receivedAt: '2026-11-20T06:00:00.000Z',
            isPrimary: false,
            externalId: callIds.meta,
          },
        ]);
        expect(reply.body.calls.map((c) => c.callId)).toEqual([
          callIds.outbound,
          callIds.meta,
          callIds.first,
        ]);
        expect(reply.body.calls[2]).toEqual({
          callId: callIds.first,
          leadId,
          sourceId: reply.body.sourceId,
          phone: '9844400101',
          phoneE164: '+919844400101',
          srNumber: KNOWLARITY_SR,
          direction: 'inbound',
          status: 'answered',
          durationSeconds: 61,
          agentNumber: '+919700000201',
          agentLabel: null,
          recordingUrl: 'https://recordings.example/first.mp3',
          callerName: null,
          outcome: 'lead_created',
          assignedTo: null,
          assignmentReason: 'unassigned',
          startedAt: '2026-11-20T05:00:00.000Z',
        });
        expect(reply.body.calls[1]).toMatchObject({
          status: 'missed',
          agentLabel: 'Customer Missed',
          outcome: 'cross_source_duplicate',
        });
        expect(reply.body.calls[0]).toMatchObject({
          direction: 'outbound',
          outcome: 'call_linked',
        });
      });

      it('GET /leads/:id answers 404 lead_not_found, and 400 for an id that is not one', async () => {
        const missing = await get('/leads/987654321');
        const bad = await get<ErrorBody>('/leads/12abc');

        expect(missing.status).toBe(404);
        expect(missing.body).toEqual({
          success: false,
          code: 'lead_not_found',
          message: expect.any(String),
        });
        expect([bad.status, bad.body.code]).toEqual([400, 'bad_request']);
        expect(bad.body.message).toContain('id');
        expect(bad.body.message).not.toContain('12abc');
      });

      const callList = async (query: Record<string, string>) => {
        const reply = await get<CallPageDto>('/calls', query);
        expect(reply.status).toBe(200);
        return reply.body.items.map((c) => c.callId);
      };

      it('GET /calls filters by leadId and by phone in any format', async () => {
        const all = [callIds.outbound, callIds.meta, callIds.first];
        expect(await callList({ leadId: String(leadId) })).toEqual(all);
        expect(await callList({ phone: '+91 98444-00101' })).toEqual(all);
        expect(await callList({ phone: '098444 00101' })).toEqual(all);
      });

      it('GET /calls filters by status, direction, from and to', async () => {
        const lead = String(leadId);
        expect(await callList({ leadId: lead, status: 'missed' })).toEqual([callIds.meta]);
        expect(await callList({ leadId: lead, status: 'answered' })).toEqual([
          callIds.outbound,
          callIds.first,
        ]);
        expect(await callList({ leadId: lead, direction: 'outbound' })).toEqual([callIds.outbound]);
        expect(await callList({ leadId: lead, direction: 'inbound', status: 'answered' })).toEqual([
          callIds.first,
        ]);
        expect(
          await callList({
            leadId: lead,
            from: '2026-11-20T05:30:00Z',
            to: '2026-11-20T07:00:00Z',
          }),
        ).toEqual([callIds.meta]);
        expect(await callList({ leadId: lead, from: '2026-11-20' })).toHaveLength(3);
        expect(await callList({ leadId: lead, to: '2026-11-19' })).toEqual([]);
        expect(await callList({ leadId: lead, to: '2026-11-20' })).toHaveLength(3);
      });

      it('GET /calls pages newest first while new calls arrive', async () => {
        // A phone of its own, so the calls of other tests (and their order) do not matter.
        const phone = '9844400202';
        const ingest = (callId: string, startedAt: string) =>
          db.repository.ingestCall(
            makeCall(phone, { callId, startedAt: new Date(startedAt) }),
            'webhook',
            testRules,
            {},
          );
        // Two calls in the same instant: ordered by call id.
        const stored = [
          { id: 'calls-paging-a', at: '2026-11-21T05:00:00.000Z' },
          { id: 'calls-paging-b', at: '2026-11-21T06:00:00.000Z' },
          { id: 'calls-paging-c', at: '2026-11-21T06:00:00.000Z' },
          { id: 'calls-paging-d', at: '2026-11-21T07:00:00.000Z' },
        ];
        let lead: number | null = null;
        for (const call of stored) lead = (await ingest(call.id, call.at)).leadId;
        // After each page one call arrives: newer than all (already passed), or older than all
        // (still ahead of the cursor).
        const arriving = [
          { id: 'calls-paging-new-1', at: '2026-11-21T11:00:00.000Z' },
          { id: 'calls-paging-old-1', at: '2026-11-21T04:00:00.000Z' },
          { id: 'calls-paging-new-2', at: '2026-11-21T12:00:00.000Z' },
          { id: 'calls-paging-old-2', at: '2026-11-21T03:00:00.000Z' },
        ];
        const arrived: Array<{ id: string; at: string; cursor: { id: string; at: string } }> = [];
        const seen: Array<{ id: string; at: string }> = [];
        let cursor: string | null = null;
        do {
          const query: Record<string, string> = { leadId: String(lead), limit: '1' };
          const reply: Reply<CallPageDto> = await get(
            '/calls',
            cursor ? { ...query, cursor } : query,
          );
          expect(reply.status).toBe(200);
          for (const item of reply.body.items) {
            seen.push({ id: item.callId, at: item.startedAt });
          }
          cursor = reply.body.nextCursor;
          const next = arriving[arrived.length];
          if (cursor && next) {
            expect((await ingest(next.id, next.at)).leadId).toBe(lead);
            arrived.push({ ...next, cursor: seen[seen.length - 1] });
          }
        } while (cursor);

        // Newest first; ties by call id.
        const newestFirst = (a: { id: string; at: string }, b: { id: string; at: string }) =>
          b.at.localeCompare(a.at) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
        const ahead = arrived.filter((call) => newestFirst(call, call.cursor) > 0);
        expect(arrived).toHaveLength(4);
        expect(ahead.map((call) => call.id)).toEqual(['calls-paging-old-1', 'calls-paging-old-2']);
        expect(seen.map((call) => call.id)).toEqual(
          [...stored, ...ahead].sort(newestFirst).map((call) => call.id),
        );
      });

      it('GET /calls/:callId gives one call, 404 call_not_found otherwise', async () => {
        const found = await get(`/calls/${callIds.meta}`);
        const missing = await get('/calls/no-such-call');

        expect(found.status).toBe(200);
        expect(found.body).toMatchObject({ callId: callIds.meta, leadId, status: 'missed' });
        expect(missing.status).toBe(404);
        expect(missing.body).toEqual({
          success: false,
          code: 'call_not_found',
          message: expect.any(String),
        });
      });

      it('GET /calls answers 400 for bad filters, naming the field only', async () => {
        const cases: Array<[Record<string, string>, string]> = [
          [{ status: 'ringing' }, 'status'],
          [{ direction: 'sideways' }, 'direction'],
          [{ leadId: 'abc' }, 'leadId'],
          [{ from: '20-11-2026' }, 'from'],
          [{ to: '2026-11-31' }, 'to'],
          [{ phone: 'call-me-maybe' }, 'phone'],
          [{ limit: '0' }, 'limit'],
        ];
        for (const [query, field] of cases) {
          const reply = await get<ErrorBody>('/calls', query);
          const value = Object.values(query)[0];
          expect([field, reply.status, reply.body.code]).toEqual([field, 400, 'bad_request']);
          expect(reply.body.message).toContain(field);
          expectNoEcho(reply.body.message, value);
        }
      });
    });

    describe('GET /leads bad parameters', () => {
      const cases: Array<[string, Record<string, string>, string]> = [
        ['limit 0', { limit: '0' }, 'limit'],
        ['limit 10000', { limit: '10000' }, 'limit'],
        ['limit 1.5', { limit: '1.5' }, 'limit'],
        ['a bad date', { createdFrom: '2026-02-30' }, 'createdFrom'],
        ['a word for a date', { createdTo: 'yesterday' }, 'createdTo'],
        ['a bad phone', { phone: '12345' }, 'phone'],
        ['a bad sourceId', { sourceId: '-3' }, 'sourceId'],
        ['an over-long q', { q: 'x'.repeat(101) }, 'q'],
      ];

      it.each(cases)('%s is a 400 naming the field, not the value', async (_, query, field) => {
        const reply = await get<ErrorBody>('/leads', query);

        expect(reply.status).toBe(400);
        expect(reply.body).toEqual({
          success: false,
          code: 'bad_request',
          message: expect.any(String),
        });
        expect(reply.body.message).toContain(field);
        expectNoEcho(reply.body.message, Object.values(query)[0]);
      });

      it('names every bad field at once', async () => {
        const reply = await get<ErrorBody>('/leads', { limit: '0', createdFrom: 'soon' });

        expect(reply.body.message).toContain('limit');
        expect(reply.body.message).toContain('createdFrom');
      });
    });

    describe('sources', () => {
      let s: number;

      beforeAll(async () => {
        const created = await request<SourceDto>('POST', '/sources', {
          body: { displayName: 'Counts', sourceType: 'crm', totalLeads: 99 },
        });
        s = created.body.id;
        const other = await makeSource('Counts other');
        // Today in Kolkata starts at 2026-11-19T18:30Z.
        await makeLead({
          name: 'Today',
          phone: '9855500001',
          sourceId: s,
          createdAt: '2026-11-20T11:00:00Z',
          receivedAt: '2026-11-19T19:00:00Z',
        });
        await makeLead({
          name: 'Yesterday late',
          phone: '9855500002',
          sourceId: s,
          createdAt: '2026-11-20T11:00:00Z',
          receivedAt: '2026-11-19T18:00:00Z',
        });
        await makeLead({
          name: 'Older',
          phone: '9855500003',
          sourceId: s,
          createdAt: '2026-11-18T10:00:00Z',
        });
        const elsewhere = await makeLead({
          name: 'Elsewhere',
          phone: '9855500004',
          sourceId: other,
          createdAt: '2026-11-17T10:00:00Z',
        });
        await db.database.sql(
          'insert into lead_sources_history (lead_id, source_id, received_at) values ($1, $2, $3)',
          [elsewhere, s, '2026-11-20T10:00:00Z'],
        );
      });

      it('POST /sources creates a source and answers 201 with it', async () => {
        const reply = await request('POST', '/sources', {
          body: { displayName: '  Google Ads  ', sourceType: 'ads' },
        });

        expect(reply.status).toBe(201);
        expect(reply.body).toEqual({
          id: expect.any(Number),
          displayName: 'Google Ads',
          sourceType: 'ads',
          createdAt: expect.any(String),
          totalLeads: 0,
          todaysLeads: 0,
          lastLeadAt: null,
        });
      });

      it('POST /sources answers 409 source_exists for the same name and type only', async () => {
        const again = await request('POST', '/sources', {
          body: { displayName: 'Counts', sourceType: 'crm' },
        });
        const otherType = await request('POST', '/sources', {
          body: { displayName: 'Counts', sourceType: 'ads' },
        });

        expect(again.status).toBe(409);
        expect(again.body).toEqual({
          success: false,
          code: 'source_exists',
          message: expect.any(String),
        });
        expect(otherType.status).toBe(201);
      });

      it('POST /sources answers 400 naming a missing or blank field', async () => {
        const missing = await request<ErrorBody>('POST', '/sources', {
          body: { displayName: 'Lonely' },
        });
        const blank = await request<ErrorBody>('POST', '/sources', {
          body: { displayName: '   ', sourceType: 'crm' },
        });
        const none = await request<ErrorBody>('POST', '/sources', {});

        expect([missing.status, missing.body.code]).toEqual([400, 'bad_request']);
        expect(missing.body.message).toContain('sourceType');
        expect(missing.body.message).not.toContain('displayName');
        expect(blank.body.message).toContain('displayName');
        expect(none.body.message).toContain('displayName');
        expect(none.body.message).toContain('sourceType');
      });

      it('GET /sources gives every source with the derived counts', async () => {
        const reply = await get<SourceDto[]>('/sources');

        expect(reply.status).toBe(200);
        expect(reply.body.find((source) => source.id === s)).toEqual({
          id: s,
          displayName: 'Counts',
          sourceType: 'crm',
          createdAt: expect.any(String),
          totalLeads: 4,
          todaysLeads: 2,
          lastLeadAt: '2026-11-20T10:00:00.000Z',
        });
        // Every source, against counts made here from the rows: a lead credits its source when
        // it was received (else created), a history row when it was received; "today" is
        // 2026-11-20 in Kolkata, from 2026-11-19T18:30Z to 2026-11-20T18:30Z.
        const leads = await db.database.sql<{
          source_id: number | null;
          received_at: Date | null;
          created_at: Date | null;
        }>('select source_id::int as source_id, received_at, created_at from leads_master');
        const history = await db.database.sql<{
          source_id: number | null;
          received_at: Date | null;
        }>('select source_id::int as source_id, received_at from lead_sources_history');
        const sources = await db.database.sql<{ id: number; display_name: string }>(
          'select id::int as id, display_name from sources order by id',
        );
        const credits = [
          ...leads.map((lead) => ({
            source: lead.source_id,
            at: lead.received_at ?? lead.created_at,
          })),
          ...history.map((row) => ({ source: row.source_id, at: row.received_at })),
        ];
        const [dayStart, dayEnd] = [
          Date.parse('2026-11-19T18:30:00Z'),
          Date.parse('2026-11-20T18:30:00Z'),
        ];
        const expected = sources.map((source) => {
          const times = credits
            .filter((credit) => credit.source === source.id)
            .map((credit) => (credit.at ? credit.at.getTime() : null));
          const known = times.filter((t): t is number => t !== null);
          return [
            source.id,
            source.display_name,
            times.length,
            known.filter((t) => t >= dayStart && t < dayEnd).length,
            known.length ? Math.max(...known) : null,
          ];
        });
        expect(
          reply.body.map((x) => [
            x.id,
            x.displayName,
            x.totalLeads,
            x.todaysLeads,
            x.lastLeadAt && Date.parse(x.lastLeadAt),
          ]),
        ).toEqual(expected);
        expect(expected.filter(([, , total]) => total !== 0).length).toBeGreaterThan(3);
      });

      it('GET /sources/:id?days=N adds leads per day in the business time zone', async () => {
        const plain = await get(`/sources/${s}`);
        const withDays = await get<SourceDetailDto>(`/sources/${s}`, { days: '4' });

        expect(plain.body).toMatchObject({ id: s, totalLeads: 4, todaysLeads: 2 });
        expect(plain.body).not.toHaveProperty('leadsPerDay');
        expect(withDays.body.leadsPerDay).toEqual([
          { date: '2026-11-17', leads: 0 },
          { date: '2026-11-18', leads: 1 },
          { date: '2026-11-19', leads: 1 },
          { date: '2026-11-20', leads: 2 },
        ]);
      });

      it('GET /sources/:id answers 400 for days outside 1..90 and 404 source_not_found', async () => {
        const tooMany = await get<ErrorBody>(`/sources/${s}`, { days: '91' });
        const none = await get(`/sources/${s}`, { days: '0' });
        const missing = await get('/sources/987654321');

        expect([tooMany.status, tooMany.body.code]).toEqual([400, 'bad_request']);
        expect(tooMany.body.message).toContain('days');
        expect(tooMany.body.message).not.toContain('91');
        expect(none.status).toBe(400);
        expect(missing.status).toBe(404);
        expect(missing.body).toEqual({
          success: false,
          code: 'source_not_found',
          message: expect.any(String),
        });
      });
    });
  },
  { freshFor: 'suite' },
);
