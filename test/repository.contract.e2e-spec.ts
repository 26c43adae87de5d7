/**
 * The repository contract: the CRM rules of the ingest function, observed through every driver
 * on a real database (PGlite always; the PostgreSQL server and the supabase-js driver over the
 * PostgREST stand-in on both).
 */
import { freshPhone, makeCall, META_SR, testRules } from './support/calls';
import { sourceLeadCounts, TestDatabase } from './support/databases';
import { LATEST_SCHEMA_VERSION } from './support/migrations';
import { describeOnEveryTarget } from './support/targets';

/** Row counts of every table the ingest writes. */
async function tableCounts(database: TestDatabase) {
  const [row] = await database.sql<Record<string, string>>(`select
      (select count(*) from leads_master) as leads,
      (select count(*) from lead_sources_history) as history,
      (select count(*) from knowlarity_calls) as calls,
      (select count(*) from sources) as sources`);
  return Object.fromEntries(Object.entries(row).map(([key, value]) => [key, Number(value)]));
}

describeOnEveryTarget(
  'repository contract',
  (db, target) => {
    it('A: a new phone creates one lead for the default source', async () => {
      const phone = freshPhone();
      const call = makeCall(phone);

      const result = await db.repository.ingestCall(call, 'webhook', testRules, { raw: true });

      expect(result).toMatchObject({ outcome: 'lead_created', callId: call.callId });
      const leads = await db.database.sql(
        `select l.full_name, l.status, l.external_lead_id, l.raw_payload, s.display_name, s.source_type
         from leads_master l join sources s on s.id = l.source_id where l.phone_number_normalized = $1`,
        [phone],
      );
      expect(leads).toEqual([
        {
          full_name: `Knowlarity Lead ${phone}`,
          status: 'New',
          external_lead_id: call.callId,
          raw_payload: { raw: true },
          display_name: 'Knowlarity',
          source_type: 'knowlarity_call',
        },
      ]);
      const [row] = await db.database.sql(
        'select lead_id, outcome, first_arrival_path, arrival_paths from knowlarity_calls where call_id = $1',
        [call.callId],
      );
      expect(row).toEqual({
        lead_id: result.leadId,
        outcome: 'lead_created',
        first_arrival_path: 'webhook',
        arrival_paths: ['webhook'],
      });
    });

    it('uses the caller name when the payload carries one', async () => {
      const phone = freshPhone();
      const result = await db.repository.ingestCall(
        makeCall(phone, { callerName: 'Asha Rao' }),
        'poll',
        testRules,
        null,
      );
      const [lead] = await db.database.sql('select full_name from leads_master where id = $1', [
        result.leadId,
      ]);
      expect(lead.full_name).toBe('Asha Rao');
    });

    it('B: another call from a phone already a lead of this source creates nothing', async () => {
      const phone = freshPhone();
      const first = await db.repository.ingestCall(makeCall(phone), 'webhook', testRules, null);
      const before = await tableCounts(db.database);

      const second = await db.repository.ingestCall(
        makeCall(phone, { missed: true }),
        'webhook',
        testRules,
        null,
      );

      expect(second).toMatchObject({ outcome: 'same_source_duplicate', leadId: first.leadId });
      const after = await tableCounts(db.database);
      expect(after).toEqual({ ...before, calls: before.calls + 1 });
    });

    it('C: a phone that is a lead of another source gets a history row, once', async () => {
      const phone = freshPhone();
      const older = await db.repository.ingestCall(makeCall(phone), 'webhook', testRules, null);
      // A second lead for the phone (another branch), created later: the most recent one.
      const [newer] = await db.database.sql<{ id: number }>(
        `insert into leads_master (full_name, phone_number_normalized, source_id, created_at)
         values ('Branch lead', $1, $2, now() + interval '1 second') returning id`,
        [phone, older.sourceId],
      );
      const metaCall = makeCall(phone, { srNumber: META_SR });

      const cross = await db.repository.ingestCall(metaCall, 'webhook', testRules, { via: 'meta' });
      const again = await db.repository.ingestCall(
        makeCall(phone, { srNumber: META_SR }),
        'poll',
        testRules,
        null,
      );

      expect(cross).toMatchObject({ outcome: 'cross_source_duplicate', leadId: Number(newer.id) });
      expect(again).toMatchObject({ outcome: 'same_source_duplicate', leadId: Number(newer.id) });
      const history = await db.database.sql(
        `select h.lead_id, h.external_id, h.is_primary, h.raw_payload, s.display_name
         from lead_sources_history h join sources s on s.id = h.source_id
         join leads_master l on l.id = h.lead_id where l.phone_number_normalized = $1`,
        [phone],
      );
      expect(history).toEqual([
        {
          lead_id: Number(newer.id),
          external_id: metaCall.callId,
          is_primary: false,
          raw_payload: { via: 'meta' },
          display_name: 'Meta',
        },
      ]);
      const leads = await db.database.sql(
        'select id from leads_master where phone_number_normalized = $1',
        [phone],
      );
      expect(leads).toHaveLength(2);
    });

    it('a replayed call changes no table and no count, and records the new arrival path', async () => {
      const phone = freshPhone();
      const call = makeCall(phone);
      const first = await db.repository.ingestCall(call, 'webhook', testRules, null);
      const before = await tableCounts(db.database);
      const countsBefore = await sourceLeadCounts(db.database, 'Asia/Kolkata', new Date());

      const replay = await db.repository.ingestCall(call, 'replay', testRules, null);

      expect(replay).toEqual(
        expect.objectContaining({
          outcome: 'duplicate_call',
          leadId: first.leadId,
          callId: call.callId,
        }),
      );
      expect(await tableCounts(db.database)).toEqual(before);
      expect(await sourceLeadCounts(db.database, 'Asia/Kolkata', new Date())).toEqual(countsBefore);
      const [row] = await db.database.sql(
        'select arrival_paths, seen_count from knowlarity_calls where call_id = $1',
        [call.callId],
      );
      expect(row).toEqual({ arrival_paths: ['webhook', 'replay'], seen_count: 2 });
    });

    it('a webhook and a call-log record of the same call collapse into one row with the richer fields', async () => {
      const phone = freshPhone();
      const webhook = makeCall(phone, {
        recordingUrl: null,
        agentNumber: null,
        durationSeconds: 0,
      });
      const logRecord = {
        ...webhook,
        recordingUrl: 'https://sr.knowlarity.com/vr/fetchsound/?callid=x',
        agentNumber: '+919700000202',
        durationSeconds: 41,
      };

      await db.repository.ingestCall(webhook, 'webhook', testRules, null);
      const polled = await db.repository.ingestCall(logRecord, 'poll', testRules, null);
      await db.repository.ingestCall(logRecord, 'poll', testRules, null);

      expect(polled.outcome).toBe('duplicate_call');
      const rows = await db.database.sql(
        `select recording_url, agent_number, duration_seconds, first_arrival_path, arrival_paths, seen_count
         from knowlarity_calls where customer_phone = $1`,
        [phone],
      );
      expect(rows).toEqual([
        {
          recording_url: logRecord.recordingUrl,
          agent_number: '+919700000202',
          duration_seconds: 41,
          first_arrival_path: 'webhook',
          arrival_paths: ['webhook', 'poll'],
          seen_count: 3,
        },
      ]);
    });

    it('outbound calls link to an existing lead and never create one unless configured', async () => {
      const stranger = freshPhone();
      const unmatched = await db.repository.ingestCall(
        makeCall(stranger, { direction: 'outbound' }),
        'poll',
        testRules,
        null,
      );
      const known = freshPhone();
      const lead = await db.repository.ingestCall(makeCall(known), 'poll', testRules, null);
      const linked = await db.repository.ingestCall(
        makeCall(known, { direction: 'outbound' }),
        'poll',
        testRules,
        null,
      );
      const created = await db.repository.ingestCall(
        makeCall(freshPhone(), { direction: 'outbound' }),
        'poll',
        { ...testRules, outboundCreatesLeads: true },
        null,
      );

      expect(unmatched).toMatchObject({ outcome: 'call_unmatched', leadId: null });
      expect(linked).toMatchObject({ outcome: 'call_linked', leadId: lead.leadId });
      expect(created.outcome).toBe('lead_created');
      const leads = await db.database.sql(
        'select id from leads_master where phone_number_normalized = $1',
        [stranger],
      );
      expect(leads).toEqual([]);
    });

    it('ignores calls to numbers outside the allowlist and from ignored callers, but records them', async () => {
      const agentPhone = freshPhone();
      const rules = {
        ...testRules,
        allowedNumbers: ['+919600000301'],
        ignoredCallers: [`+91${agentPhone}`],
      };
      const otherNumber = makeCall(freshPhone(), { srNumber: '+919600000999' });
      const fromAgent = makeCall(agentPhone);

      const results = [
        await db.repository.ingestCall(otherNumber, 'webhook', rules, null),
        await db.repository.ingestCall(fromAgent, 'webhook', rules, null),
      ];

      expect(results.map((r) => [r.outcome, r.leadId])).toEqual([
        ['ignored', null],
        ['ignored', null],
      ]);
      const rows = await db.database.sql(
        'select outcome from knowlarity_calls where call_id = any($1) order by outcome',
        [[otherNumber.callId, fromAgent.callId]],
      );
      expect(rows).toEqual([{ outcome: 'ignored' }, { outcome: 'ignored' }]);
    });

    it('derives counts per source exactly, and copies them into the sources columns', async () => {
      const source = `Counted ${freshPhone()}`;
      const sr = '+919600000777';
      const rules = { ...testRules, numberSources: { ...testRules.numberSources, [sr]: source } };
      const phones = [freshPhone(), freshPhone(), freshPhone()];
      const today = new Date('2026-11-20T06:00:00Z');
      for (const phone of phones)
        await db.repository.ingestCall(
          makeCall(phone, { srNumber: sr, startedAt: today }),
          'webhook',
          rules,
          null,
        );
      await db.repository.ingestCall(
        makeCall(phones[0], { srNumber: sr, startedAt: today }),
        'webhook',
        rules,
        null,
      );
      // One phone already a lead elsewhere: a history row credits this source too.
      const elsewhere = freshPhone();
      await db.repository.ingestCall(makeCall(elsewhere), 'webhook', testRules, null);
      await db.repository.ingestCall(
        makeCall(elsewhere, { srNumber: sr, startedAt: today }),
        'webhook',
        rules,
        null,
      );

      const counts = await sourceLeadCounts(
        db.database,
        'Asia/Kolkata',
        new Date('2026-11-20T12:00:00Z'),
      );
      const refreshed = await db.repository.refreshSourceCounts(
        'Asia/Kolkata',
        new Date('2026-11-20T12:00:00Z'),
      );

      const [row] = await db.database.sql<{
        id: number;
        total_leads_count: number;
        todays_leads_count: number;
      }>('select id, total_leads_count, todays_leads_count from sources where display_name = $1', [
        source,
      ]);
      expect(counts.find((c) => c.sourceId === Number(row.id))).toMatchObject({
        totalLeads: 4,
        todaysLeads: 4,
      });
      expect(refreshed.updated).toBeGreaterThanOrEqual(1);
      expect(row).toMatchObject({ total_leads_count: 4, todays_leads_count: 4 });
    });

    it('counts "today" by the IST calendar day of the call, across midnight', async () => {
      const source = `Midnight ${freshPhone()}`;
      const sr = '+919600000888';
      const rules = { ...testRules, numberSources: { [sr]: source } };
      // 23:59 IST on the 20th is 18:29Z; 00:01 IST on the 21st is 18:31Z.
      await db.repository.ingestCall(
        makeCall(freshPhone(), { srNumber: sr, startedAt: new Date('2026-11-20T18:29:00Z') }),
        'poll',
        rules,
        null,
      );
      await db.repository.ingestCall(
        makeCall(freshPhone(), { srNumber: sr, startedAt: new Date('2026-11-20T18:31:00Z') }),
        'poll',
        rules,
        null,
      );
      await db.repository.ingestCall(
        makeCall(freshPhone(), { srNumber: sr, startedAt: new Date('2026-11-20T18:32:00Z') }),
        'poll',
        rules,
        null,
      );
      const [{ id }] = await db.database.sql<{ id: number }>(
        'select id from sources where display_name = $1',
        [source],
      );
      const todayAt = async (iso: string) =>
        (await sourceLeadCounts(db.database, 'Asia/Kolkata', new Date(iso))).find(
          (c) => c.sourceId === Number(id),
        );

      expect(await todayAt('2026-11-20T18:29:30Z')).toMatchObject({
        totalLeads: 3,
        todaysLeads: 1,
      });
      expect(await todayAt('2026-11-20T18:30:00Z')).toMatchObject({
        totalLeads: 3,
        todaysLeads: 2,
      });
      expect(await todayAt('2026-11-22T00:00:00Z')).toMatchObject({
        totalLeads: 3,
        todaysLeads: 0,
      });
      await db.repository.refreshSourceCounts('Asia/Kolkata', new Date('2026-11-20T18:30:00Z'));
      const [row] = await db.database.sql('select todays_leads_count from sources where id = $1', [
        id,
      ]);
      expect(row.todays_leads_count).toBe(2);
    });

    it('stores the webhook delivery in the same call, and rejected deliveries on their own', async () => {
      const call = makeCall(freshPhone());
      const delivery = {
        requestId: 'req-1',
        method: 'POST',
        path: '/webhooks/knowlarity',
        contentType: 'application/json',
        headers: { 'content-type': 'application/json' },
        rawBodyBase64: Buffer.from('{"a\\u0000":1}').toString('base64'),
        bodyBytes: 12,
        remoteAddress: '127.0.0.1',
      };

      const accepted = await db.repository.ingestCall(
        call,
        'webhook',
        testRules,
        { nul: 'a\u0000b' },
        delivery,
      );
      const rejected = await db.repository.recordDelivery({
        ...delivery,
        requestId: 'req-2',
        httpStatus: 422,
        errorCode: 'no_customer_phone',
      });

      const rows = await db.database.sql(
        'select id, request_id, http_status, error_code, outcome, call_id, raw_body from webhook_deliveries where id = any($1) order by id',
        [[accepted.deliveryId, rejected.deliveryId]],
      );
      expect(
        rows.map((r) => [r.request_id, r.http_status, r.error_code, r.outcome, r.call_id]),
      ).toEqual([
        ['req-1', 200, null, 'lead_created', call.callId],
        ['req-2', 422, 'no_customer_phone', null, null],
      ]);
      expect(Buffer.from(rows[0].raw_body as Uint8Array).toString()).toBe('{"a\\u0000":1}');
    });

    it('reports the schema version of the shipped migrations', async () => {
      expect(await db.repository.schemaVersion()).toBe(LATEST_SCHEMA_VERSION);
    });

    // Races only show with many connections: PGlite has one.
    if (!target.server) return;

    it('50 concurrent calls from one new phone create exactly one lead', async () => {
      const phone = freshPhone();
      const calls = Array.from({ length: 50 }, () => makeCall(phone));

      const results = await Promise.all(
        calls.map((call) => db.repository.ingestCall(call, 'webhook', testRules, null)),
      );

      const outcomes = results.map((r) => r.outcome).sort();
      expect(outcomes.filter((o) => o === 'lead_created')).toHaveLength(1);
      expect(outcomes.filter((o) => o === 'same_source_duplicate')).toHaveLength(49);
      expect(new Set(results.map((r) => r.leadId)).size).toBe(1);
      const leads = await db.database.sql(
        'select id from leads_master where phone_number_normalized = $1',
        [phone],
      );
      expect(leads).toHaveLength(1);
    });

    it('the same call delivered 20 times at once is one call row', async () => {
      const call = makeCall(freshPhone());

      const results = await Promise.all(
        Array.from({ length: 20 }, () =>
          db.repository.ingestCall(call, 'webhook', testRules, null),
        ),
      );

      expect(results.filter((r) => r.outcome === 'lead_created')).toHaveLength(1);
      expect(results.filter((r) => r.outcome === 'duplicate_call')).toHaveLength(19);
      const [row] = await db.database.sql(
        'select seen_count from knowlarity_calls where call_id = $1',
        [call.callId],
      );
      expect(row.seen_count).toBe(20);
    });
  },
  { freshFor: 'suite' },
);
