/**
 * CRM fidelity through the real app on every driver: a caller's alternate number matches its
 * lead (rules B/C, linking, GET /leads?phone=), the lead's owner comes from the call and is never
 * replaced, and the missed-call queue (GET /calls/missed, the unreturned gauge) follows the calls
 * sent by webhook and by poll in any order, checked against a computation from those calls.
 */
import { randomUUID } from 'node:crypto';
import { parseIngestConfig } from '../src/config/ingest.config';
import { AssignmentReason, IngestOutcome, MissedCallView } from '../src/database/lead-sync.types';
import { normalizeCall } from '../src/knowlarity/normalize-call';
import { FixedClock, RunningApp, startApp } from './support/app';
import { freshPhone, KNOWLARITY_SR, META_SR } from './support/calls';
import { readJson } from './support/http';
import { expectedMissedQueue, SentCall } from './support/missed-queue';
import { describeOnEveryTarget } from './support/targets';

const API_KEY = 'fidelity-test-key-0123456789abcdef';
const NOW = new Date('2026-11-20T12:00:00Z');
const AGENT = '+919000000001';
const OTHER_AGENT = '+919000000002';
const UNMAPPED_AGENT = '+919700000201';
const OWNED_SR = '+919600000303';
const ENV = {
  INTERNAL_API_KEYS: API_KEY,
  KNOWLARITY_NUMBER_SOURCES: `${META_SR}=Meta`,
  KNOWLARITY_AGENT_USERS: `${AGENT}=17,${OTHER_AGENT}=23`,
  KNOWLARITY_NUMBER_OWNERS: `${OWNED_SR}=owner-9`,
};
const RULES = parseIngestConfig(ENV).rules;
const NORMALIZE = { defaultCountry: 'IN', timezone: 'Asia/Kolkata' };

/** A webhook's 200 answer. */
interface WebhookBody {
  success: true;
  outcome: IngestOutcome;
  leadId: number;
  callId: string;
  assignedTo: string | null;
  assignmentReason: AssignmentReason | null;
}

interface CallSpec {
  phone: string;
  at: Date;
  direction?: 'inbound' | 'outbound';
  missed?: boolean;
  agent?: string;
  sr?: string;
}

/** A call-log record as Knowlarity sends it (also accepted as a webhook body). */
function record(spec: CallSpec, callId: string): Record<string, unknown> {
  return {
    uuid: callId,
    customer_number: `+91${spec.phone}`,
    agent_number: spec.missed ? 'Customer Missed' : (spec.agent ?? UNMAPPED_AGENT),
    knowlarity_number: spec.sr ?? KNOWLARITY_SR,
    start_time: spec.at.toISOString(),
    call_duration: spec.missed ? 0 : 60,
    Call_Type: spec.direction === 'outbound' ? 1 : 0,
  };
}

let uniqueMs = 0;
/** `minutes` before NOW, never the same instant twice (ties would make orders ambiguous). */
function ago(minutes: number): Date {
  uniqueMs += 10;
  return new Date(NOW.getTime() - minutes * 60_000 + uniqueMs);
}

const formats: Array<[string, (n: string) => string]> = [
  ['+91 and spaces', (n) => `+91 ${n.slice(0, 5)} ${n.slice(5)}`],
  ['0-prefix and a dash', (n) => `0${n.slice(0, 5)}-${n.slice(5)}`],
  ['0091 and a space', (n) => `0091 ${n}`],
  ['(+91) and a dot', (n) => `(+91) ${n.slice(0, 5)}.${n.slice(5)}`],
];

describeOnEveryTarget(
  'CRM fidelity',
  (db, target) => {
    let running: RunningApp;
    /** Every call this suite sent, with the lead it landed on: the queue's independent input. */
    const sent: SentCall[] = [];

    const remember = (spec: CallSpec, callId: string, leadId: number | null) =>
      sent.push({
        callId,
        phone: spec.phone,
        direction: spec.direction ?? 'inbound',
        missed: spec.missed ?? false,
        at: spec.at,
        leadId,
      });

    /** One call as a webhook; the response body. */
    const webhook = async (spec: CallSpec): Promise<WebhookBody> => {
      const callId = randomUUID();
      const response = await fetch(`${running.url}/webhooks/knowlarity`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(record(spec, callId)),
      });
      const body = await readJson<WebhookBody>(response);
      expect([response.status, body.success]).toEqual([200, true]);
      remember(spec, callId, body.leadId);
      return body;
    };

    /** Calls as one call-log page, the way the poller ingests it; results by call id. */
    const poll = async (specs: CallSpec[]) => {
      const items = specs.map((spec) => {
        const raw = record(spec, randomUUID());
        return { spec, raw, call: normalizeCall(raw, NORMALIZE) };
      });
      const results = await db.repository.ingestCalls(
        items.map(({ call, raw }) => ({ call, raw })),
        'poll',
        RULES,
      );
      const byId = new Map(results.map((result) => [result.callId, result]));
      for (const { spec, call } of items)
        remember(spec, call.callId, byId.get(call.callId)!.leadId);
      return items.map(({ call }) => byId.get(call.callId)!);
    };

    const get = async (
      path: string,
      query: Record<string, string> = {},
    ): Promise<{ status: number; body: Record<string, unknown> }> => {
      const search = new URLSearchParams(query).toString();
      const response = await fetch(`${running.url}${path}${search ? `?${search}` : ''}`, {
        headers: { 'x-api-key': API_KEY },
      });
      return {
        status: response.status,
        body: await readJson<Record<string, unknown>>(response),
      };
    };

    /** Every entry of one queue, page by page. */
    const queue = async (returned: boolean, limit = 50): Promise<MissedCallView[]> => {
      const items: MissedCallView[] = [];
      let cursor: string | undefined;
      do {
        const reply = await get('/calls/missed', {
          returned: String(returned),
          limit: String(limit),
          ...(cursor ? { cursor } : {}),
        });
        expect(reply.status).toBe(200);
        const page = reply.body as { items: MissedCallView[]; nextCursor: string | null };
        items.push(...page.items);
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      return items;
    };

    const makeLead = async (lead: {
      phone: string;
      alternate?: string;
      sourceId: number;
      assignedTo?: string | null;
    }): Promise<number> => {
      const [row] = await db.database.sql<{ id: number }>(
        `insert into leads_master (full_name, phone_number_normalized, alternate_phone_number, source_id, assigned_to, created_at)
         values ('CRM lead', $1, $2, $3, $4, now() - interval '1 day') returning id::int as id`,
        [lead.phone, lead.alternate ?? null, lead.sourceId, lead.assignedTo ?? null],
      );
      return row.id;
    };
    const sourceId = async (name: string): Promise<number> => {
      const [row] = await db.database.sql<{ id: number }>(
        "select knowlarity_source_id($1, 'knowlarity_call')::int as id",
        [name],
      );
      return row.id;
    };
    const leadOwner = async (id: number) =>
      (
        await db.database.sql<{ assigned_to: string | null }>(
          'select assigned_to from leads_master where id = $1',
          [id],
        )
      )[0].assigned_to;

    beforeAll(async () => {
      running = await startApp({
        repository: db.repository,
        clock: new FixedClock(NOW),
        env: ENV,
      });
    });
    afterAll(async () => running?.close());

    describe('alternate numbers', () => {
      it.each(formats)(
        'a call from a number stored as "%s" lands on that lead: B or C, linking, look-up',
        async (_label, format) => {
          const primary = freshPhone();
          const alternate = freshPhone();
          const crm = await sourceId(`Walk-in ${alternate}`);
          const ofOtherSource = await makeLead({
            phone: primary,
            alternate: format(alternate),
            sourceId: crm,
          });

          const cross = await webhook({ phone: alternate, at: ago(300) });
          const again = await webhook({ phone: alternate, at: ago(299) });
          const [linked] = await poll([{ phone: alternate, at: ago(298), direction: 'outbound' }]);
          const found = await get('/leads', { phone: `+91 ${alternate}` });

          expect([cross.outcome, cross.leadId]).toEqual(['cross_source_duplicate', ofOtherSource]);
          expect([again.outcome, again.leadId]).toEqual(['same_source_duplicate', ofOtherSource]);
          expect([linked.outcome, linked.leadId]).toEqual(['call_linked', ofOtherSource]);
          const leads = found.body.items as Array<{ id: number }>;
          expect(leads.map((lead) => lead.id)).toEqual([ofOtherSource]);
          const [counts] = await db.database.sql<{
            leads: number;
            history: number;
            linked: number;
          }>(
            `select (select count(*) from leads_master where phone_number_normalized = $1)::int as leads,
                    (select count(*) from lead_sources_history where lead_id = $2)::int as history,
                    (select count(*) from knowlarity_calls where customer_phone = $1 and lead_id = $2)::int as linked`,
            [alternate, ofOtherSource],
          );
          expect(counts).toEqual({ leads: 0, history: 1, linked: 3 });
        },
      );

      it.each(formats)(
        'a lead of the same source reached by its number stored as "%s" is B',
        async (_label, format) => {
          const alternate = freshPhone();
          const lead = await makeLead({
            phone: freshPhone(),
            alternate: format(alternate),
            sourceId: await sourceId('Knowlarity'),
          });

          const result = await webhook({ phone: alternate, at: ago(290) });

          expect([result.outcome, result.leadId]).toEqual(['same_source_duplicate', lead]);
          const [history] = await db.database.sql<{ n: number }>(
            'select count(*)::int as n from lead_sources_history where lead_id = $1',
            [lead],
          );
          expect(history.n).toBe(0);
        },
      );

      it('a number that only resembles the alternate (another number, or two in one field) matches nothing', async () => {
        const alternate = freshPhone();
        await makeLead({
          phone: freshPhone(),
          alternate: `${alternate} / 9123456789`,
          sourceId: await sourceId('Knowlarity'),
        });

        const result = await webhook({ phone: alternate, at: ago(289) });

        expect(result.outcome).toBe('lead_created');
      });
    });

    describe('the owner from the call', () => {
      it('an answering mapped agent wins over the SR owner, the SR owner over nobody', async () => {
        const byAgent = await webhook({
          phone: freshPhone(),
          at: ago(280),
          agent: AGENT,
          sr: OWNED_SR,
        });
        const byOwner = await webhook({
          phone: freshPhone(),
          at: ago(279),
          missed: true,
          sr: OWNED_SR,
        });
        const byNobody = await webhook({ phone: freshPhone(), at: ago(278) });

        expect(
          [byAgent, byOwner, byNobody].map((b) => [b.outcome, b.assignedTo, b.assignmentReason]),
        ).toEqual([
          ['lead_created', '17', 'answering_agent'],
          ['lead_created', 'owner-9', 'number_owner'],
          ['lead_created', null, 'unassigned'],
        ]);
        expect(await leadOwner(byAgent.leadId)).toBe('17');
        expect(await leadOwner(byOwner.leadId)).toBe('owner-9');
        expect(await leadOwner(byNobody.leadId)).toBeNull();
        const rows = await db.database.sql(
          `select assigned_to, assignment_reason from knowlarity_calls where call_id = any($1)
           order by array_position($1, call_id)`,
          [[byAgent.callId, byOwner.callId, byNobody.callId]],
        );
        expect(rows).toEqual([
          { assigned_to: '17', assignment_reason: 'answering_agent' },
          { assigned_to: 'owner-9', assignment_reason: 'number_owner' },
          { assigned_to: null, assignment_reason: 'unassigned' },
        ]);
        const call = await get(`/calls/${byOwner.callId}`);
        expect(call.body).toMatchObject({
          assignedTo: 'owner-9',
          assignmentReason: 'number_owner',
        });
      });

      it('an existing owner is never replaced, by its number, its alternate number or a replay', async () => {
        const phone = freshPhone();
        const alternate = freshPhone();
        const owned = await makeLead({
          phone,
          alternate: `+91 ${alternate}`,
          sourceId: await sourceId('Knowlarity'),
          assignedTo: '5',
        });

        const results = [
          await webhook({ phone, at: ago(270), agent: AGENT }),
          await webhook({ phone: alternate, at: ago(269), agent: OTHER_AGENT, sr: OWNED_SR }),
          ...(await poll([{ phone, at: ago(268), agent: AGENT, sr: META_SR }])),
        ];

        expect(results.map((r) => [r.leadId, r.assignedTo, r.assignmentReason])).toEqual([
          [owned, '5', 'already_assigned'],
          [owned, '5', 'already_assigned'],
          [owned, '5', 'already_assigned'],
        ]);
        expect(await leadOwner(owned)).toBe('5');
      });

      it('a lead without an owner gets one from a later answered call, then keeps it', async () => {
        const phone = freshPhone();
        const blank = await makeLead({
          phone,
          sourceId: await sourceId('Knowlarity'),
          assignedTo: ' ',
        });

        const first = await webhook({ phone, at: ago(260), agent: OTHER_AGENT });
        const second = await webhook({ phone, at: ago(259), agent: AGENT });
        const outbound = await webhook({
          phone,
          at: ago(258),
          agent: AGENT,
          direction: 'outbound',
        });

        expect([first.leadId, first.assignedTo, first.assignmentReason]).toEqual([
          blank,
          '23',
          'answering_agent',
        ]);
        expect([second.assignedTo, second.assignmentReason]).toEqual(['23', 'already_assigned']);
        expect([outbound.outcome, outbound.assignedTo, outbound.assignmentReason]).toEqual([
          'call_linked',
          null,
          null,
        ]);
        expect(await leadOwner(blank)).toBe('23');
      });

      if (!target.server) return;

      it("50 concurrent calls from one new phone answered by a mapped agent: one lead, that agent's user", async () => {
        const phone = freshPhone();
        const at = ago(250);

        const bodies = await Promise.all(
          Array.from({ length: 50 }, () => webhook({ phone, at, agent: AGENT })),
        );

        expect(bodies.filter((b) => b.outcome === 'lead_created')).toHaveLength(1);
        expect(new Set(bodies.map((b) => b.leadId)).size).toBe(1);
        expect(new Set(bodies.map((b) => b.assignedTo))).toEqual(new Set(['17']));
        const reasons = bodies.map((b) => b.assignmentReason).sort();
        expect(reasons.filter((r) => r === 'answering_agent')).toHaveLength(1);
        expect(reasons.filter((r) => r === 'already_assigned')).toHaveLength(49);
        const leads = await db.database.sql(
          'select assigned_to from leads_master where phone_number_normalized = $1',
          [phone],
        );
        expect(leads).toEqual([{ assigned_to: '17' }]);
      });

      it("concurrent calls from leads' numbers and their alternates credit a new source once each", async () => {
        const leads = await Promise.all(
          Array.from({ length: 10 }, async () => {
            const phone = freshPhone();
            const alternate = freshPhone();
            const id = await makeLead({
              phone,
              alternate: `0${alternate}`,
              sourceId: await sourceId(`Branch ${phone}`),
            });
            return { id, phone, alternate };
          }),
        );
        const at = ago(240);

        const bodies = await Promise.all(
          leads.flatMap(({ phone, alternate }) =>
            Array.from({ length: 6 }, (_, i) =>
              webhook({ phone: i % 2 ? alternate : phone, at, sr: META_SR, agent: AGENT }),
            ),
          ),
        );

        for (const lead of leads) {
          const own = bodies.filter((b) => b.leadId === lead.id);
          expect(own.map((b) => b.outcome).sort()).toEqual([
            'cross_source_duplicate',
            ...Array<string>(5).fill('same_source_duplicate'),
          ]);
          expect(await leadOwner(lead.id)).toBe('17');
        }
        const history = await db.database.sql<{ n: number }>(
          'select count(*)::int as n from lead_sources_history where lead_id = any($1) group by lead_id',
          [leads.map((lead) => lead.id)],
        );
        expect(history).toEqual(Array(10).fill({ n: 1 }));
      });
    });

    describe('missed calls nobody returned', () => {
      const waitingPhones = async () => (await queue(false)).map((e: { phone: string }) => e.phone);

      it('lists a waiting customer with the lead, the attempts and the wait', async () => {
        const phone = freshPhone();
        const firstAt = ago(120);
        const first = await webhook({ phone, at: firstAt, missed: true });
        const lastAt = ago(60);
        const last = await webhook({ phone, at: lastAt, missed: true });

        const entry = (await queue(false)).find((e: { phone: string }) => e.phone === phone);

        expect(entry).toEqual({
          phone,
          phoneE164: `+91${phone}`,
          leadId: first.leadId,
          lead: {
            id: first.leadId,
            fullName: `Knowlarity Lead ${phone}`,
            status: 'New',
            assignedTo: null,
          },
          attempts: 2,
          firstMissedCallId: first.callId,
          firstMissedAt: firstAt.toISOString(),
          lastMissedCallId: last.callId,
          lastMissedAt: lastAt.toISOString(),
          waitingSeconds: Math.floor((NOW.getTime() - firstAt.getTime()) / 1000),
          returnedCallId: null,
          returnedAt: null,
          returnedDirection: null,
          returnedAfterSeconds: null,
        });
      });

      const orders: Array<[string, 'webhook' | 'poll', 'webhook' | 'poll', boolean]> = [
        ['missed by webhook, then the call back by poll', 'webhook', 'poll', false],
        ['missed by poll, then the call back by webhook', 'poll', 'webhook', false],
        [
          'the call back by poll first, then the earlier missed call by webhook',
          'webhook',
          'poll',
          true,
        ],
        [
          'the call back by webhook first, then the earlier missed call by poll',
          'poll',
          'webhook',
          true,
        ],
      ];

      it.each(orders)(
        'leaves the queue when an answered outbound call arrives: %s',
        async (_label, missedVia, backVia, backFirst) => {
          const phone = freshPhone();
          const missed: CallSpec = { phone, at: ago(100), missed: true };
          const back: CallSpec = { phone, at: ago(90), direction: 'outbound', agent: AGENT };
          const send = (spec: CallSpec, via: 'webhook' | 'poll') =>
            via === 'webhook' ? webhook(spec) : poll([spec]);

          if (backFirst) {
            await send(back, backVia);
            expect(await waitingPhones()).not.toContain(phone);
            await send(missed, missedVia);
          } else {
            await send(missed, missedVia);
            expect(await waitingPhones()).toContain(phone);
            await send(back, backVia);
          }

          expect(await waitingPhones()).not.toContain(phone);
          const returned = (await queue(true)).find((e: { phone: string }) => e.phone === phone);
          expect(returned).toMatchObject({
            attempts: 1,
            firstMissedAt: missed.at.toISOString(),
            returnedAt: back.at.toISOString(),
            returnedDirection: 'outbound',
            returnedAfterSeconds: Math.floor((back.at.getTime() - missed.at.getTime()) / 1000),
            waitingSeconds: null,
          });
        },
      );

      it('an unanswered call back does not take a customer off the queue', async () => {
        const phone = freshPhone();
        await webhook({ phone, at: ago(80), missed: true });
        await poll([{ phone, at: ago(70), direction: 'outbound', missed: true }]);

        expect(await waitingPhones()).toContain(phone);
      });

      it('answers 400 for a bad flag or a cursor of the other queue, 401 without a key', async () => {
        const waiting = await get('/calls/missed', { limit: '1' });
        const bad = await get('/calls/missed', { returned: 'yes' });
        const crossed = await get('/calls/missed', {
          returned: 'true',
          cursor: String(waiting.body.nextCursor),
        });
        const noKey = await fetch(`${running.url}/calls/missed`);

        expect(waiting.body.nextCursor).toEqual(expect.any(String));
        expect([bad.status, bad.body.code, bad.body.message]).toEqual([
          400,
          'bad_request',
          expect.stringContaining('returned must be true or false'),
        ]);
        expect([crossed.status, crossed.body.code]).toEqual([400, 'invalid_cursor']);
        expect(noKey.status).toBe(401);
      });

      it('the queue and the gauge match a computation from the calls sent, in any order and any path', async () => {
        // A fixed pseudo-random mix (same every run): missed and answered calls, both
        // directions, for a dozen customers, sent shuffled, half by webhook and half by poll.
        let seed = 15;
        const random = () => {
          seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
          return seed / 2_147_483_648;
        };
        const specs: CallSpec[] = [];
        for (let p = 0; p < 12; p += 1) {
          const phone = freshPhone();
          const n = 1 + Math.floor(random() * 6);
          for (let i = 0; i < n; i += 1) {
            const kind = random();
            specs.push({
              phone,
              at: ago(30 + Math.floor(random() * 600)),
              direction: kind < 0.65 ? 'inbound' : 'outbound',
              missed: kind < 0.45 || kind > 0.85,
              agent: AGENT,
            });
          }
        }
        const shuffled = specs
          .map((spec) => ({ spec, key: random() }))
          .sort((a, b) => a.key - b.key)
          .map(({ spec }) => spec);
        for (let i = 0; i < shuffled.length; i += 4) {
          const chunk = shuffled.slice(i, i + 4);
          await webhook(chunk[0]);
          if (chunk[1]) await webhook(chunk[1]);
          if (chunk.length > 2) await poll(chunk.slice(2));
        }

        const expected = expectedMissedQueue(sent, NOW);
        const waiting = await queue(false, 4);
        const returned = await queue(true, 4);
        const metrics = await fetch(`${running.url}/metrics`, {
          headers: { 'x-api-key': API_KEY },
        });
        const gauge = /^knowlarity_missed_calls_unreturned (\d+)$/m.exec(await metrics.text());

        const comparable = (entry: MissedCallView) => ({
          phone: entry.phone,
          leadId: entry.leadId,
          attempts: entry.attempts,
          firstMissedAt: entry.firstMissedAt,
          lastMissedAt: entry.lastMissedAt,
          waitingSeconds: entry.waitingSeconds,
          returnedCallId: entry.returnedCallId,
          returnedAt: entry.returnedAt,
          returnedDirection: entry.returnedDirection,
          returnedAfterSeconds: entry.returnedAfterSeconds,
        });
        expect(expected.waiting.length).toBeGreaterThan(5);
        expect(expected.returned.length).toBeGreaterThan(5);
        expect(waiting.map(comparable)).toEqual(expected.waiting);
        expect(returned.map(comparable)).toEqual(expected.returned);
        expect(Number(gauge?.[1])).toBe(expected.waiting.length);
        // Rebuilt from scratch (as the migration does for calls stored before it), the same.
        await db.database.sql('select knowlarity_rebuild_all_missed_episodes()');
        expect((await queue(false)).map(comparable)).toEqual(expected.waiting);
        expect((await queue(true)).map(comparable)).toEqual(expected.returned);
      });
    });
  },
  { freshFor: 'suite' },
);
