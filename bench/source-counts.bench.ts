/**
 * Source counts at CRM scale (issue 13): what the reads and the refresh cost as leads grow.
 *
 *   npm run bench:counts   (tsc -p bench/tsconfig.json && node dist-bench/bench/source-counts.bench.js)
 *
 * On a throwaway database on the PostgreSQL server (BENCH_DATABASE_URL, else TEST_DATABASE_URL,
 * else postgres://postgres@127.0.0.1:5432/test), with 100 sources:
 * 1. loads 100,000 leads and 20,000 history rows over 90 days (through the count triggers, as a
 *    CRM import would) and folds them; times the refresh (fold + copy into `sources`) with
 *    nothing pending and with 1,000 pending credits (a second of calls at 1,000/s), the old
 *    read-time derivation it replaces (knowlarity_source_lead_counts), and a full recount;
 * 2. grows to 1,000,000 leads and 200,000 history rows and times the same, so the ratio shows
 *    whether the refresh grows with the leads;
 * 3. starts the built service (node dist/main.js, postgres driver, refresh every second) and runs
 *    BENCH_COUNTS_CLIENTS (8) keep-alive clients against GET /sources and GET /sources/:id?days=30
 *    (p50/p99 over HTTP).
 * Prints the figures and a last line `RESULT <json>` (read by `npm run bench`), then drops the
 * database. Knobs: BENCH_COUNTS_LEADS (1000000), BENCH_COUNTS_CLIENTS (8), BENCH_SECONDS (8),
 * BENCH_WARM_UP_SECONDS (2).
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import { Client } from 'pg';
import { closedLoop, HttpConnections, LoadResult } from './support/closed-loop';
import { migrateDatabase } from './support/database';
import { ROOT, startService } from './support/service-process';

const SERVER_URL =
  process.env.BENCH_DATABASE_URL ??
  process.env.TEST_DATABASE_URL ??
  'postgres://postgres@127.0.0.1:5432/test';
const LEADS = Number(process.env.BENCH_COUNTS_LEADS ?? 1_000_000);
const CLIENTS = Number(process.env.BENCH_COUNTS_CLIENTS ?? 8);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const WARM_UP_SECONDS = Number(process.env.BENCH_WARM_UP_SECONDS ?? 2);
const SOURCES = 100;
const DAYS = 90;
const ZONE = 'Asia/Kolkata';
const API_KEY = `bench-${randomBytes(16).toString('hex')}`;

export interface RefreshCost {
  leads: number;
  history: number;
  /** Median ms of a refresh with nothing pending. */
  idleMs: number;
  /** Median ms of a refresh folding 1,000 pending credits. */
  pending1000Ms: number;
  /** Median ms of the read-time derivation 0005 used for every read and refresh. */
  derivedMs: number;
  /** A full recount in batches, seconds. */
  recountSeconds: number;
}

export interface SourceCountsResult {
  small: RefreshCost;
  large: RefreshCost;
  list: LoadResult;
  detail: LoadResult;
}

async function main(): Promise<void> {
  execFileSync(process.execPath, ['scripts/ensure-built.js'], { cwd: ROOT, stdio: 'inherit' });
  const name = `kls_bench_counts_${randomBytes(4).toString('hex')}`;
  await query(SERVER_URL, `create database ${name}`);
  const url = new URL(SERVER_URL);
  url.pathname = `/${name}`;
  const databaseUrl = url.toString();
  const client = new Client({ connectionString: databaseUrl });
  try {
    await client.connect();
    await migrateDatabase(databaseUrl);
    await client.query(`insert into sources (display_name, source_type)
      select 'Bench source ' || g, 'crm' from generate_series(1, ${SOURCES}) g`);
    const small = await loadAndTime(client, 0, Math.round(LEADS / 10));
    report(small);
    const large = await loadAndTime(client, small.leads, LEADS);
    report(large);
    console.log(
      `refresh 1,000,000 / 100,000 leads: idle ${(large.idleMs / small.idleMs).toFixed(2)}x, ` +
        `1,000 pending ${(large.pending1000Ms / small.pending1000Ms).toFixed(2)}x ` +
        `(read-time derivation: ${(large.derivedMs / small.derivedMs).toFixed(2)}x)`,
    );
    const { list, detail } = await overHttp(databaseUrl);
    const result: SourceCountsResult = { small, large, list, detail };
    console.log(
      `load average ${loadavg()
        .map((v) => v.toFixed(2))
        .join(' ')} on ${cpus().length} cores`,
    );
    console.log(`RESULT ${JSON.stringify(result)}`);
  } finally {
    await client.end().catch(() => undefined);
    await query(SERVER_URL, `drop database if exists ${name} with (force)`);
  }
}

/**
 * Adds leads up to `leads` (and a history row per five leads) spread over the last 90 days, as
 * one statement each through the triggers, folds them, and times the refresh at that size.
 */
async function loadAndTime(client: Client, from: number, leads: number): Promise<RefreshCost> {
  const started = performance.now();
  await client.query(
    `insert into leads_master (full_name, phone_number_normalized, source_id, status, received_at, created_at)
     select 'Lead ' || g, (7000000000 + g)::text, 1 + g % ${SOURCES}, 'New', t, t
     from generate_series($1::integer + 1, $2::integer) g,
          lateral (select now() - make_interval(secs => ((g::bigint * 7919) % (${DAYS} * 86400))::double precision) as t) times`,
    [from, leads],
  );
  await client.query(
    `insert into lead_sources_history (lead_id, source_id, received_at)
     select id, 1 + (id * 7) % ${SOURCES}, received_at + interval '1 hour'
     from leads_master where id > $1 and id % 5 = 0`,
    [from],
  );
  let folds = 0;
  for (;;) {
    const { rows } = await client.query<{ r: { more: boolean } }>(
      'select knowlarity_refresh_source_counts($1, now(), 200000) as r',
      [ZONE],
    );
    folds += 1;
    if (!rows[0].r.more) break;
  }
  await client.query(
    'vacuum analyze leads_master, lead_sources_history, knowlarity_source_count_deltas',
  );
  const [{ history }] = (
    await client.query<{ history: string }>('select count(*) as history from lead_sources_history')
  ).rows;
  console.log(
    `loaded and folded ${leads.toLocaleString('en')} leads in ${((performance.now() - started) / 1000).toFixed(1)} s (${folds} folds)`,
  );

  const refresh = () => client.query('select knowlarity_refresh_source_counts($1)', [ZONE]);
  const idleMs = await medianMs(50, refresh);
  // A second of calls at 1,000/s: 1,000 new leads, their credits pending as the triggers
  // appended them.
  const pending1000Ms = await medianMs(20, refresh, () =>
    client.query(
      `insert into leads_master (full_name, source_id, status, received_at, created_at)
       select 'Pending ' || g, 1 + g % ${SOURCES}, 'New', now() - make_interval(secs => g), now()
       from generate_series(1, 1000) g`,
    ),
  );
  const derivedMs = await medianMs(3, () =>
    client.query('select knowlarity_source_lead_counts($1)', [ZONE]),
  );
  const recountStarted = performance.now();
  let done = false;
  let begin = true;
  while (!done) {
    const { rows } = await client.query<{ r: { done: boolean } }>(
      'select knowlarity_recount_source_counts($1, now(), 10000, $2) as r',
      [ZONE, begin],
    );
    begin = false;
    done = rows[0].r.done;
  }
  const recountSeconds = (performance.now() - recountStarted) / 1000;
  const [{ total }] = (
    await client.query<{ total: string }>('select count(*) as total from leads_master')
  ).rows;
  return {
    leads: Number(total),
    history: Number(history),
    idleMs,
    pending1000Ms,
    derivedMs,
    recountSeconds,
  };
}

/** The median of `times` timed runs of `work`, each after an untimed `prepare`. */
async function medianMs(
  times: number,
  work: () => Promise<unknown>,
  prepare?: () => Promise<unknown>,
): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < times; i += 1) {
    await prepare?.();
    const started = performance.now();
    await work();
    samples.push(performance.now() - started);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)];
}

async function overHttp(databaseUrl: string): Promise<{ list: LoadResult; detail: LoadResult }> {
  const service = await startService({
    DATABASE_DRIVER: 'postgres',
    DATABASE_URL: databaseUrl,
    INTERNAL_API_KEYS: API_KEY,
    SOURCE_COUNTS_REFRESH_SECONDS: '1',
    SOURCE_COUNTS_RECOUNT_AT: 'off',
    KNOWLARITY_POLL_ENABLED: 'false',
    LOG_LEVEL: 'warn',
  });
  const headers = { 'x-api-key': API_KEY };
  const http = new HttpConnections(service.port, CLIENTS);
  try {
    const run = (path: (loop: number, i: number) => string) => {
      let i = 0;
      return closedLoop(CLIENTS, WARM_UP_SECONDS, SECONDS, async (loop) => {
        const reply = await http.send(loop, 'GET', path(loop, (i += 1)), headers);
        return { ok: reply.status === 200 };
      });
    };
    const list = await run(() => '/sources');
    print(`GET /sources, ${SOURCES} sources`, list);
    const detail = await run((_, i) => `/sources/${1 + (i % SOURCES)}?days=30`);
    print('GET /sources/:id?days=30', detail);
    return { list, detail };
  } finally {
    http.close();
    await service.stop();
  }
}

function report(cost: RefreshCost): void {
  console.log(
    `${cost.leads.toLocaleString('en')} leads, ${cost.history.toLocaleString('en')} history rows: ` +
      `refresh idle ${cost.idleMs.toFixed(2)} ms, with 1,000 pending ${cost.pending1000Ms.toFixed(2)} ms; ` +
      `read-time derivation ${cost.derivedMs.toFixed(0)} ms; full recount ${cost.recountSeconds.toFixed(1)} s`,
  );
}

function print(label: string, r: LoadResult): void {
  console.log(
    `${label}, ${r.connections} clients: ${r.perSecond.toFixed(0)}/s, p50 ${r.p50Ms.toFixed(2)} ms, ` +
      `p99 ${r.p99Ms.toFixed(2)} ms, max ${r.maxMs.toFixed(1)} ms, errors ${r.errors}`,
  );
}

async function query(url: string, sql: string): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

if (require.main === module) {
  main().catch((error: Error) => {
    console.error(error);
    process.exitCode = 1;
  });
}
