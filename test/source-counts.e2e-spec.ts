/**
 * Source counts kept incrementally (migration 0006), through every driver on a real database:
 * exact under concurrent ingests and folds, "today" moving with the clock across IST midnight
 * with no job, the CRM's sources row following within 2 s, drift from writes the triggers never
 * saw corrected and reported by the recount, and CRM writers without rights on the counts.
 * Expected figures are computed here from the lead and history rows themselves.
 */
import { Writable } from 'node:stream';
import { Client } from 'pg';
import type { RecountDto } from '../src/sources/dto/recount.dto';
import type { SourceDetailDto } from '../src/sources/dto/source.dto';
import { FixedClock, startApp } from './support/app';
import { freshPhone, KNOWLARITY_SR, makeCall, testRules } from './support/calls';
import { TestDatabase } from './support/databases';
import { readJson } from './support/http';
import { expectedFigures, listedFigures, recountToEnd, ZONE } from './support/source-figures';
import { describeOnEveryTarget } from './support/targets';

const API_KEY = 'source-counts-test-key-0123456789';

describeOnEveryTarget(
  'source counts',
  (db, target) => {
    const sourceId = async (name: string, on: TestDatabase = db.database): Promise<number> => {
      const [row] = await on.sql<{ id: number }>(
        'select id::int as id from sources where display_name = $1',
        [name],
      );
      return row.id;
    };

    /** The app on a database of its own (closing the app closes its repository). */
    const openApp = async (options: Omit<Parameters<typeof startApp>[0], 'repository'>) => {
      const own = await target.open();
      try {
        const running = await startApp({ ...options, repository: own.repository });
        return {
          running,
          repository: own.repository,
          database: own.database,
          close: async () => {
            await running.close();
            await own.close();
          },
        };
      } catch (error) {
        await own.close();
        throw error;
      }
    };

    it('50 concurrent ingests across 5 sources give exact totals and today’s figures', async () => {
      const tag = freshPhone();
      const numbers = [1, 2, 3, 4, 5].map((n) => `+91960000${String(n).padStart(4, '0')}`);
      const names = numbers.map((_, n) => `Concurrent ${tag} ${n}`);
      const rules = {
        ...testRules,
        numberSources: Object.fromEntries(numbers.map((number, n) => [number, names[n]])),
      };
      // 18:29Z is 23:59 IST on the 20th, 18:31Z 00:01 IST on the 21st: both days are in play.
      const times = ['2026-11-20T18:29:00Z', '2026-11-20T18:31:00Z', '2026-11-21T06:00:00Z'];
      const phones = Array.from({ length: 20 }, () => freshPhone());
      const calls = Array.from({ length: 50 }, (_, n) =>
        makeCall(phones[n % phones.length], {
          srNumber: numbers[n % numbers.length],
          startedAt: new Date(times[n % times.length]),
        }),
      );

      const folds: Promise<unknown>[] = [];
      const results = await Promise.all(
        calls.map(async (call, n) => {
          if (n % 10 === 0) folds.push(db.repository.refreshSourceCounts(ZONE, new Date()));
          return db.repository.ingestCall(call, 'webhook', rules, null);
        }),
      );
      await Promise.all(folds);

      const ids = await Promise.all(names.map((name) => sourceId(name)));
      const credited = results.filter((r) =>
        ['lead_created', 'cross_source_duplicate'].includes(r.outcome),
      );
      const now = new Date('2026-11-21T12:00:00Z');
      const expected = await expectedFigures(db.database, now);
      const pending = await listedFigures(db.repository, now);
      await db.repository.refreshSourceCounts(ZONE, now);
      const folded = await listedFigures(db.repository, now);
      for (const id of ids) {
        expect(expected.get(id)!.totalLeads).toBe(credited.filter((r) => r.sourceId === id).length);
        expect(pending.get(id)).toEqual(expected.get(id));
        expect(folded.get(id)).toEqual(expected.get(id));
      }
      expect(ids.reduce((sum, id) => sum + expected.get(id)!.todaysLeads, 0)).toBeGreaterThan(0);
      const crm = await db.database.sql<{ id: number; total: number; today: number }>(
        `select id::int as id, total_leads_count as total, todays_leads_count as today
         from sources where id = any($1) order by id`,
        [ids],
      );
      expect(crm).toEqual(
        [...ids]
          .sort((a, b) => a - b)
          .map((id) => ({
            id,
            total: expected.get(id)!.totalLeads,
            today: expected.get(id)!.todaysLeads,
          })),
      );
    });

    it('50 concurrent ingests in group-commit batches across 5 sources are each counted once, a batch retried after a rejected item included', async () => {
      const tag = freshPhone();
      const numbers = [1, 2, 3, 4, 5].map((n) => `+91960001${String(n).padStart(4, '0')}`);
      const names = numbers.map((_, n) => `Batched ${tag} ${n}`);
      const rules = {
        ...testRules,
        numberSources: Object.fromEntries(numbers.map((number, n) => [number, names[n]])),
      };
      const times = ['2026-11-20T18:29:00Z', '2026-11-20T18:31:00Z', '2026-11-21T06:00:00Z'];
      // 17 phones, 5 sources: a phone's later calls come from other sources (history rows).
      const phones = Array.from({ length: 17 }, () => freshPhone());
      const items = Array.from({ length: 50 }, (_, n) => ({
        call: makeCall(phones[n % phones.length], {
          srNumber: numbers[n % numbers.length],
          startedAt: new Date(times[n % times.length]),
        }),
        arrivalPath: 'webhook' as const,
        raw: null,
      }));
      // A rejected item (on the batch's last phone: after most of the others in lock order) makes
      // its batch run again item by item: what the first pass wrote is rolled back, uncounted.
      const last = items[4];
      const rejected = {
        ...last,
        call: { ...last.call, callId: `${last.call.callId}~` },
        arrivalPath: 'bogus' as 'webhook',
      };
      const batches = Array.from({ length: 10 }, (_, b) => items.slice(b * 5, b * 5 + 5));
      batches[0].push(rejected);

      const folds: Promise<unknown>[] = [];
      const results = (
        await Promise.all(
          batches.map(async (batch, n) => {
            if (n % 2 === 0) folds.push(db.repository.refreshSourceCounts(ZONE, new Date()));
            return db.repository.ingestBatch(batch, rules);
          }),
        )
      ).flat();
      await Promise.all(folds);

      const ids = await Promise.all(names.map((name) => sourceId(name)));
      const credited = results.filter(
        (r) => 'outcome' in r && ['lead_created', 'cross_source_duplicate'].includes(r.outcome),
      );
      const now = new Date('2026-11-21T12:00:00Z');
      const expected = await expectedFigures(db.database, now);
      const pending = await listedFigures(db.repository, now);
      await db.repository.refreshSourceCounts(ZONE, now);
      const folded = await listedFigures(db.repository, now);
      expect(results.filter((r) => 'error' in r)).toHaveLength(1);
      expect(credited.length).toBeGreaterThan(phones.length);
      for (const id of ids) {
        expect(expected.get(id)!.totalLeads).toBe(
          credited.filter((r) => 'sourceId' in r && r.sourceId === id).length,
        );
        expect(pending.get(id)).toEqual(expected.get(id));
        expect(folded.get(id)).toEqual(expected.get(id));
      }
    });

    it('a batch writes one delta per source and start time, and a CRM insert later in its transaction is still counted', async () => {
      const name = `Grouped ${freshPhone()}`;
      const sr = '+919600000616';
      const rules = { ...testRules, numberSources: { [sr]: name } };
      const startedAt = new Date('2026-11-21T04:00:00Z');
      const calls = [freshPhone(), freshPhone(), freshPhone(), freshPhone()].map((phone) =>
        makeCall(phone, { srNumber: sr, startedAt }),
      );
      // The last call is a second source's credit on the first call's lead: a history row.
      calls[3] = makeCall(calls[0].customerPhone, { srNumber: KNOWLARITY_SR, startedAt });
      const items = calls.map((call) => ({ call, arrivalPath: 'webhook', raw: null }));
      const literal = (value: unknown) => `'${JSON.stringify(value).replace(/'/g, "''")}'::jsonb`;
      await db.repository.refreshSourceCounts(ZONE, new Date());

      // The CRM's own screens and direct SQL write in transactions of their own; the same
      // transaction is the case where a leftover "the ingest counts these" would show.
      await db.database.sql(`begin;
        select knowlarity_ingest_batch(${literal(items)}, ${literal(rules)});
        insert into leads_master (full_name, phone_number_normalized, source_id, received_at)
        select 'Walk in', '${freshPhone()}', id, '2026-11-21T05:00:00Z' from sources where display_name = '${name}';
        insert into lead_sources_history (lead_id, source_id, received_at)
        select l.id, s.id, '2026-11-21T05:00:00Z' from leads_master l, sources s
        where l.phone_number_normalized = '${calls[1].customerPhone}' and s.display_name = '${name}';
        commit;`);
      const id = await sourceId(name);
      const deltas = await db.database.sql<{ at: Date; delta: number }>(
        `select credited_at as at, delta from knowlarity_source_count_deltas
         where source_id = $1 order by credited_at`,
        [id],
      );
      const now = new Date('2026-11-21T12:00:00Z');
      const expected = await expectedFigures(db.database, now);
      const pending = await listedFigures(db.repository, now);

      expect(deltas.map((d) => [new Date(d.at).toISOString(), Number(d.delta)])).toEqual([
        [startedAt.toISOString(), 3],
        ['2026-11-21T05:00:00.000Z', 1],
        ['2026-11-21T05:00:00.000Z', 1],
      ]);
      expect(expected.get(id)).toMatchObject({ totalLeads: 5, todaysLeads: 5 });
      expect(pending.get(id)).toEqual(expected.get(id));
    });

    it('a row a CRM trigger inserts in turn while a batch runs is counted', async () => {
      // The batch skips the count triggers only for its own inserts; a CRM trigger that writes
      // its own history row for each new lead is another writer, at trigger depth 1.
      const name = `Cascade ${freshPhone()}`;
      const echo = `Cascade echo ${freshPhone()}`;
      const sr = '+919600000617';
      const rules = { ...testRules, numberSources: { [sr]: name } };
      await db.database.sql(
        `insert into sources (display_name, source_type) values ($1, 'crm_echo')`,
        [echo],
      );
      const echoId = await sourceId(echo);
      await db.database.sql(`
        create function test_crm_echo_history() returns trigger language plpgsql as $$
        begin
          insert into lead_sources_history (lead_id, source_id, received_at)
          values (new.id, ${echoId}, new.received_at);
          return null;
        end $$;
        create trigger test_crm_echo_history after insert on leads_master for each row
        when (new.full_name like 'Cascade %') execute function test_crm_echo_history();`);
      try {
        const items = [freshPhone(), freshPhone()].map((phone) => ({
          call: makeCall(phone, { srNumber: sr, callerName: `Cascade ${phone}` }),
          arrivalPath: 'webhook',
          raw: null,
        }));
        const literal = (value: unknown) => `'${JSON.stringify(value).replace(/'/g, "''")}'::jsonb`;
        await db.database.sql(
          `select knowlarity_ingest_batch(${literal(items)}, ${literal(rules)})`,
        );
      } finally {
        await db.database.sql(`drop trigger test_crm_echo_history on leads_master;
          drop function test_crm_echo_history();`);
      }
      const now = new Date();
      const expected = await expectedFigures(db.database, now);
      const listed = await listedFigures(db.repository, now);

      expect(expected.get(echoId)).toMatchObject({ totalLeads: 2 });
      expect(listed.get(echoId)).toEqual(expected.get(echoId));
      expect(listed.get(await sourceId(name))).toEqual(expected.get(await sourceId(name)));
    });

    it('a call-log page writes one delta per source and start time; a dry run writes none', async () => {
      const name = `Page ${freshPhone()}`;
      const sr = '+919600000617';
      const rules = { ...testRules, numberSources: { [sr]: name } };
      const startedAt = new Date('2026-11-21T04:30:00Z');
      const page = () =>
        [freshPhone(), freshPhone(), freshPhone()].map((phone) => ({
          call: makeCall(phone, { srNumber: sr, startedAt }),
          raw: null,
        }));
      await db.repository.refreshSourceCounts(ZONE, new Date());

      const dry = await db.repository.ingestCalls(page(), 'poll', rules, true);
      const kept = await db.repository.ingestCalls(page(), 'poll', rules);
      const id = await sourceId(name);
      const deltas = await db.database.sql<{ delta: number }>(
        'select delta from knowlarity_source_count_deltas where source_id = $1',
        [id],
      );
      const now = new Date('2026-11-21T12:00:00Z');
      const expected = await expectedFigures(db.database, now);

      expect(dry.map((r) => r.outcome)).toEqual(['lead_created', 'lead_created', 'lead_created']);
      expect(kept.map((r) => r.outcome)).toEqual(['lead_created', 'lead_created', 'lead_created']);
      expect(deltas.map((d) => Number(d.delta))).toEqual([3]);
      expect(expected.get(id)).toMatchObject({ totalLeads: 3, todaysLeads: 3 });
      expect((await listedFigures(db.repository, now)).get(id)).toEqual(expected.get(id));
    });

    it('GET /sources/:id?days= gives the days from the folded counts and the pending ones, one id or several at once', async () => {
      const name = `Per day ${freshPhone()}`;
      const sr = '+919600000611';
      const rules = { ...testRules, numberSources: { [sr]: name } };
      const days = ['2026-11-18T10:00:00Z', '2026-11-19T10:00:00Z', '2026-11-20T10:00:00Z'];
      for (const at of [...days, days[2]]) {
        await db.repository.ingestCall(
          makeCall(freshPhone(), { srNumber: sr, startedAt: new Date(at) }),
          'poll',
          rules,
          null,
        );
      }
      const now = new Date('2026-11-20T12:00:00Z');
      await db.repository.refreshSourceCounts(ZONE, now);
      // One more today, not folded yet.
      await db.repository.ingestCall(
        makeCall(freshPhone(), { srNumber: sr, startedAt: new Date('2026-11-20T11:00:00Z') }),
        'poll',
        rules,
        null,
      );

      const id = await sourceId(name);
      const detail = await db.repository.getSource(id, ZONE, now, 4);
      const together = await db.repository.getSources([id, 999_999_999, id], ZONE, now, 4);

      expect(detail).toMatchObject({ totalLeads: 5, todaysLeads: 3 });
      expect(detail?.lastLeadAt).toBe('2026-11-20T11:00:00.000Z');
      expect(detail?.leadsPerDay).toEqual([
        { date: '2026-11-17', leads: 0 },
        { date: '2026-11-18', leads: 1 },
        { date: '2026-11-19', leads: 1 },
        { date: '2026-11-20', leads: 3 },
      ]);
      expect(together).toEqual([detail, null, detail]);
    });

    it('a clock crossing IST midnight moves today’s figure with no job, and the next refresh copies it', async () => {
      const clock = new FixedClock(new Date('2026-11-20T18:29:30Z')); // 23:59:30 IST
      const app = await openApp({
        clock,
        env: { INTERNAL_API_KEYS: API_KEY, SOURCE_COUNTS_REFRESH_SECONDS: '0' },
      });
      try {
        const name = `Midnight ${freshPhone()}`;
        const sr = '+919600000612';
        const rules = { ...testRules, numberSources: { [sr]: name } };
        for (const at of ['2026-11-20T18:20:00Z', '2026-11-20T18:29:00Z', '2026-11-20T18:35:00Z']) {
          await app.repository.ingestCall(
            makeCall(freshPhone(), { srNumber: sr, startedAt: new Date(at) }),
            'poll',
            rules,
            null,
          );
        }
        await app.repository.refreshSourceCounts(ZONE, clock.now());
        const id = await sourceId(name, app.database);
        const figures = async () =>
          readJson<SourceDetailDto>(
            await fetch(`${app.running.url}/sources/${id}?days=2`, {
              headers: { 'x-api-key': API_KEY },
            }),
          );
        const crmToday = async () =>
          (
            await app.database.sql<{ today: number }>(
              'select todays_leads_count as today from sources where id = $1',
              [id],
            )
          )[0].today;

        const before = await figures();
        clock.current = new Date('2026-11-20T18:30:30Z'); // 00:00:30 IST on the 21st
        const after = await figures();
        const crmBefore = await crmToday();
        await app.repository.refreshSourceCounts(ZONE, clock.now());
        const crmAfter = await crmToday();

        expect(before).toMatchObject({ totalLeads: 3, todaysLeads: 2 });
        expect(before.leadsPerDay).toEqual([
          { date: '2026-11-19', leads: 0 },
          { date: '2026-11-20', leads: 2 },
        ]);
        expect(after).toMatchObject({ totalLeads: 3, todaysLeads: 1 });
        expect(after.leadsPerDay).toEqual([
          { date: '2026-11-20', leads: 2 },
          { date: '2026-11-21', leads: 1 },
        ]);
        expect(crmBefore).toBe(2);
        expect(crmAfter).toBe(1);
      } finally {
        await app.close();
      }
    });

    it('the CRM’s sources row catches up within 2 s of a webhook', async () => {
      const app = await openApp({
        env: {
          INTERNAL_API_KEYS: API_KEY,
          SOURCE_COUNTS_REFRESH_SECONDS: '1',
          SOURCE_COUNTS_RECOUNT_AT: 'off',
        },
      });
      try {
        const phone = freshPhone();
        const delivered = await fetch(`${app.running.url}/webhooks/knowlarity`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            uuid: `follow-${phone}`,
            caller_id: `+91${phone}`,
            dispnumber: '+919600000301',
            start_time: new Date().toISOString(),
            call_duration: 30,
          }),
        });
        const started = Date.now();
        const id = await sourceId('Knowlarity', app.database);
        let row: { total: number; today: number } | undefined;
        while (Date.now() - started < 5000) {
          [row] = await app.database.sql<{ total: number; today: number }>(
            'select total_leads_count as total, todays_leads_count as today from sources where id = $1',
            [id],
          );
          if (row.total === 1) break;
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        const elapsed = Date.now() - started;

        expect(await readJson(delivered)).toMatchObject({ outcome: 'lead_created' });
        expect(row).toEqual({ total: 1, today: 1 });
        expect(elapsed).toBeLessThan(2000);
      } finally {
        await app.close();
      }
    });

    it('while other clients keep the reads busy, GET /sources and /sources/:id answer every lead committed before the request', async () => {
      const app = await openApp({
        env: {
          INTERNAL_API_KEYS: API_KEY,
          SOURCE_COUNTS_REFRESH_SECONDS: '1',
          SOURCE_COUNTS_RECOUNT_AT: 'off',
        },
      });
      const get = (path: string) =>
        fetch(`${app.running.url}${path}`, { headers: { 'x-api-key': API_KEY } });
      let busy = true;
      const readers: Promise<void>[] = [];
      try {
        const [{ id }] = await app.database.sql<{ id: number }>(
          "insert into sources (display_name, source_type) values ($1, 'crm') returning id::int as id",
          [`Busy reads ${freshPhone()}`],
        );
        const detailPath = `/sources/${id}?days=2`;
        // Reads always in flight, so each checked one arrives while an identical read, started
        // before the lead was committed, is still running.
        for (const path of Array.from({ length: 4 }, () => ['/sources', detailPath]).flat()) {
          readers.push(
            (async () => {
              while (busy) await (await get(path)).arrayBuffer();
            })(),
          );
        }
        const seen: { list: number; detail: number; types: (string | null)[] }[] = [];
        for (let committed = 1; committed <= 40; committed += 1) {
          await app.database.sql(
            "insert into leads_master (full_name, phone_number_normalized, source_id) values ('Walk in', $1, $2)",
            [freshPhone(), id],
          );
          const [list, detail] = await Promise.all([get('/sources'), get(detailPath)]);
          const listed = await readJson<SourceDetailDto[]>(list);
          seen.push({
            list: listed.find((source) => source.id === id)!.totalLeads,
            detail: (await readJson<SourceDetailDto>(detail)).totalLeads,
            types: [list.headers.get('content-type'), detail.headers.get('content-type')],
          });
        }

        expect(seen).toEqual(
          Array.from({ length: 40 }, (_, n) => ({
            list: n + 1,
            detail: n + 1,
            types: ['application/json; charset=utf-8', 'application/json; charset=utf-8'],
          })),
        );
      } finally {
        busy = false;
        await Promise.all(readers);
        await app.close();
      }
    });

    it('a delete in SQL counts at once; a write the triggers never saw is drift, corrected and reported by POST /sources/recount', async () => {
      const lines: string[] = [];
      const app = await openApp({
        logDestination: new Writable({
          write(chunk: Buffer, _encoding, done) {
            lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
            done();
          },
        }),
        env: { INTERNAL_API_KEYS: API_KEY, SOURCE_COUNTS_REFRESH_SECONDS: '0', LOG_LEVEL: 'info' },
      });
      const post = (headers: Record<string, string> = { 'x-api-key': API_KEY }) =>
        fetch(`${app.running.url}/sources/recount`, { method: 'POST', headers });
      try {
        const name = `Drift ${freshPhone()}`;
        const sr = '+919600000614';
        const rules = { ...testRules, numberSources: { [sr]: name } };
        const phones = [freshPhone(), freshPhone(), freshPhone()];
        for (const phone of phones) {
          await app.repository.ingestCall(
            makeCall(phone, { srNumber: sr, startedAt: new Date() }),
            'webhook',
            rules,
            null,
          );
        }
        const id = await sourceId(name, app.database);
        const total = async () =>
          (await app.repository.listSources(ZONE, new Date())).find((s) => s.id === id)?.totalLeads;

        await app.database.sql('delete from leads_master where phone_number_normalized = $1', [
          phones[0],
        ]);
        const afterDelete = await total();
        // A restore or logical replication writes with session_replication_role = replica:
        // no trigger fires.
        await app.database.sql(`begin;
          set local session_replication_role = replica;
          delete from leads_master where phone_number_normalized = '${phones[1]}';
          commit;`);
        const unseen = await total();
        const unauthorised = await post({});
        const reply = await post();
        const body = await readJson<RecountDto>(reply);
        const metrics = await (
          await fetch(`${app.running.url}/metrics`, { headers: { 'x-api-key': API_KEY } })
        ).text();
        const again = await readJson<RecountDto>(await post());

        expect(afterDelete).toBe(2);
        expect(unseen).toBe(2);
        expect(unauthorised.status).toBe(401);
        expect(reply.status).toBe(200);
        expect(body).toMatchObject({ mode: 'recount', done: true, drift: 1 });
        expect(body.differences).toEqual([{ sourceId: id, difference: -1 }]);
        expect(await total()).toBe(1);
        expect(metrics).toContain(`knowlarity_source_count_drift{source_id="${id}"} -1`);
        expect(
          lines.some(
            (l) => l.includes('corrected drift of 1 leads') && l.includes(`source ${id}: -1`),
          ),
        ).toBe(true);
        expect(again).toMatchObject({ mode: 'recount', drift: 0, differences: [] });
      } finally {
        await app.close();
      }
    });

    it('a different business time zone rebuilds the day counts; reads in it stay exact meanwhile', async () => {
      const name = `Zone ${freshPhone()}`;
      const sr = '+919600000615';
      const rules = { ...testRules, numberSources: { [sr]: name } };
      // 20:00Z on the 20th is the 21st in IST and the 20th in UTC.
      await db.repository.ingestCall(
        makeCall(freshPhone(), { srNumber: sr, startedAt: new Date('2026-11-20T20:00:00Z') }),
        'poll',
        rules,
        null,
      );
      await db.repository.refreshSourceCounts(ZONE, new Date());
      const id = await sourceId(name);
      const at = new Date('2026-11-20T21:00:00Z');

      const utcBefore = await db.repository.getSource(id, 'UTC', at, 1);
      const switched = await db.repository.refreshSourceCounts('UTC', at);
      const utcDuring = await db.repository.getSource(id, 'UTC', at, 1);
      const built = await db.repository.recountSourceCounts('UTC', at, 10000, false);
      let step = built;
      while (!step.done) step = await db.repository.recountSourceCounts('UTC', at, 10000, false);
      const utcAfter = await db.repository.getSource(id, 'UTC', at, 1);
      await db.repository.refreshSourceCounts(ZONE, at);
      await recountToEnd(db.repository, at);
      const istAfter = await db.repository.getSource(id, ZONE, at, 1);

      expect(utcBefore).toMatchObject({ totalLeads: 1, todaysLeads: 1 });
      expect(switched.ready).toBe(false);
      expect(utcDuring).toMatchObject({ totalLeads: 1, todaysLeads: 1 });
      expect(step).toMatchObject({ done: true, ready: true });
      expect(utcAfter).toMatchObject({ totalLeads: 1, todaysLeads: 1 });
      expect(utcAfter?.leadsPerDay).toEqual([{ date: '2026-11-20', leads: 1 }]);
      expect(istAfter?.leadsPerDay).toEqual([{ date: '2026-11-21', leads: 1 }]);
    });

    if (!target.server || target.name !== 'postgres') return;

    it('a CRM role with no right on the count tables writes leads, and the counts follow', async () => {
      const role = 'knowlarity_test_crm_writer';
      await db.database.sql(`do $$ begin
        if not exists (select 1 from pg_roles where rolname = '${role}') then create role ${role} nologin; end if;
      end $$`);
      // The CRM's own access: its tables and a policy of its own; nothing on the service's.
      await db.database
        .sql(`grant select, insert, update, delete on leads_master, lead_sources_history to ${role};
        grant usage on all sequences in schema public to ${role};
        create policy knowlarity_test_crm_all on leads_master to ${role} using (true) with check (true);`);
      const name = `CRM screen ${freshPhone()}`;
      const [{ id }] = await db.database.sql<{ id: number }>(
        "insert into sources (display_name, source_type) values ($1, 'crm') returning id::int as id",
        [name],
      );
      const phone = freshPhone();
      const client = new Client({ connectionString: db.database.url });
      await client.connect();
      try {
        await client.query(`set role ${role}`);
        await client.query(
          `insert into leads_master (full_name, phone_number_normalized, source_id) values ('Walk in', $1, $2)`,
          [phone, id],
        );
        await client.query(
          `update leads_master set received_at = now() - interval '3 days' where phone_number_normalized = $1`,
          [phone],
        );
        await expect(
          client.query('select count(*) from knowlarity_source_count_deltas'),
        ).rejects.toMatchObject({ code: '42501' });
      } finally {
        await client.end();
      }

      const figures = (await db.repository.listSources(ZONE, new Date())).find((s) => s.id === id);
      expect(figures).toMatchObject({ totalLeads: 1, todaysLeads: 0 });
    });
  },
  { freshFor: 'suite' },
);
