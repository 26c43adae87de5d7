/**
 * Source counts at CRM scale (issue 13): what the reads and the refresh cost as leads grow.
 *
 *   npm run bench:counts   (tsc -p bench/tsconfig.json && node dist-bench/bench/source-counts.bench.js)
 *
 * Two throwaway databases on the PostgreSQL server (BENCH_DATABASE_URL, else TEST_DATABASE_URL,
 * else postgres://postgres@127.0.0.1:5432/test), each with 100 sources:
 * 1. loads 100,000 leads and 20,000 history rows into one, 1,000,000 and 200,000 into the other,
 *    over 90 days, through the count triggers (as a CRM import would), and folds them;
 * 2. times on both, taking turns (A, B, A, B): the refresh (fold + copy into `sources`) with
 *    nothing pending and with 1,000 pending credits (a second of calls at 1,000/s), the
 *    read-time derivation it replaces (knowlarity_source_lead_counts), and a full recount;
 * 3. starts the built service on the large one (node dist/main.js, postgres driver, the fold
 *    every second) and runs BENCH_COUNTS_CLIENTS (8) keep-alive clients against GET /health/live
 *    (the control: HTTP and the machine alone), GET /sources and GET /sources/:id?days=30, two
 *    rounds each, taking turns.
 * Prints the figures and a last line `RESULT <json>` (read by `npm run bench`), then drops the
 * databases. Knobs: BENCH_COUNTS_LEADS (1000000), BENCH_COUNTS_CLIENTS (8), BENCH_SECONDS (8),
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
  /** GET /health/live in the same rounds: what the machine and the HTTP stack cost alone. */
  health: LoadResult;
}

/** A throwaway database on the server, migrated, with the bench's sources. */
async function createDatabase(): Promise<{ name: string; url: string; client: Client }> {
  const name = `kls_bench_counts_${randomBytes(4).toString('hex')}`;
  await query(SERVER_URL, `create database ${name}`);
  const url = new URL(SERVER_URL);
  url.pathname = `/${name}`;
  await migrateDatabase(url.toString());
  const client = new Client({ connectionString: url.toString() });
  await client.connect();
  await client.query(`insert into sources (display_name, source_type)
    select 'Bench source ' || g, 'crm' from generate_series(1, ${SOURCES}) g`);
  return { name, url: url.toString(), client };
}

async function main(): Promise<void> {
  execFileSync(process.execPath, ['scripts/ensure-built.js'], { cwd: ROOT, stdio: 'inherit' });
  const databases: { name: string; url: string; client: Client }[] = [];
  try {
    // Two databases, 100,000 and 1,000,000 leads, timed in alternation so the machine's drift
    // hits both sizes alike.
    const small = await createDatabase();
    databases.push(small);
    const large = await createDatabase();
    databases.push(large);
    await load(small.client, 0, Math.round(LEADS / 10));
    await load(large.client, 0, LEADS);
    const [smallCost, largeCost] = await timeRefreshes([small.client, large.client]);
    report(smallCost);
    report(largeCost);
    console.log(
      `refresh ${largeCost.leads.toLocaleString('en')} / ${smallCost.leads.toLocaleString('en')} leads: ` +
        `idle ${(largeCost.idleMs / smallCost.idleMs).toFixed(2)}x, ` +
        `1,000 pending ${(largeCost.pending1000Ms / smallCost.pending1000Ms).toFixed(2)}x ` +
        `(read-time derivation: ${(largeCost.derivedMs / smallCost.derivedMs).toFixed(2)}x)`,
    );
    const http = await overHttp(large.url);
    const result: SourceCountsResult = { small: smallCost, large: largeCost, ...http };
    console.log(
      `load average ${loadavg()
        .map((v) => v.toFixed(2))
        .join(' ')} on ${cpus().length} cores`,
    );
    console.log(`RESULT ${JSON.stringify(result)}`);
  } finally {
    for (const database of databases) {
      await database.client.end().catch(() => undefined);
      await query(SERVER_URL, `drop database if exists ${database.name} with (force)`);
    }
  }
}

/**
 * Adds leads `from`+1 to `to` (and a history row per five leads) spread over the last 90 days,
 * one statement each through the triggers, as a CRM import would, and folds them.
 */
async function load(client: Client, from: number, to: number): Promise<void> {
  const started = performance.now();
  await client.query(
    `insert into leads_master (full_name, phone_number_normalized, source_id, status, received_at, created_at)
     select 'Lead ' || g, (7000000000 + g)::text, 1 + g % ${SOURCES}, 'New', t, t
     from generate_series($1::integer + 1, $2::integer) g,
          lateral (select now() - make_interval(secs => ((g::bigint * 7919) % (${DAYS} * 86400))::double precision) as t) times`,
    [from, to],
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
  console.log(
    `loaded and folded ${to.toLocaleString('en')} leads in ${((performance.now() - started) / 1000).toFixed(1)} s (${folds} folds)`,
  );
}

/** Times the refresh, the old derivation and a recount on each database, alternating between them. */
async function timeRefreshes(clients: Client[]): Promise<RefreshCost[]> {
  const refresh = (client: Client) =>
    client.query('select knowlarity_refresh_source_counts($1)', [ZONE]);
  // A second of calls at 1,000/s: 1,000 new leads, their credits pending as the triggers
  // appended them.
  const pending = (client: Client) =>
    client.query(
      `insert into leads_master (full_name, source_id, status, received_at, created_at)
       select 'Pending ' || g, 1 + g % ${SOURCES}, 'New', now() - make_interval(secs => g), now()
       from generate_series(1, 1000) g`,
    );
  const idle = await alternate(clients, 50, refresh);
  const pending1000 = await alternate(clients, 20, refresh, pending);
  const derived = await alternate(clients, 3, (client) =>
    client.query('select knowlarity_source_lead_counts($1)', [ZONE]),
  );
  const recount = await alternate(clients, 1, async (client) => {
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
  });
  return Promise.all(
    clients.map(async (client, i) => {
      const count = async (table: string) =>
        Number((await client.query<{ n: string }>(`select count(*) as n from ${table}`)).rows[0].n);
      return {
        leads: await count('leads_master'),
        history: await count('lead_sources_history'),
        idleMs: idle[i],
        pending1000Ms: pending1000[i],
        derivedMs: derived[i],
        recountSeconds: recount[i] / 1000,
      };
    }),
  );
}

/**
 * The median ms of `times` timed runs of `work` on each client, the clients taking turns (A, B,
 * A, B, ...), each run after an untimed `prepare`.
 */
async function alternate(
  clients: Client[],
  times: number,
  work: (client: Client) => Promise<unknown>,
  prepare?: (client: Client) => Promise<unknown>,
): Promise<number[]> {
  const samples: number[][] = clients.map(() => []);
  for (let i = 0; i < times; i += 1) {
    for (const [index, client] of clients.entries()) {
      await prepare?.(client);
      const started = performance.now();
      await work(client);
      samples[index].push(performance.now() - started);
    }
  }
  return samples.map((list) => {
    list.sort((a, b) => a - b);
    return list[Math.floor(list.length / 2)];
  });
}

async function overHttp(
  databaseUrl: string,
): Promise<{ list: LoadResult; detail: LoadResult; health: LoadResult }> {
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
  const paths: Record<'health' | 'list' | 'detail', (i: number) => string> = {
    health: () => '/health/live',
    list: () => '/sources',
    detail: (i) => `/sources/${1 + (i % SOURCES)}?days=30`,
  };
  const rounds: Record<string, LoadResult[]> = { health: [], list: [], detail: [] };
  try {
    // Two rounds of each, taking turns, half the measured time each.
    for (let round = 0; round < 2; round += 1) {
      for (const [kind, path] of Object.entries(paths)) {
        let i = 0;
        rounds[kind].push(
          await closedLoop(CLIENTS, WARM_UP_SECONDS, SECONDS / 2, async (loop) => {
            const reply = await http.send(loop, 'GET', path((i += 1)), headers);
            return { ok: reply.status === 200 };
          }),
        );
      }
    }
  } finally {
    http.close();
    await service.stop();
  }
  const merged = Object.fromEntries(
    Object.entries(rounds).map(([kind, list]) => [kind, mergeRounds(list)]),
  ) as { list: LoadResult; detail: LoadResult; health: LoadResult };
  print('GET /health/live (control)', merged.health);
  print(`GET /sources, ${SOURCES} sources`, merged.list);
  print('GET /sources/:id?days=30', merged.detail);
  return merged;
}

/** Rounds of one kind as one result: their throughput, and the worst of their percentiles. */
function mergeRounds(list: LoadResult[]): LoadResult {
  const seconds = list.reduce((sum, r) => sum + r.seconds, 0);
  const requests = list.reduce((sum, r) => sum + r.requests, 0);
  return {
    ...list[0],
    seconds,
    requests,
    perSecond: requests / seconds,
    errors: list.reduce((sum, r) => sum + r.errors, 0),
    p50Ms: Math.max(...list.map((r) => r.p50Ms)),
    p90Ms: Math.max(...list.map((r) => r.p90Ms)),
    p99Ms: Math.max(...list.map((r) => r.p99Ms)),
    maxMs: Math.max(...list.map((r) => r.maxMs)),
  };
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
