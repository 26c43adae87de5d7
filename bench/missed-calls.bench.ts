/**
 * The missed-call queue on 1,000,000 calls, and what migration 0012 adds to each ingest.
 *
 *   npm run bench:missed   (tsc -p bench/tsconfig.json && node dist-bench/bench/missed-calls.bench.js)
 *
 * 1. Queue: a throwaway database on the PostgreSQL server (BENCH_DATABASE_URL, else
 *    TEST_DATABASE_URL, else postgres://postgres@127.0.0.1:5432/test), migrated by the service's
 *    migrator, gets BENCH_CALLS calls (1,000,000) for BENCH_CALLS / 5 customers over about 90
 *    days (inbound missed 30 %, inbound answered 40 %, outbound answered 20 %, outbound missed
 *    10 %) and a lead per customer, bulk-loaded with generate_series; the queue is built once by
 *    knowlarity_rebuild_all_missed_episodes (as the migration does for calls stored before it).
 *    Then, through the repository (SQL function + pg pool), BENCH_CLIENTS (10, the service's
 *    pool size) closed loops each for BENCH_SECONDS (10) after a 2 s warm-up: the first page of
 *    waiting customers, a page after a random cursor, the first page of returned ones, and the
 *    gauge's count.
 * 2. Ingest: two more databases with BENCH_LEADS (100,000) leads, a third of them with an
 *    alternate number in a typed format: one migrated without 0012 ("before"), one with it
 *    ("after"). The same mix of calls (new phones, known numbers, alternate numbers, missed
 *    calls, call backs) is ingested through the repository by BENCH_CLIENTS loops, in
 *    alternating rounds (before, after, before, after), BENCH_ROUND_SECONDS (5) each.
 * Prints p50/p90/p99/max and calls per second for each, the after/before ratios, and the load
 * average; drops its databases.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Client, Pool } from 'pg';
import { parseIngestConfig } from '../src/config/ingest.config';
import { PostgresRepository } from '../src/database/drivers/postgres.repository';
import { migratePool } from '../src/database/migration-sessions';
import { loadMigrations, Migration } from '../src/database/migrator';
import { CallEvent } from '../src/knowlarity/call-event';
import { closedLoop, LoadResult, summarise } from './support/closed-loop';
import { ROOT } from './support/service-process';
import { loadAverage } from './support/report';

const SERVER_URL =
  process.env.BENCH_DATABASE_URL ??
  process.env.TEST_DATABASE_URL ??
  'postgres://postgres@127.0.0.1:5432/test';
const CALLS = Number(process.env.BENCH_CALLS ?? 1_000_000);
const LEADS = Number(process.env.BENCH_LEADS ?? 100_000);
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 10);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const ROUND_SECONDS = Number(process.env.BENCH_ROUND_SECONDS ?? 5);
const WARM_UP_SECONDS = 2;
const CUSTOMERS = Math.round(CALLS / 5);
const FIRST_PHONE = 7_000_000_000;
const ALTERNATE_OFFSET = 1_000_000_000;
const AGENT = '+919000000001';
const RULES = parseIngestConfig({ KNOWLARITY_AGENT_USERS: `${AGENT}=17` }).rules;

async function main(): Promise<void> {
  const created: string[] = [];
  try {
    const queueUrl = await createDatabase(created, (m) => m);
    await loadCalls(queueUrl);
    await measureQueue(queueUrl);

    const beforeUrl = await createDatabase(created, (all) => all.filter((m) => m.version < 12));
    const afterUrl = await createDatabase(created, (m) => m);
    await Promise.all([loadLeads(beforeUrl), loadLeads(afterUrl)]);
    await compareIngest(beforeUrl, afterUrl);
  } finally {
    for (const name of created) await admin(`drop database if exists ${name} with (force)`);
  }
}

async function admin(sql: string): Promise<void> {
  const client = new Client({ connectionString: SERVER_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** A fresh database migrated with `pick(every migration)`; its URL. */
async function createDatabase(
  created: string[],
  pick: (all: Migration[]) => Migration[],
): Promise<string> {
  const name = `kls_bench_${randomBytes(4).toString('hex')}`;
  await admin(`create database ${name}`);
  created.push(name);
  const url = new URL(SERVER_URL);
  url.pathname = `/${name}`;
  await withPool(url.toString(), (pool) =>
    migratePool(pool, pick(loadMigrations(join(ROOT, 'supabase/migrations')))),
  );
  return url.toString();
}

async function withPool<T>(url: string, run: (pool: Pool) => Promise<T>): Promise<T> {
  const pool = new Pool({ connectionString: url, max: 1 });
  try {
    return await run(pool);
  } finally {
    await pool.end();
  }
}

/** A lead per customer and CALLS calls, then the queue built from them. */
async function loadCalls(url: string): Promise<void> {
  const started = Date.now();
  await withPool(url, async (pool) => {
    await pool.query(
      `insert into sources (display_name, source_type) values ('Knowlarity', 'knowlarity_call')`,
    );
    await pool.query(
      `insert into leads_master (full_name, phone_number_normalized, source_id, status, created_at, updated_at)
       select 'Lead ' || g, ($2::bigint + g)::text, 1, 'New', now(), now()
       from generate_series(0, $1::integer - 1) g`,
      [CUSTOMERS, FIRST_PHONE],
    );
    await pool.query(
      `insert into knowlarity_calls (call_id, customer_phone, customer_phone_e164, sr_number, direction,
         missed, started_at, lead_id, source_id, outcome, first_arrival_path, arrival_paths)
       select 'bench-' || g, p.phone, '+91' || p.phone, '+919600000301',
              case when k < 7 then 'inbound' else 'outbound' end,
              k < 3 or k = 9,
              now() - make_interval(secs => ($1::integer - g) * 8),
              p.customer + 1, 1,
              case when k < 7 then 'same_source_duplicate' else 'call_linked' end,
              'poll', array['poll']
       from generate_series(1, $1::integer) g,
            lateral (select (g::bigint * 7919) % $3 as customer, abs(hashint4(g)) % 10 as k) c,
            lateral (select ($2::bigint + c.customer)::text as phone, c.customer) p`,
      [CALLS, FIRST_PHONE, CUSTOMERS],
    );
    const built = await pool.query<{ result: { episodes: number } }>(
      'select knowlarity_rebuild_all_missed_episodes() as result',
    );
    await pool.query('vacuum analyze knowlarity_calls');
    await pool.query('vacuum analyze knowlarity_missed_episodes');
    await pool.query('vacuum analyze leads_master');
    const [{ waiting }] = (
      await pool.query<{ waiting: number }>(
        'select count(*)::int as waiting from knowlarity_missed_episodes where returned_at is null',
      )
    ).rows;
    console.log(
      `Loaded ${CALLS.toLocaleString('en')} calls of ${CUSTOMERS.toLocaleString('en')} customers ` +
        `and built ${built.rows[0].result.episodes.toLocaleString('en')} queue entries ` +
        `(${waiting.toLocaleString('en')} waiting) in ${(Date.now() - started) / 1000} s`,
    );
  });
}

async function measureQueue(url: string): Promise<void> {
  const keys = await withPool(
    url,
    async (pool) =>
      (
        await pool.query<{ at: string; key: string }>(
          `select knowlarity_key_time(last_missed_at) as at, phone as key
         from knowlarity_missed_episodes where returned_at is null`,
        )
      ).rows,
  );
  const repository = PostgresRepository.connect(url, CLIENTS);
  const now = new Date();
  try {
    const phases: Array<[string, () => Promise<unknown>]> = [
      [
        'waiting, first page of 50',
        () => repository.listMissedCalls({ returned: false, now, limit: 50 }),
      ],
      [
        'waiting, a page of 50 after a random cursor',
        () =>
          repository.listMissedCalls({
            returned: false,
            now,
            limit: 50,
            after: keys[Math.floor(Math.random() * keys.length)],
          }),
      ],
      [
        'returned, first page of 50',
        () => repository.listMissedCalls({ returned: true, now, limit: 50 }),
      ],
      ['the gauge: count of waiting customers', () => repository.countUnreturnedMissedCalls()],
    ];
    for (const clients of [1, CLIENTS]) {
      for (const [label, once] of phases) {
        const result = await closedLoop(clients, WARM_UP_SECONDS, SECONDS, async () => {
          await once();
          return { ok: true };
        });
        report(`${label} (repository, ${CALLS.toLocaleString('en')} calls)`, result);
      }
    }
  } finally {
    await repository.close();
  }
  await serverSide(url, keys);
}

/**
 * The database's own time for a page (EXPLAIN ANALYZE's execution time of the function call),
 * one at a time: what the query costs, without the client, the pool or the machine's queue.
 */
async function serverSide(url: string, keys: Array<{ at: string; key: string }>): Promise<void> {
  await withPool(url, async (pool) => {
    const statements: Array<[string, () => [string, unknown[]]]> = [
      ['waiting, first page of 50', () => ['knowlarity_list_missed_calls(false, now(), 50)', []]],
      [
        'waiting, a page of 50 after a random cursor',
        () => {
          const key = keys[Math.floor(Math.random() * keys.length)];
          return ['knowlarity_list_missed_calls(false, now(), 50, $1, $2)', [key.at, key.key]];
        },
      ],
      ['returned, first page of 50', () => ['knowlarity_list_missed_calls(true, now(), 50)', []]],
      ['the gauge', () => ['knowlarity_count_unreturned_missed_calls()', []]],
    ];
    for (const [label, statement] of statements) {
      const times: number[] = [];
      for (let i = 0; i < 300; i += 1) {
        const [call, params] = statement();
        const { rows } = await pool.query<{ 'QUERY PLAN': Array<{ 'Execution Time': number }> }>(
          `explain (analyze, format json) select ${call}`,
          params,
        );
        if (i >= 20) times.push(rows[0]['QUERY PLAN'][0]['Execution Time']);
      }
      const { p50Ms, p99Ms, maxMs } = summarise(times, 1);
      console.log(
        `${label} (database execution time, one at a time, ${times.length} runs): ` +
          `p50 ${p50Ms.toFixed(2)} ms  p99 ${p99Ms.toFixed(2)} ms  max ${maxMs.toFixed(2)} ms`,
      );
    }
  });
}

/** LEADS leads; every third has an alternate number, typed as a sales team would. */
async function loadLeads(url: string): Promise<void> {
  await withPool(url, async (pool) => {
    await pool.query(
      `insert into leads_master (full_name, phone_number_normalized, alternate_phone_number, source_id, status,
                                 created_at, updated_at)
       select 'Lead ' || g, ($2::bigint + g)::text,
              case when g % 3 = 0 then '+91 ' || substr(($2::bigint + $3::bigint + g)::text, 1, 5) || ' '
                                              || substr(($2::bigint + $3::bigint + g)::text, 6) end,
              null, 'New', now(), now()
       from generate_series(0, $1::integer - 1) g`,
      [LEADS, FIRST_PHONE, ALTERNATE_OFFSET],
    );
    await pool.query('vacuum analyze leads_master');
  });
}

/** The next call of the mix: a quarter each new, known by number, known by alternate, call back. */
function nextCall(): CallEvent {
  const lead = Math.floor(Math.random() * LEADS);
  const roll = Math.random();
  const phone = String(
    roll < 0.25
      ? FIRST_PHONE + 2 * ALTERNATE_OFFSET + Math.floor(Math.random() * 1e8)
      : roll < 0.5
        ? FIRST_PHONE + lead
        : roll < 0.75
          ? FIRST_PHONE + ALTERNATE_OFFSET + lead - (lead % 3)
          : FIRST_PHONE + lead,
  );
  const missed = roll < 0.75 && Math.random() < 0.4;
  return {
    callId: randomUUID(),
    callIdDerived: false,
    customerPhone: phone,
    customerPhoneE164: `+91${phone}`,
    srNumber: '+919600000301',
    agentNumber: missed ? null : AGENT,
    agentLabel: missed ? 'Customer Missed' : null,
    direction: roll < 0.75 ? 'inbound' : 'outbound',
    missed,
    durationSeconds: missed ? 0 : 60,
    recordingUrl: null,
    startedAt: new Date(),
    callerName: null,
    businessCallType: null,
    hangupCause: null,
  };
}

async function compareIngest(beforeUrl: string, afterUrl: string): Promise<void> {
  const before = PostgresRepository.connect(beforeUrl, CLIENTS);
  const after = PostgresRepository.connect(afterUrl, CLIENTS);
  const runs: Record<'before' | 'after', LoadResult[]> = { before: [], after: [] };
  try {
    for (let round = 0; round < 4; round += 1) {
      const which = round % 2 === 0 ? 'before' : 'after';
      const repository = which === 'before' ? before : after;
      const result = await closedLoop(CLIENTS, 1, ROUND_SECONDS, async () => {
        await repository.ingestCall(nextCall(), 'webhook', RULES, null);
        return { ok: true };
      });
      runs[which].push(result);
      report(`ingest ${which} 0012, round ${round + 1}`, result);
    }
  } finally {
    await before.close();
    await after.close();
  }
  const mean = (results: LoadResult[], pick: (r: LoadResult) => number) =>
    results.reduce((sum, r) => sum + pick(r), 0) / results.length;
  console.log(
    `ingest after/before: calls/s ${(mean(runs.after, (r) => r.perSecond) / mean(runs.before, (r) => r.perSecond)).toFixed(2)}x, ` +
      `p50 ${(mean(runs.after, (r) => r.p50Ms) / mean(runs.before, (r) => r.p50Ms)).toFixed(2)}x, ` +
      `p99 ${(mean(runs.after, (r) => r.p99Ms) / mean(runs.before, (r) => r.p99Ms)).toFixed(2)}x`,
  );
}

function report(label: string, result: LoadResult): void {
  const ms = (value: number) => `${value.toFixed(2)} ms`;
  console.log(
    [
      `${label}: ${result.connections} clients, ${result.seconds} s`,
      `  ${result.requests} calls (${result.perSecond.toFixed(0)}/s), errors ${result.errors}`,
      `  p50 ${ms(result.p50Ms)}  p90 ${ms(result.p90Ms)}  p99 ${ms(result.p99Ms)}  max ${ms(result.maxMs)}`,
      `  load average ${loadAverage()}`,
    ].join('\n'),
  );
}

main().catch((error: Error) => {
  console.error(error);
  process.exitCode = 1;
});
