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
 * BENCH_WARM_UP_SECONDS (2), BENCH_COUNTS_ROUNDS (2), and, to iterate on the reads:
 * - BENCH_COUNTS_PHASES (`refresh,http`): `http` alone skips the 100,000-lead database and step 2;
 * - BENCH_COUNTS_KEEP=1 keeps the databases (their names are printed) and
 *   BENCH_COUNTS_DATABASE=<name> reads a kept large one instead of loading a new one;
 * - BENCH_COUNTS_READS (`health,list,detail`): the reads step 3 times;
 * - BENCH_CPU_PROF=<dir>: the services run with --cpu-prof and write their profiles there;
 * - BENCH_COUNTS_BASELINE=<a built checkout> (e.g. the main branch, `git archive` + `npm run
 *   build`): the large database is created with that checkout's migrations, and step 3 runs its
 *   service and this one side by side, each on its own copy of the database, taking turns.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { closedLoop, HttpConnections, LoadResult } from './support/closed-loop';
import { CpuShares, cpuSnapshot, ProcessGroup } from './support/cpu-usage';
import { migrateDatabase, runStatement } from './support/database';
import { ROOT, RunningService, startService } from './support/service-process';
import { loadAverage } from './support/report';

const SERVER_URL =
  process.env.BENCH_DATABASE_URL ??
  process.env.TEST_DATABASE_URL ??
  'postgres://postgres@127.0.0.1:5432/test';
const LEADS = Number(process.env.BENCH_COUNTS_LEADS ?? 1_000_000);
const CLIENTS = Number(process.env.BENCH_COUNTS_CLIENTS ?? 8);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const WARM_UP_SECONDS = Number(process.env.BENCH_WARM_UP_SECONDS ?? 2);
const ROUNDS = Number(process.env.BENCH_COUNTS_ROUNDS ?? 2);
const PHASES = new Set((process.env.BENCH_COUNTS_PHASES ?? 'refresh,http').split(','));
const KEEP = process.env.BENCH_COUNTS_KEEP === '1';
const REUSED = process.env.BENCH_COUNTS_DATABASE;
const BASELINE = process.env.BENCH_COUNTS_BASELINE;
const READS = (process.env.BENCH_COUNTS_READS ?? 'health,list,detail').split(',');
const CPU_PROFILE_DIR = process.env.BENCH_CPU_PROF;
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

/** The three reads over HTTP, in the same rounds. */
export interface HttpReads {
  list: LoadResult;
  detail: LoadResult;
  /** GET /health/live in the same rounds: what the machine and the HTTP stack cost alone. */
  health: LoadResult;
}

/** A default run's result (the knobs that skip a phase leave its fields out). */
export interface SourceCountsResult extends HttpReads {
  small: RefreshCost;
  large: RefreshCost;
  /** With BENCH_COUNTS_BASELINE: the baseline checkout's service, in the same rounds. */
  baseline?: HttpReads;
}

interface Database {
  name: string;
  url: string;
  client: Client;
}

function databaseUrl(name: string): string {
  const url = new URL(SERVER_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

async function openDatabase(name: string): Promise<Database> {
  const url = databaseUrl(name);
  const client = new Client({ connectionString: url });
  await client.connect();
  return { name, url, client };
}

/**
 * A throwaway database on the server, migrated (with the baseline's migrations when comparing:
 * this checkout's service migrates its copy forward when it starts), with the bench's sources.
 */
async function createDatabase(): Promise<Database> {
  const name = `kls_bench_counts_${randomBytes(4).toString('hex')}`;
  await runStatement(SERVER_URL, `create database ${name}`);
  await migrateDatabase(databaseUrl(name), BASELINE);
  const database = await openDatabase(name);
  await database.client.query(`insert into sources (display_name, source_type)
    select 'Bench source ' || g, 'crm' from generate_series(1, ${SOURCES}) g`);
  return database;
}

async function main(): Promise<void> {
  execFileSync(process.execPath, ['scripts/ensure-built.js'], { cwd: ROOT, stdio: 'inherit' });
  const opened: Database[] = [];
  const owned: string[] = [];
  const copies: string[] = [];
  const result: Partial<SourceCountsResult> = {};
  try {
    // Two databases, 100,000 and 1,000,000 leads, timed in alternation so the machine's drift
    // hits both sizes alike.
    const small = PHASES.has('refresh') && !REUSED ? await createDatabase() : null;
    if (small) {
      opened.push(small);
      owned.push(small.name);
    }
    const large = REUSED ? await openDatabase(REUSED) : await createDatabase();
    opened.push(large);
    if (!REUSED) owned.push(large.name);
    if (small) await load(small.client, 0, Math.round(LEADS / 10));
    if (!REUSED) await load(large.client, 0, LEADS);
    if (small) {
      const [smallCost, largeCost] = await timeRefreshes([small.client, large.client]);
      report(smallCost);
      report(largeCost);
      console.log(
        `refresh ${largeCost.leads.toLocaleString('en')} / ${smallCost.leads.toLocaleString('en')} leads: ` +
          `idle ${(largeCost.idleMs / smallCost.idleMs).toFixed(2)}x, ` +
          `1,000 pending ${(largeCost.pending1000Ms / smallCost.pending1000Ms).toFixed(2)}x ` +
          `(read-time derivation: ${(largeCost.derivedMs / smallCost.derivedMs).toFixed(2)}x)`,
      );
      Object.assign(result, { small: smallCost, large: largeCost });
    }
    if (PHASES.has('http')) {
      const postgres = await localPostmaster(large.client);
      await large.client.end(); // a database with a session open cannot be a template
      if (BASELINE) {
        // Each service migrates (or not) its own copy, so neither sees the other's functions.
        for (const copy of [`${large.name}_base`, `${large.name}_this`]) {
          await runStatement(SERVER_URL, `create database ${copy} template ${large.name}`);
          copies.push(copy);
        }
        const [baseline, current] = await overHttp(
          [
            { label: 'baseline', root: BASELINE, url: databaseUrl(copies[0]) },
            { label: 'this checkout', root: ROOT, url: databaseUrl(copies[1]) },
          ],
          postgres,
        );
        Object.assign(result, current, { baseline });
      } else {
        const [current] = await overHttp([{ label: '', root: ROOT, url: large.url }], postgres);
        Object.assign(result, current);
      }
    }
    console.log(`load average ${loadAverage()}`);
    console.log(`RESULT ${JSON.stringify(result)}`);
  } finally {
    for (const { client } of opened) await client.end().catch(() => undefined);
    for (const name of copies) await dropDatabase(name);
    for (const name of owned) {
      if (KEEP) console.log(`kept database ${name} (BENCH_COUNTS_DATABASE=${name} reads it again)`);
      else await dropDatabase(name);
    }
  }
}

/** The PostgreSQL server's processes when it runs on this machine (their CPU is then counted). */
async function localPostmaster(client: Client): Promise<Record<string, ProcessGroup>> {
  const { rows } = await client.query<{ pid: number }>('select pg_backend_pid() as pid');
  try {
    const stat = readFileSync(`/proc/${rows[0].pid}/stat`, 'utf8');
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    return { postgres: { pid: ppid, children: true } };
  } catch {
    return {};
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
  // The counts' tables too: the folds above rewrote every day row several times, and the
  // bench's server may run without autovacuum (CI's does), which production's would have
  // cleaned up since.
  await client.query(
    'vacuum analyze leads_master, lead_sources_history, knowlarity_source_count_deltas, ' +
      'knowlarity_source_day_counts, knowlarity_source_totals',
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

interface ServiceUnderTest {
  label: string;
  /** The checkout whose dist/main.js runs. */
  root: string;
  url: string;
}

/**
 * Runs each checkout's built service on its database and BENCH_COUNTS_CLIENTS keep-alive
 * clients against the control and the two reads: ROUNDS rounds, taking turns by read and by
 * service. Returns each service's reads, its rounds merged.
 */
async function overHttp(
  targets: ServiceUnderTest[],
  postgres: Record<string, ProcessGroup>,
): Promise<HttpReads[]> {
  const running: { service: RunningService; http: HttpConnections }[] = [];
  const headers = { 'x-api-key': API_KEY };
  const paths: Record<keyof HttpReads, (i: number) => string> = {
    health: () => '/health/live',
    list: () => '/sources',
    detail: (i) => `/sources/${1 + (i % SOURCES)}?days=30`,
  };
  const rounds = targets.map((): Record<keyof HttpReads, LoadResult[]> => ({
    health: [],
    list: [],
    detail: [],
  }));
  try {
    for (const target of targets) {
      const service = await startService(
        {
          DATABASE_DRIVER: 'postgres',
          DATABASE_URL: target.url,
          INTERNAL_API_KEYS: API_KEY,
          SOURCE_COUNTS_REFRESH_SECONDS: '1',
          SOURCE_COUNTS_RECOUNT_AT: 'off',
          KNOWLARITY_POLL_ENABLED: 'false',
          LOG_LEVEL: 'warn',
        },
        { script: join(target.root, 'dist/main.js'), cpuProfileDir: CPU_PROFILE_DIR },
      );
      running.push({ service, http: new HttpConnections(service.port, CLIENTS) });
    }
    for (let round = 0; round < ROUNDS; round += 1) {
      for (const kind of READS as (keyof HttpReads)[]) {
        for (const [index, { service, http }] of running.entries()) {
          let i = 0;
          const cpu = () =>
            cpuSnapshot({
              service: { pid: service.child.pid! },
              loadGenerator: { pid: process.pid },
              ...postgres,
            });
          rounds[index][kind].push(
            await closedLoop(
              CLIENTS,
              WARM_UP_SECONDS,
              SECONDS / ROUNDS,
              async (loop) => {
                const reply = await http.send(loop, 'GET', paths[kind]((i += 1)), headers);
                return { ok: reply.status === 200 };
              },
              cpu,
            ),
          );
        }
      }
    }
  } finally {
    for (const { service, http } of running) {
      http.close();
      await service.stop();
    }
  }
  return targets.map((target, index) => {
    const merged = Object.fromEntries(
      READS.map((kind) => [kind, mergeRounds(rounds[index][kind as keyof HttpReads])]),
    ) as unknown as HttpReads;
    const label = target.label ? `${target.label}: ` : '';
    const titles = {
      health: 'GET /health/live (control)',
      list: `GET /sources, ${SOURCES} sources`,
      detail: 'GET /sources/:id?days=30',
    };
    for (const kind of READS as (keyof HttpReads)[]) print(`${label}${titles[kind]}`, merged[kind]);
    return merged;
  });
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
    cpu: meanShares(list.map((r) => r.cpu)),
    p50Ms: Math.max(...list.map((r) => r.p50Ms)),
    p90Ms: Math.max(...list.map((r) => r.p90Ms)),
    p99Ms: Math.max(...list.map((r) => r.p99Ms)),
    maxMs: Math.max(...list.map((r) => r.maxMs)),
  };
}

/** The rounds' mean cores per process group (each round is measured for the same time). */
function meanShares(list: (CpuShares | undefined)[]): CpuShares | undefined {
  const measured = list.filter((shares): shares is CpuShares => shares !== undefined);
  if (measured.length === 0) return undefined;
  const mean: CpuShares = {};
  for (const shares of measured) {
    for (const [name, cores] of Object.entries(shares)) {
      mean[name] = (mean[name] ?? 0) + cores / measured.length;
    }
  }
  return mean;
}

function report(cost: RefreshCost): void {
  console.log(
    `${cost.leads.toLocaleString('en')} leads, ${cost.history.toLocaleString('en')} history rows: ` +
      `refresh idle ${cost.idleMs.toFixed(2)} ms, with 1,000 pending ${cost.pending1000Ms.toFixed(2)} ms; ` +
      `read-time derivation ${cost.derivedMs.toFixed(0)} ms; full recount ${cost.recountSeconds.toFixed(1)} s`,
  );
}

function print(label: string, r: LoadResult): void {
  const perRequest = (cores: number | undefined) =>
    cores === undefined ? '?' : ((cores / r.perSecond) * 1000).toFixed(3);
  const cpu = r.cpu
    ? `\n  cores: ${Object.entries(r.cpu)
        .map(([name, cores]) => `${name} ${cores.toFixed(2)}`)
        .join(', ')}; CPU a request: service ${perRequest(r.cpu.service)} ms, ` +
      `postgres ${perRequest(r.cpu.postgres)} ms`
    : '';
  console.log(
    `${label}, ${r.connections} clients: ${r.perSecond.toFixed(0)}/s, p50 ${r.p50Ms.toFixed(2)} ms, ` +
      `p99 ${r.p99Ms.toFixed(2)} ms, max ${r.maxMs.toFixed(1)} ms, errors ${r.errors}${cpu}`,
  );
}

function dropDatabase(name: string): Promise<void> {
  return runStatement(SERVER_URL, `drop database if exists ${name} with (force)`);
}

if (require.main === module) {
  main().catch((error: Error) => {
    console.error(error);
    process.exitCode = 1;
  });
}
