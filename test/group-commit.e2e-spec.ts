/**
 * Group commit (issue 12): deliveries that arrive while an ingest is in flight are ingested
 * together, in one transaction, through knowlarity_ingest_batch. Observed on real databases:
 * the batch function through every driver, and the whole service over HTTP on the PostgreSQL
 * server under concurrency, a rejected item, cut connections and two instances.
 */
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import {
  BatchIngestItem,
  IngestResult,
  LeadSyncRepository,
} from '../src/database/lead-sync.repository';
import { PostgresRepository } from '../src/database/drivers/postgres.repository';
import { StorageError } from '../src/database/storage.errors';
import { formatIst } from '../src/knowlarity/times';
import { CallIngestService } from '../src/ingest/call-ingest.service';
import { RunningApp, startApp } from './support/app';
import { freshPhone, KNOWLARITY_SR, makeCall, META_SR, testRules } from './support/calls';
import { expectedCrmRows } from './support/crm-rules';
import {
  createServerDatabase,
  describeWithServer,
  serverUrl,
  TestDatabase,
} from './support/databases';
import { ErrorBody, readJson, WebhookBody } from './support/http';
import { describeOnEveryTarget } from './support/targets';

/** A CRM table may refuse rows the service has no reason to refuse: here, one phone's lead. */
const refuseLeadsFor = (database: TestDatabase, phone: string) =>
  database.sql(
    `alter table leads_master add constraint crm_refuses_${phone} check (phone_number_normalized <> '${phone}')`,
  );

const sourceOf = (sr: string) => (sr === META_SR ? 'Meta' : 'Knowlarity');

/** A call-log record (the Hook API's JSON shape) of one inbound call. */
function record(phone: string, srNumber = KNOWLARITY_SR, uuid = randomUUID()) {
  return {
    uuid,
    customer_number: `+91${phone}`,
    knowlarity_number: srNumber,
    agent_number: '+919700000201',
    start_time: formatIst(new Date(Date.now() - 60_000)),
    call_duration: 42,
    business_call_type: 'Phone',
    Call_Type: 0,
  };
}

type CallRecord = ReturnType<typeof record>;

describeOnEveryTarget(
  'knowlarity_ingest_batch',
  (db) => {
    it('answers each item in the order given, with its own delivery row, in one transaction', async () => {
      const phone = freshPhone();
      const other = freshPhone();
      // Items run in (phone, call id) order, whatever their order in the batch: `a-` first.
      const first = makeCall(phone, { callId: `a-${randomUUID()}` });
      const later = makeCall(phone, { callId: `b-${randomUUID()}`, srNumber: META_SR });
      const items: BatchIngestItem[] = [
        { call: later, arrivalPath: 'webhook', raw: { n: 1 } },
        { call: makeCall(other, { srNumber: META_SR }), arrivalPath: 'poll', raw: { n: 2 } },
        { call: first, arrivalPath: 'replay', raw: { n: 3 }, delivery: delivery('r3') },
        { call: first, arrivalPath: 'webhook', raw: { n: 4 }, delivery: delivery('r4') },
      ];

      const entries = await db.repository.ingestBatch(items, testRules);

      expect(entries.map((e) => ('error' in e ? e.error.code : [e.outcome, e.callId]))).toEqual([
        ['cross_source_duplicate', later.callId],
        ['lead_created', items[1].call.callId],
        ['lead_created', first.callId],
        ['duplicate_call', first.callId],
      ]);
      const stored = await db.database.sql<{
        request_id: string;
        call_id: string;
        outcome: string;
      }>(
        `select request_id, call_id, outcome from webhook_deliveries
         where request_id in ('r3', 'r4') order by request_id`,
      );
      // Equal sort keys keep the batch's order: the replay (third) came before the webhook.
      expect(stored).toEqual([
        { request_id: 'r3', call_id: first.callId, outcome: 'lead_created' },
        { request_id: 'r4', call_id: first.callId, outcome: 'duplicate_call' },
      ]);
      const calls = await db.database.sql<{ count: number; moments: number }>(
        `select count(*)::int as count, count(distinct first_seen_at)::int as moments
         from knowlarity_calls where call_id = any($1)`,
        [items.map((item) => item.call.callId)],
      );
      expect(calls).toEqual([{ count: 3, moments: 1 }]);
    });

    it('fails only the item the database rejects; its neighbours commit', async () => {
      const refused = freshPhone();
      await refuseLeadsFor(db.database, refused);
      const calls = [freshPhone(), freshPhone(), refused, freshPhone(), freshPhone()].map((p) =>
        makeCall(p),
      );

      const entries = await db.repository.ingestBatch(
        calls.map((call, index) => ({
          call,
          arrivalPath: 'webhook',
          raw: null,
          delivery: delivery(`reject-${index}-${call.callId}`),
        })),
        testRules,
      );

      expect(entries.map((e) => ('error' in e ? e.error.code : e.outcome))).toEqual([
        'lead_created',
        'lead_created',
        '23514',
        'lead_created',
        'lead_created',
      ]);
      const kept = await db.database.sql<{ call_id: string }>(
        'select call_id from knowlarity_calls where call_id = any($1) order by call_id',
        [calls.map((call) => call.callId)],
      );
      const deliveries = await db.database.sql<{ call_id: string }>(
        `select call_id from webhook_deliveries where request_id like 'reject-%' and call_id = any($1)
         order by call_id`,
        [calls.map((call) => call.callId)],
      );
      const committed = calls
        .filter((call) => call.customerPhone !== refused)
        .map((call) => call.callId)
        .sort();
      expect(kept.map((row) => row.call_id)).toEqual(committed);
      expect(deliveries.map((row) => row.call_id)).toEqual(committed);
    });

    it('gives each item the id of its own delivery row; a replay of a purged delivery fails alone', async () => {
      const [{ id: purged }] = await db.database.sql<{ id: number }>(
        `insert into webhook_deliveries (method, http_status) values ('POST', 200) returning id::int`,
      );
      await db.database.sql('delete from webhook_deliveries where id = $1', [purged]);
      const calls = [freshPhone(), freshPhone(), freshPhone(), freshPhone()].map((p) =>
        makeCall(p),
      );
      const items: BatchIngestItem[] = calls.map((call, index) => ({
        call,
        arrivalPath: index === 1 ? 'replay' : 'webhook',
        raw: null,
        delivery: {
          ...delivery(`own-${call.callId}`),
          ...(index === 1 ? { replayOf: purged } : {}),
        },
      }));

      const entries = await db.repository.ingestBatch(items, testRules);

      expect(entries.map((e) => ('error' in e ? e.error.code : e.outcome))).toEqual([
        'lead_created',
        '23503',
        'lead_created',
        'lead_created',
      ]);
      const stored = await db.database.sql<{ id: number; request_id: string; call_id: string }>(
        `select id::int, request_id, call_id from webhook_deliveries
         where call_id = any($1) and outcome = 'lead_created'`,
        [calls.map((call) => call.callId)],
      );
      const byId = new Map(stored.map((row) => [row.id, row]));
      expect(stored).toHaveLength(3);
      for (const index of [0, 2, 3]) {
        const { deliveryId } = entries[index] as IngestResult;
        const callId = calls[index].callId;
        expect(byId.get(deliveryId!)).toEqual({
          id: deliveryId,
          request_id: `own-${callId}`,
          call_id: callId,
        });
      }
    });
  },
  { freshFor: 'suite' },
);

function delivery(requestId: string) {
  return { requestId, method: 'POST', headers: { 'content-type': 'application/json' } };
}

const post = (url: string, body: unknown, signal?: AbortSignal) =>
  fetch(`${url}/webhooks/knowlarity`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal,
  });

describeWithServer('group commit through the service (server)', () => {
  let database: TestDatabase;
  let repository: LeadSyncRepository;
  let running: RunningApp | undefined;
  let admin: Client;

  beforeEach(async () => {
    ({ database, repository } = await createServerDatabase());
    admin = new Client({ connectionString: serverUrl });
    await admin.connect();
  });
  afterEach(async () => {
    await running?.close();
    running = undefined;
    await admin.end();
    await database.close();
  });

  const start = (env: Record<string, string> = {}) =>
    startApp({
      repository,
      env: { KNOWLARITY_NUMBER_SOURCES: `${META_SR}=Meta`, ...env },
    });

  /** Row counts of the ingest's tables, and per source the phones it brought. */
  async function crmRows() {
    const [counts] = await database.sql<Record<string, number>>(`select
      (select count(*)::int from knowlarity_calls) as calls,
      (select count(*)::int from leads_master) as leads,
      (select count(*)::int from lead_sources_history) as history`);
    const perSource = await database.sql<{ display_name: string; total: number }>(
      `select s.display_name, (c->>'totalLeads')::int as total
       from jsonb_array_elements(knowlarity_source_lead_counts('Asia/Kolkata')) c
       join sources s on s.id = (c->>'sourceId')::bigint`,
    );
    return {
      ...counts,
      perSource: Object.fromEntries(perSource.map((row) => [row.display_name, row.total])),
    };
  }

  it('one call id stored at the same moment for two phones: the later fails whole with 40001, then is a duplicate', async () => {
    // Different phones take different locks, so only the call row meets them. The ingest
    // writes that row after the lead (0016), so the loser has a lead to take back: it fails as
    // a serialization failure (retried once by the batcher) and keeps nothing.
    const [first, second] = [
      new Client({ connectionString: database.url }),
      new Client({ connectionString: database.url }),
    ];
    await Promise.all([first.connect(), second.connect()]);
    const ingest = 'select knowlarity_ingest_call($1::jsonb, $2, $3::jsonb) as result';
    const callId = randomUUID();
    const [phoneA, phoneB] = [freshPhone(), freshPhone()];
    const callFor = (phone: string) => JSON.stringify(makeCall(phone, { callId }));
    try {
      // The source exists first, so that the only lock both ingests want is the call row.
      await second.query(ingest, [
        JSON.stringify(makeCall(freshPhone())),
        'webhook',
        JSON.stringify(testRules),
      ]);
      await first.query('begin');
      await first.query(ingest, [callFor(phoneA), 'webhook', JSON.stringify(testRules)]);
      const late = second.query(ingest, [callFor(phoneB), 'poll', JSON.stringify(testRules)]);
      // Wait until the second ingest waits on the first one's uncommitted call row.
      for (let waited = 0; ; waited += 20) {
        const { rows } = await admin.query<{ n: number }>(
          `select count(*)::int as n from pg_stat_activity
           where datname = $1 and wait_event = 'transactionid' and query like 'select knowlarity_ingest_call%'`,
          [new URL(database.url!).pathname.slice(1)],
        );
        if (rows[0].n > 0 || waited > 10_000) break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await first.query('commit');

      await expect(late).rejects.toMatchObject({ code: '40001' });
      const again = await second.query<{ result: unknown }>(ingest, [
        callFor(phoneB),
        'poll',
        JSON.stringify(testRules),
      ]);
      const leads = await database.sql<{ phone: string; id: string }>(
        `select phone_number_normalized as phone, id::text from leads_master
         where phone_number_normalized in ($1, $2)`,
        [phoneA, phoneB],
      );
      expect(leads.map((lead) => lead.phone)).toEqual([phoneA]);
      expect(again.rows[0].result).toMatchObject({
        outcome: 'duplicate_call',
        leadId: Number(leads[0].id),
      });
    } finally {
      await Promise.all([first.end(), second.end()]);
    }
  });

  it('200 concurrent deliveries give exactly the rows of the CRM rules, each reply its own', async () => {
    running = await start();
    const burstPhone = freshPhone();
    const copied = record(freshPhone());
    const crossPhones = Array.from({ length: 20 }, () => freshPhone());
    const records: CallRecord[] = [
      ...Array.from({ length: 50 }, () => record(burstPhone)),
      ...Array.from({ length: 10 }, () => copied),
      ...crossPhones.flatMap((phone) => [record(phone), record(phone, META_SR)]),
      ...Array.from({ length: 100 }, (_, i) =>
        record(freshPhone(), i % 5 === 0 ? META_SR : KNOWLARITY_SR),
      ),
    ];
    const unique = [...new Map(records.map((r) => [r.uuid, r])).values()];
    const expected = expectedCrmRows(unique, sourceOf);

    const responses = await Promise.all(records.map((r) => post(running!.url, r)));
    const bodies = await Promise.all(responses.map((r) => readJson<WebhookBody>(r)));

    expect(responses.map((r) => r.status)).toEqual(records.map(() => 200));
    expect(bodies.map((b) => b.callId)).toEqual(records.map((r) => r.uuid));
    const burst = bodies.slice(0, 50);
    expect(burst.filter((b) => b.outcome === 'lead_created')).toHaveLength(1);
    expect(burst.filter((b) => b.outcome === 'same_source_duplicate')).toHaveLength(49);
    const [burstLead] = await database.sql<{ id: number }>(
      'select id from leads_master where phone_number_normalized = $1',
      [burstPhone],
    );
    expect(new Set(burst.map((b) => b.leadId))).toEqual(new Set([burstLead.id]));
    const copies = bodies.slice(50, 60).map((b) => b.outcome);
    expect(copies.filter((o) => o === 'duplicate_call')).toHaveLength(9);
    expect(await crmRows()).toEqual({
      calls: unique.length,
      leads: expected.leads,
      history: expected.history,
      perSource: expected.perSource,
    });
    // A transaction's deliveries share its start time (now()): fewer moments than deliveries
    // means deliveries were committed together.
    const [grouping] = await database.sql<{ deliveries: number; transactions: number }>(
      `select count(*)::int as deliveries, count(distinct received_at)::int as transactions
       from webhook_deliveries where http_status = 200`,
    );
    expect(grouping.deliveries).toBe(records.length);
    expect(grouping.transactions).toBeLessThan(records.length);
  });

  it('a delivery the database rejects in the middle of a batch fails alone', async () => {
    running = await start({ INGEST_BATCHES_IN_FLIGHT: '1' });
    const ingest = running.app.get(CallIngestService);
    const refused = freshPhone();
    await refuseLeadsFor(database, refused);
    const calls = Array.from({ length: 12 }, (_, i) => makeCall(i === 6 ? refused : freshPhone()));

    // Submitted in one turn of the event loop: they leave together, as one batch.
    const settled = await Promise.allSettled(
      calls.map((call) => ingest.ingest(call, 'webhook', null, delivery(call.callId))),
    );

    const failure = settled[6];
    expect(failure.status).toBe('rejected');
    expect((failure as PromiseRejectedResult).reason).toBeInstanceOf(StorageError);
    expect((failure as PromiseRejectedResult).reason).toMatchObject({ sqlState: '23514' });
    expect(
      settled.filter((s, i) => i !== 6).map((s) => s.status === 'fulfilled' && s.value.outcome),
    ).toEqual(Array.from({ length: 11 }, () => 'lead_created'));
    const stored = await database.sql<{ call_id: string; moment: string }>(
      'select call_id, first_seen_at::text as moment from knowlarity_calls where call_id = any($1)',
      [calls.map((call) => call.callId)],
    );
    const momentOf = new Map(stored.map((row) => [row.call_id, row.moment]));
    expect(momentOf.has(calls[6].callId)).toBe(false);
    expect(momentOf.size).toBe(11);
    // Its neighbours on both sides were committed in the same transaction.
    expect(new Set(momentOf.values()).size).toBe(1);

    // Over HTTP the refused delivery is answered and kept as a refusal; the rest are accepted.
    const records = Array.from({ length: 20 }, (_, i) => record(i === 10 ? refused : freshPhone()));
    const responses = await Promise.all(records.map((r) => post(running!.url, r)));
    const statuses = responses.map((r) => r.status);
    expect(statuses).toEqual(records.map((_, i) => (i === 10 ? 500 : 200)));
    expect((await readJson<ErrorBody>(responses[10])).code).toBe('storage_error');
    const [kept] = await database.sql<{ http_status: number; error_code: string }>(
      `select http_status, error_code from webhook_deliveries
       where convert_from(raw_body, 'UTF8')::jsonb->>'uuid' = $1`,
      [records[10].uuid],
    );
    expect(kept).toEqual({ http_status: 500, error_code: 'storage_error' });
  });

  it('connections cut while batches are in flight: every delivery is committed and 200, or 503 and absent', async () => {
    running = await start({ WEBHOOK_RATE_LIMIT_PER_MINUTE: '100000' });
    const name = new URL(database.url!).pathname.slice(1);
    const records: ReturnType<typeof record>[] = [];
    let cutting = true;
    let cuts = 0;
    // A cut every 100–200 ms: several batches are cut, and the service answers between cuts.
    const cutter = (async () => {
      while (cutting) {
        await new Promise((resolve) => setTimeout(resolve, 100 + Math.random() * 100));
        const { rows } = await admin.query<{ pid: number }>(
          `select pg_terminate_backend(pid) as pid from pg_stat_activity
           where datname = $1 and application_name = 'knowlarity-lead-sync' and state = 'active'`,
          [name],
        );
        cuts += rows.length;
      }
    })();
    const answers: (number | 'no answer')[] = [];
    let next = 0;
    // At least 600 deliveries, and on until 8 connections were cut and a cut batch was answered
    // 503 (a fast service sent 600 between 3 cuts in one CI run); at most 5,000.
    const sender = async () => {
      while ((next < 600 || cuts < 8 || !answers.includes(503)) && next < 5000) {
        const index = next++;
        records[index] = record(
          index % 3 === 0 ? freshPhone() : `99${String(index % 40).padStart(8, '0')}`,
        );
        answers[index] = await post(running!.url, records[index], AbortSignal.timeout(10_000))
          .then(async (response) => {
            await response.arrayBuffer();
            return response.status;
          })
          .catch(() => 'no answer' as const);
      }
    };
    await Promise.all(Array.from({ length: 64 }, sender));
    cutting = false;
    await cutter;

    const committed = new Set(
      (
        await database.sql<{ call_id: string }>(
          `select c.call_id from knowlarity_calls c
           join webhook_deliveries d on d.call_id = c.call_id and d.http_status = 200`,
        )
      ).map((row) => row.call_id),
    );
    const wrong = records
      .map((r, i) => ({ callId: r.uuid, answer: answers[i], stored: committed.has(r.uuid) }))
      .filter(({ answer, stored }) =>
        answer === 200 ? !stored : stored || (answer !== 503 && answer !== 'no answer'),
      );
    expect(cuts).toBeGreaterThanOrEqual(5);
    expect(wrong).toEqual([]);
    expect(answers.filter((a) => a === 200).length).toBeGreaterThan(records.length / 4);
    expect(answers.filter((a) => a === 503).length).toBeGreaterThan(0);
  }, 60_000);

  it('two instances on one database under load: no deadlock surfaces as an error', async () => {
    running = await start();
    const second = await startApp({
      repository: PostgresRepository.connect(database.url!, 10),
      env: { KNOWLARITY_NUMBER_SOURCES: `${META_SR}=Meta` },
    });
    try {
      // Few phones, both sources, both instances: every batch overlaps others in phones.
      const phones = Array.from({ length: 24 }, () => freshPhone());
      const records = Array.from({ length: 800 }, (_, i) =>
        record(phones[(i * 7) % phones.length], i % 3 === 0 ? META_SR : KNOWLARITY_SR),
      );
      const expected = expectedCrmRows(records, sourceOf);
      const statuses: number[] = [];
      let next = 0;
      const sender = async (worker: number) => {
        const url = worker % 2 === 0 ? running!.url : second.url;
        while (next < records.length) {
          const response = await post(url, records[next++]);
          await response.arrayBuffer();
          statuses.push(response.status);
        }
      };
      await Promise.all(Array.from({ length: 96 }, (_, worker) => sender(worker)));

      expect(statuses.filter((status) => status !== 200)).toEqual([]);
      expect(statuses).toHaveLength(records.length);
      expect(await crmRows()).toEqual({
        calls: records.length,
        leads: expected.leads,
        history: expected.history,
        perSource: expected.perSource,
      });
    } finally {
      await second.close();
    }
  }, 60_000);
});
