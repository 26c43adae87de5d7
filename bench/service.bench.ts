/**
 * The whole service under load, in one run (issues 7, 12, 13 and 14):
 *
 *   npm run bench   (tsc -p bench/tsconfig.json && node dist-bench/bench/service.bench.js)
 *
 * 1. naive vs service: the naive check-then-insert handler (bench/naive, Fastify + pg, no
 *    transaction, no lock) and the built service (`node dist/main.js`, postgres driver, group
 *    commit on) on the same PostgreSQL cluster, each on a database of its own, with the same mix
 *    of {@link WebhookMix}, at 16, 64 and 256 connections, in alternating rounds (naive, service,
 *    naive, service): req/s, p50, p99, errors and duplicate leads, with the ratios, and the
 *    service's CPU per webhook; then, on the same service, BENCH_COUNT_ROUNDS (6) rounds at 64
 *    connections alternating the source-count maintenance on and off (issue 13's ingest cost);
 * 2. back-fill: the simulator's call log of BENCH_BACKFILL_CALLS (25,000) calls through
 *    `POST /sync/knowlarity/backfill` (pages of 1,000), on a service with group commit and on one
 *    with INGEST_BATCH_MAX=1, each on a fresh database, in BENCH_BACKFILL_ROUNDS (2) alternating
 *    rounds;
 * 3. source counts: bench/source-counts.bench.ts as a step (100 sources, 100,000 and 1,000,000
 *    leads: the refresh's cost at both sizes, GET /sources and GET /sources/:id at 8 clients);
 * 4. the webhook mix on the embedded PGlite driver at 64 and 256 connections, group commit on vs
 *    INGEST_BATCH_MAX=1, alternating rounds, and each PGlite service's peak RSS (that pair for
 *    every build of BENCH_SERVICE_DIRS when it is set);
 * 5. builds, when BENCH_SERVICE_DIRS names checkouts (comma-separated directories, each with its
 *    own built `dist/`): one service per build, each on a database of its own, in alternating
 *    rounds at every BENCH_CONNECTIONS, with each build's CPU per webhook and its ratios to the
 *    first build (a change measured against its base in one run);
 * 6. optional (BENCH_SKIP decides; by default both are skipped to keep the run short): ceiling,
 *    `knowlarity_ingest_call` called directly through `pg` by BENCH_CEILING_CLIENTS (64) clients,
 *    no HTTP; look-up, bench/lookup.bench.ts run as a step (1,000,000 leads, its own database).
 *
 * PostgreSQL is a private cluster created in a temporary directory and removed at the end, or
 * BENCH_DATABASE_URL's server (throwaway databases are created on it and dropped). Every round
 * warms up for BENCH_WARM_UP_SECONDS (2) and measures BENCH_SECONDS (8); each server process
 * first runs BENCH_SERVICE_WARM_UP_SECONDS (5) of webhooks unmeasured. Prints a table and
 * writes bench/results/latest.json. Knobs: BENCH_CONNECTIONS (16,64,256), BENCH_ROUNDS (2),
 * BENCH_POOL_SIZE (10: the service's DATABASE_POOL_SIZE and the naive handler's pool),
 * BENCH_COUNT_ROUNDS (6), BENCH_PGLITE_CONNECTIONS (64,256), BENCH_SKIP (any of compare,counts,
 * backfill,sourcecounts,pglite,builds,ceiling,lookup; default ceiling,lookup; empty runs everything),
 * BENCH_SERVICE_DIRS (the builds to compare, also in the PGlite phase), BENCH_FLOOR (`http`,
 * `fastify`, `fastify@20`, ...: bare servers of bench/floor answering the same mix, as extra
 * builds of the builds phase: the floor under the CPU per webhook; `@ms` holds answers for a
 * release every ms, so the floor runs at about the service's rate), BENCH_CPU_PROF (a directory: the services run with --cpu-prof and write
 * their profiles there; summarise one with `node dist-bench/bench/cpu-profile-summary.js
 * <file>`), BENCH_PG_STATS=1 (the private cluster preloads pg_stat_statements; the costliest
 * statements, nested ones included, are printed after each phase), BENCH_SERVICE_NODE_FLAGS
 * (node flags for the services, e.g. `--max-old-space-size=256`, or `--require
 * <absolute path>/dist-bench/bench/support/event-loop-probe.js`: event-loop delay and GC pauses),
 * BENCH_PG_SETTINGS (`name=value ...` for the private cluster), BENCH_PG_PRIME_WAL_SEGMENTS (64:
 * WAL segments recycled before the run, see support/postgres-cluster.ts; 0: none),
 * BENCH_LATENCY_DUMP (a directory: every round writes each request's start and latency there),
 * BENCH_SERVICE_ENV (`NAME=value ...` for every service run, e.g. INGEST_BATCHES_IN_FLIGHT=5).
 *
 * Every phase also reports the cores used by the service, the load generator (this process),
 * PostgreSQL (the private cluster's processes) and everything else, read from /proc.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { parseIngestConfig } from '../src/config/ingest.config';
import { generateCalls } from '../tools/simulator/call-generator';
import { KnowlaritySimulator } from '../tools/simulator/simulator-server';
import { NAIVE_SCHEMA } from './naive/naive-webhook-server';
import { migrateDatabase, runStatement, withDatabase } from './support/database';
import { closedLoop, HttpConnections, LoadResult } from './support/closed-loop';
import { CpuShares, cpuShares, cpuSnapshot, CpuSnapshot, ProcessGroup } from './support/cpu-usage';
import { runLookupStep } from './support/lookup-step';
import { runSourceCountsStep } from './support/source-counts-step';
import { PostgresCluster, startPostgresCluster } from './support/postgres-cluster';
import {
  BackfillResult,
  cpuMsPerRequest,
  figuresTable,
  GOAL_CONNECTIONS,
  goals,
  meanOf,
  Measured,
  mib,
  loadAverage,
  ms,
  perSecond,
  Results,
  Round,
} from './support/report';
import { ROOT, RunningService, startService } from './support/service-process';
import {
  ingestStatementFor,
  PRIMARY_SR,
  SECOND_SOURCE,
  SECONDARY_SR,
  WebhookMix,
} from './support/webhook-mix';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const WARM_UP_SECONDS = Number(process.env.BENCH_WARM_UP_SECONDS ?? 2);
/** A fresh server process runs this long at 64 connections first, so its JIT is warm. */
const SERVICE_WARM_UP_SECONDS = Number(process.env.BENCH_SERVICE_WARM_UP_SECONDS ?? 5);
/** Each server database is analyzed after its warm-up (see warmUp). */
const ANALYZE_AFTER_WARM_UP = process.env.BENCH_ANALYZE !== '0';
const CONNECTIONS = (process.env.BENCH_CONNECTIONS ?? '16,64,256').split(',').map(Number);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
/** Rounds with and without the source-count maintenance, alternating (on, off, on, …). */
const COUNT_ROUNDS = Number(process.env.BENCH_COUNT_ROUNDS ?? 6);
/**
 * Every source-count write on the webhook path, off in the rounds without counting: the insert
 * triggers of 0006 (which count every writer but the group commit) and the group commit's own
 * delta insert (0018), turned into nothing by a rule on the delta table while it exists.
 */
const COUNTS_OFF = [
  'alter table leads_master disable trigger knowlarity_count_leads_insert',
  'alter table lead_sources_history disable trigger knowlarity_count_history_insert',
  'create rule knowlarity_bench_counts_off as on insert to knowlarity_source_count_deltas do instead nothing',
];
const COUNTS_ON = [
  'alter table leads_master enable trigger knowlarity_count_leads_insert',
  'alter table lead_sources_history enable trigger knowlarity_count_history_insert',
  'drop rule if exists knowlarity_bench_counts_off on knowlarity_source_count_deltas',
];
const PGLITE_CONNECTIONS = (process.env.BENCH_PGLITE_CONNECTIONS ?? '64,256')
  .split(',')
  .map(Number);
const CEILING_CLIENTS = Number(process.env.BENCH_CEILING_CLIENTS ?? 64);
/** Enough prepared statements for (WARM_UP_SECONDS + SECONDS) at 12,000 calls/s. */
const CEILING_PREPARED = Number(
  process.env.BENCH_CEILING_PREPARED ?? (WARM_UP_SECONDS + SECONDS) * 12_000,
);
const BACKFILL_CALLS = Number(process.env.BENCH_BACKFILL_CALLS ?? 25_000);
// One back-fill of each kind, first one then the other, measured 0.84x to 1.16x between runs
// (the two run the same code: pages do not go through the batcher): alternating rounds, as
// everywhere else, so that neither gets the machine's quieter minute.
const BACKFILL_ROUNDS = Number(process.env.BENCH_BACKFILL_ROUNDS ?? 2);
const POOL_SIZE = process.env.BENCH_POOL_SIZE ?? '10';
const SKIP = new Set((process.env.BENCH_SKIP ?? 'ceiling,lookup').split(',').filter(Boolean));
const CPU_PROFILE_DIR = process.env.BENCH_CPU_PROF;
/** BENCH_PG_SETTINGS: `name=value` pairs, space-separated, for the bench's own cluster. */
const PG_SETTINGS = (process.env.BENCH_PG_SETTINGS ?? '').split(' ').filter(Boolean);
/** Node flags for the service processes, e.g. `--max-old-space-size=256` (as in a 512 MB container). */
const SERVICE_NODE_FLAGS = (process.env.BENCH_SERVICE_NODE_FLAGS ?? '').split(' ').filter(Boolean);
/** Preload pg_stat_statements (nested statements too) and print the costliest after each phase. */
const PG_STATS = process.env.BENCH_PG_STATS === '1';
/** How many of the costliest statements BENCH_PG_STATS prints. */
const PG_STATS_TOP = Number(process.env.BENCH_PG_STATS_TOP ?? 8);
/**
 * Checkouts whose builds (`<dir>/dist/main.js`) run side by side in the builds phase. After its
 * directory an entry may name node flags and settings for that build alone
 * (`<dir> --max-semi-space-size=32 INGEST_BATCHES_IN_FLIGHT=2`), added to
 * BENCH_SERVICE_NODE_FLAGS and BENCH_SERVICE_ENV: one build compared under two settings.
 */
const SERVICE_BUILDS = (process.env.BENCH_SERVICE_DIRS ?? '')
  .split(',')
  .filter((entry) => entry.trim() !== '')
  .map((entry) => {
    const [dir, ...extras] = entry.trim().split(/\s+/);
    const nodeFlags = extras.filter((extra) => extra.startsWith('-'));
    const env = settingsOf(extras.filter((extra) => !extra.startsWith('-')));
    return { dir, nodeFlags, env, label: entry.trim() };
  });

/** `NAME=value` pairs as environment variables (a value may itself hold `=`). */
function settingsOf(pairs: string[]): Record<string, string> {
  return Object.fromEntries(
    pairs.map((pair) => [pair.split('=')[0], pair.split('=').slice(1).join('=')]),
  );
}
const SERVICE_DIRS = SERVICE_BUILDS.map((build) => build.dir);
/** How long a started PGlite service is left alone before its idle RSS is read. */
const IDLE_SETTLE_MS = 3000;
/**
 * When idle RSS is read a second time: V8's memory reducer shrinks the new space that module
 * loading grew (about 30 MiB) some 8–20 s after start-up, so the 3 s reading is start-up's, and
 * this one is what an idle service holds.
 */
const IDLE_SETTLED_MS = 25_000;
/** Rounds whose slowest request took longer than this list their slowest requests. */
const SLOW_MS = Number(process.env.BENCH_SLOW_MS ?? 1000);
const NAIVE_SCRIPT = 'dist-bench/bench/naive/naive-webhook-server.js';
const FLOOR_SCRIPT = 'dist-bench/bench/floor/floor-server.js';
/**
 * Bare servers (bench/floor: `http`, `fastify`; `fastify@20` holds each answer for a release every
 * 20 ms, as a group commit does) run in the builds phase after the builds.
 */
const FLOORS = (process.env.BENCH_FLOOR ?? '').split(',').filter(Boolean);

const TOKEN = randomBytes(24).toString('hex');
const API_KEY = `bench-${randomBytes(16).toString('hex')}`;
const WEBHOOK_PATH = `/webhooks/knowlarity/${TOKEN}`;
const NUMBER_SOURCES = `${SECONDARY_SR}=${SECOND_SOURCE}`;
const RULES = parseIngestConfig({ KNOWLARITY_NUMBER_SOURCES: NUMBER_SOURCES }).rules;
/** Both sides of the comparison get the same deliveries: same seed, same phones. */
const MIX_FIRST_PHONE = 9_100_000_000;

/**
 * What every service run gets: the bench's secrets, no rate limit, quiet logs, no poller, and
 * the source counts as deployed (the leased fold every second) without the nightly recount.
 */
const SERVICE_ENV = {
  INTERNAL_API_KEYS: API_KEY,
  KNOWLARITY_WEBHOOK_TOKEN: TOKEN,
  KNOWLARITY_NUMBER_SOURCES: NUMBER_SOURCES,
  WEBHOOK_RATE_LIMIT_PER_MINUTE: '100000000',
  LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn',
  SOURCE_COUNTS_REFRESH_SECONDS: '1',
  SOURCE_COUNTS_RECOUNT_AT: 'off',
  KNOWLARITY_POLL_ENABLED: 'false',
  DATABASE_POOL_SIZE: POOL_SIZE,
  // BENCH_SERVICE_ENV: `NAME=value ...` added to every service run.
  ...settingsOf((process.env.BENCH_SERVICE_ENV ?? '').split(' ').filter(Boolean)),
};
const UNBATCHED = { INGEST_BATCH_MAX: '1' };

/** A server under test: its process, its own mix of deliveries, and how to count duplicates. */
interface Target {
  name: string;
  server: RunningService;
  mix: WebhookMix;
  duplicateLeads: () => Promise<number>;
  /** Transactions and calls so far (the service's batch-size histogram); the naive has none. */
  batches?: () => Promise<{ transactions: number; calls: number }>;
  /** Runs before each of the target's rounds (e.g. switching the source counts). */
  beforeRound?: () => Promise<void>;
  /** Its database on the server (none for PGlite and the floors). */
  databaseUrl?: string;
}

async function main(): Promise<void> {
  execFileSync(process.execPath, ['scripts/ensure-built.js'], { cwd: ROOT, stdio: 'inherit' });
  const results: Results = {
    startedAt: new Date().toISOString(),
    machine: machine(),
    settings: {
      seconds: SECONDS,
      warmUpSeconds: WARM_UP_SECONDS,
      rounds: ROUNDS,
      connections: CONNECTIONS,
      backfillCalls: BACKFILL_CALLS,
      backfillRounds: BACKFILL_ROUNDS,
      poolSize: Number(POOL_SIZE),
      serviceNodeFlags: SERVICE_NODE_FLAGS,
      logLevel: SERVICE_ENV.LOG_LEVEL,
      skipped: [...SKIP],
      serviceDirs: SERVICE_DIRS,
    },
    compare: [],
    goals: [],
  };
  const began = Date.now();
  let cluster: PostgresCluster | undefined;
  let serverUrl = process.env.BENCH_DATABASE_URL;
  if (!serverUrl) {
    cluster = await startPostgresCluster([
      ...(PG_STATS
        ? ['shared_preload_libraries=pg_stat_statements', 'pg_stat_statements.track=all']
        : []),
      ...PG_SETTINGS,
    ]);
    serverUrl = cluster.url;
  }
  // On a server the bench did not start, PostgreSQL's CPU time lands in "other".
  const postgres: Record<string, ProcessGroup> = cluster
    ? { postgres: { pid: cluster.pid, children: true } }
    : {};
  const databases: string[] = [];
  const newDatabase = async (extraSql?: string) => {
    const name = `kls_bench_${randomBytes(4).toString('hex')}`;
    await admin(serverUrl, `create database ${name}`);
    databases.push(name);
    const url = withDatabase(serverUrl, name);
    await migrateDatabase(url);
    if (extraSql) await scalar(url, extraSql);
    return url;
  };
  try {
    const first = await newDatabase();
    results.machine.postgres = await scalar(first, 'show server_version');
    console.log(describeMachine(results.machine));
    const statements = PG_STATS ? await statementStats(first) : async () => undefined;

    if (!SKIP.has('compare')) await compare(results, newDatabase, postgres, statements);
    if (SERVICE_DIRS.length > 0 && !SKIP.has('builds'))
      results.builds = await builds(newDatabase, postgres);
    if (!SKIP.has('backfill')) {
      results.backfill = await backfills(newDatabase, postgres);
      await statements();
    }
    if (!SKIP.has('ceiling')) {
      results.ceiling = await ceiling(first, new WebhookMix(WEBHOOK_PATH, 9_000_000_000), () =>
        cpuSnapshot({ loadGenerator: { pid: process.pid }, ...postgres }),
      );
      print(`ceiling: knowlarity_ingest_call via pg, ${CEILING_CLIENTS} clients`, results.ceiling);
    }
    if (!SKIP.has('lookup')) {
      console.log('look-up: bench/lookup.bench.ts as a step');
      const step = await runLookupStep(serverUrl, { BENCH_LOG_LEVEL: SERVICE_ENV.LOG_LEVEL });
      results.lookup = { http: step.http, repository: step.repository, exitCode: step.exitCode };
    }
    if (!SKIP.has('sourcecounts')) {
      console.log('source counts: bench/source-counts.bench.ts as a step');
      results.sourceCounts = await runSourceCountsStep(serverUrl);
    }
  } finally {
    for (const name of databases)
      await admin(serverUrl, `drop database if exists ${name} with (force)`).catch(() => undefined);
    cluster?.stop();
  }

  if (!SKIP.has('pglite')) results.pglite = await pglite();

  results.goals = goals(results);
  const table = figuresTable(results);
  console.log(`\n${table}\n`);
  console.log(`${(Date.now() - began) / 1000} s in all; load average now ${loadAverage()}`);
  mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
  writeFileSync(
    join(ROOT, 'bench/results/latest.json'),
    `${JSON.stringify({ ...results, table }, null, 2)}\n`,
  );
  console.log('Wrote bench/results/latest.json');
}

/**
 * The naive handler and the service, each on a database of its own on the same cluster, with
 * the same deliveries, in alternating rounds at every connection count.
 */
async function compare(
  results: Results,
  newDatabase: (extraSql?: string) => Promise<string>,
  postgres: Record<string, ProcessGroup>,
  statements: () => Promise<void>,
): Promise<void> {
  const naiveUrl = await newDatabase(NAIVE_SCHEMA);
  const serviceUrl = await newDatabase();
  const naive = await startService(
    { DATABASE_URL: naiveUrl, POOL_SIZE, KNOWLARITY_NUMBER_SOURCES: NUMBER_SOURCES },
    { script: NAIVE_SCRIPT, nodeFlags: SERVICE_NODE_FLAGS },
  );
  const service = await startService(
    { ...SERVICE_ENV, DATABASE_DRIVER: 'postgres', DATABASE_URL: serviceUrl },
    { cpuProfileDir: CPU_PROFILE_DIR, nodeFlags: SERVICE_NODE_FLAGS },
  );
  const targets: Target[] = [
    target('naive', naive, naiveUrl),
    target('service', service, serviceUrl),
  ];
  try {
    for (const t of targets) await warmUp(t, postgres);
    for (const connections of CONNECTIONS) {
      const rounds = await alternate(targets, connections, postgres);
      const [naiveRounds, serviceRounds] = rounds;
      results.compare.push({ connections, naive: naiveRounds, service: serviceRounds });
      await statements();
    }
    if (!SKIP.has('counts')) {
      results.counts = await countRounds(targets[1], serviceUrl, postgres);
      await statements();
    }
    results.peakRssBytes = service.peakRssBytes();
  } finally {
    await Promise.all([naive.stop(), service.stop()]);
  }
  const at64 = results.compare.find((c) => c.connections === GOAL_CONNECTIONS);
  if (at64) results.serviceCpuMsPerWebhook = cpuMsPerRequest(at64.service.mean, 'server');
}

function target(name: string, server: RunningService, databaseUrl: string): Target {
  return {
    name,
    server,
    databaseUrl,
    mix: new WebhookMix(WEBHOOK_PATH, MIX_FIRST_PHONE),
    batches: name === 'naive' ? undefined : () => batchesOf(server),
    duplicateLeads: async () =>
      Number(
        await scalar(
          databaseUrl,
          'select count(*) - count(distinct phone_number_normalized) from leads_master',
        ),
      ),
  };
}

/**
 * The warm service at 64 connections with the source-count maintenance on and off in alternating
 * rounds (on, off, on, …; COUNT_ROUNDS in all), its mix continuing; ends with it on.
 */
async function countRounds(
  service: Target,
  databaseUrl: string,
  postgres: Record<string, ProcessGroup>,
): Promise<NonNullable<Results['counts']>> {
  const counts = (enabled: boolean) => async () => {
    await runStatement(
      databaseUrl,
      `begin; ${(enabled ? COUNTS_ON : COUNTS_OFF).join('; ')}; commit`,
    );
  };
  const counting = (on: boolean): Target => ({
    ...service,
    name: `service, counts ${on ? 'on' : 'off'}`,
    beforeRound: counts(on),
  });
  try {
    const [on, off] = await alternate(
      [counting(true), counting(false)],
      GOAL_CONNECTIONS,
      postgres,
      Math.ceil(COUNT_ROUNDS / 2),
    );
    return { on, off };
  } finally {
    await counts(true)();
  }
}

/** `rounds` rounds of each target, in turn (A, B, A, B); the measures of each target. */
async function alternate(
  targets: Target[],
  connections: number,
  groups: Record<string, ProcessGroup>,
  rounds = ROUNDS,
): Promise<Measured[]> {
  const measures: Round[][] = targets.map(() => []);
  for (let round = 0; round < rounds; round++) {
    for (const [index, t] of targets.entries()) {
      await t.beforeRound?.();
      const before = await t.duplicateLeads();
      const batchesBefore = await t.batches?.();
      const result = await webhook(t, connections, WARM_UP_SECONDS, SECONDS, groups);
      const batchesAfter = await t.batches?.();
      const measured: Round = {
        ...result,
        duplicateLeads: (await t.duplicateLeads()) - before,
        callsPerTransaction:
          batchesBefore && batchesAfter
            ? (batchesAfter.calls - batchesBefore.calls) /
              (batchesAfter.transactions - batchesBefore.transactions)
            : undefined,
      };
      measures[index].push(measured);
      print(`${t.name}, ${connections} connections, round ${round + 1}`, measured);
    }
  }
  return measures.map((r) => meanOf(connections, r));
}

/** The service's batch-size histogram: group-commit transactions and the calls they carried. */
async function batchesOf(server: RunningService): Promise<{ transactions: number; calls: number }> {
  const page = await (
    await fetch(`http://127.0.0.1:${server.port}/metrics`, { headers: { 'x-api-key': API_KEY } })
  ).text();
  const read = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(page)?.[1] ?? 0);
  return {
    transactions: read('knowlarity_ingest_batch_size_count'),
    calls: read('knowlarity_ingest_batch_size_sum'),
  };
}

/**
 * The warm-up, then statistics for the tables it filled. Every table of a bench database starts
 * empty, and a plan made for an empty table without statistics can pick the wrong index (the
 * missed-call queue's look-up by phone walked a partial index led by the time instead of the
 * unique index on the phone, 10x slower and growing with the queue) and keep it: each connection
 * caches its plans until ANALYZE invalidates them. On a server in use, autovacuum analyzes a
 * table once about a tenth of it has changed (it visits each database about once a minute), so
 * steady state has statistics; here the first would come in the middle of a round.
 * BENCH_ANALYZE=0 leaves it to autovacuum.
 */
async function warmUp(t: Target, groups: Record<string, ProcessGroup>): Promise<void> {
  await webhook(t, GOAL_CONNECTIONS, SERVICE_WARM_UP_SECONDS, 0, groups);
  if (t.databaseUrl && ANALYZE_AFTER_WARM_UP) await runStatement(t.databaseUrl, 'analyze');
}

async function webhook(
  t: Target,
  connections: number,
  warmUpSeconds: number,
  seconds: number,
  groups: Record<string, ProcessGroup>,
): Promise<LoadResult> {
  const http = new HttpConnections(t.server.port, connections);
  const cpu = () =>
    cpuSnapshot({
      server: { pid: t.server.child.pid! },
      loadGenerator: { pid: process.pid },
      ...groups,
    });
  try {
    return await closedLoop(
      connections,
      warmUpSeconds,
      seconds,
      async (loop) => {
        const { request } = t.mix.next();
        const reply = await http.send(
          loop,
          request.method,
          request.url,
          request.headers,
          request.body,
        );
        if (reply.status !== 200) return { ok: false, outcome: `HTTP ${reply.status}` };
        return { ok: true, outcome: /"outcome":"(\w+)"/.exec(reply.body)?.[1] };
      },
      cpu,
    );
  } finally {
    http.close();
  }
}

/**
 * The service built in each of SERVICE_DIRS, each on a database of its own with the same
 * deliveries, in alternating rounds (A, B, A, B) at every connection count: the CPU per webhook
 * and req/s of each build, and their ratios to the first.
 */
async function builds(
  newDatabase: () => Promise<string>,
  postgres: Record<string, ProcessGroup>,
): Promise<NonNullable<Results['builds']>> {
  const started: Target[] = [];
  try {
    for (const [index, { dir, nodeFlags, env, label }] of SERVICE_BUILDS.entries()) {
      const databaseUrl = await newDatabase();
      const server = await startService(
        { ...SERVICE_ENV, ...env, DATABASE_DRIVER: 'postgres', DATABASE_URL: databaseUrl },
        {
          cwd: dir,
          cpuProfileDir: CPU_PROFILE_DIR,
          nodeFlags: [...SERVICE_NODE_FLAGS, ...nodeFlags],
        },
      );
      console.log(`build ${index + 1}: ${label} (pid ${server.child.pid})`);
      started.push({ ...target('service', server, databaseUrl), name: `build ${index + 1}` });
    }
    for (const floor of FLOORS) {
      const server = await startService(
        { FLOOR: floor.split('@')[0], FLOOR_HOLD_MS: floor.split('@')[1] ?? '0' },
        { script: FLOOR_SCRIPT, cpuProfileDir: CPU_PROFILE_DIR, nodeFlags: SERVICE_NODE_FLAGS },
      );
      console.log(`build ${started.length + 1}: floor ${floor} (pid ${server.child.pid})`);
      started.push({
        name: `build ${started.length + 1} (floor ${floor})`,
        server,
        mix: new WebhookMix(WEBHOOK_PATH, MIX_FIRST_PHONE),
        duplicateLeads: async () => 0,
      });
    }
    for (const t of started) await warmUp(t, postgres);
    const byConnections = [];
    for (const connections of CONNECTIONS) {
      const measured = await alternate(started, connections, postgres);
      byConnections.push({ connections, builds: measured });
      console.log(buildsSummary(connections, measured));
    }
    const peakRssBytes = started.map((t) => t.server.peakRssBytes());
    console.log(
      `builds peak RSS (VmHWM): ${peakRssBytes.map((bytes, index) => `build ${index + 1} ${mib(bytes)}`).join(', ')}`,
    );
    return { dirs: SERVICE_DIRS, byConnections, peakRssBytes };
  } finally {
    await Promise.all(started.map((t) => t.server.stop()));
  }
}

function buildsSummary(connections: number, measured: Measured[]): string {
  const [first] = measured;
  const cpuOf = (m: Measured) => cpuMsPerRequest(m.mean, 'server') ?? NaN;
  return measured
    .map(
      (m, index) =>
        `builds at ${connections} connections, build ${index + 1}: ${perSecond(m.mean.perSecond)}/s ` +
        `(${(m.mean.perSecond / first.mean.perSecond).toFixed(2)}×), server CPU ` +
        `${cpuOf(m).toFixed(3)} ms a request (${(cpuOf(m) / cpuOf(first)).toFixed(2)}×), ` +
        `p99 ${ms(m.mean.p99Ms)}, errors ${m.mean.errors}`,
    )
    .join('\n');
}

/** The same back-fill on a service with group commit and on one without, each on a fresh database. */
async function backfills(
  newDatabase: () => Promise<string>,
  postgres: Record<string, ProcessGroup>,
): Promise<{ batching: BackfillResult; unbatched: BackfillResult }> {
  const from = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000 - 25 * 3_600_000);
  const to = new Date(from.getTime() + 24 * 3_600_000);
  const simulator = new KnowlaritySimulator({
    maxPageSize: 1000,
    calls: generateCalls({
      count: BACKFILL_CALLS,
      seed: 11,
      from,
      to,
      srNumbers: [PRIMARY_SR, SECONDARY_SR],
    }),
  });
  const simulatorUrl = await simulator.start();
  const run = async (label: string, round: number, extraEnv: Record<string, string>) => {
    const service = await startService(
      {
        ...SERVICE_ENV,
        ...extraEnv,
        DATABASE_DRIVER: 'postgres',
        DATABASE_URL: await newDatabase(),
        KNOWLARITY_BASE_URL: simulatorUrl,
        KNOWLARITY_API_KEY: simulator.apiKey,
        KNOWLARITY_SR_API_KEY: simulator.srApiKey,
        KNOWLARITY_PAGE_SIZE: '1000',
      },
      { nodeFlags: SERVICE_NODE_FLAGS },
    );
    try {
      const result = await backfill(service, from, to, postgres);
      console.log(
        `back-fill, ${label}, round ${round}: ${BACKFILL_CALLS.toLocaleString('en')} calls (${result.records} ` +
          `records read) in ${result.seconds.toFixed(1)} s: ${result.perSecond.toFixed(0)} calls/s, ` +
          `${result.status}\n  cores used: ${describeCpu(result.cpu)}`,
      );
      return result;
    } finally {
      await service.stop();
    }
  };
  try {
    const batching: BackfillResult[] = [];
    const unbatched: BackfillResult[] = [];
    // A, B, B, A, …: neither kind always runs first (the first of a pair was often the slower).
    for (let round = 1; round <= BACKFILL_ROUNDS; round++) {
      const pair = [
        async () => batching.push(await run('group commit', round, {})),
        async () => unbatched.push(await run('INGEST_BATCH_MAX=1', round, UNBATCHED)),
      ];
      if (round % 2 === 0) pair.reverse();
      for (const measure of pair) await measure();
    }
    return { batching: combineBackfills(batching), unbatched: combineBackfills(unbatched) };
  } finally {
    await simulator.stop();
  }
}

/** Rounds of one kind as one: their calls over their time, CPU weighted by time. */
function combineBackfills(rounds: BackfillResult[]): BackfillResult {
  const calls = rounds.reduce((sum, r) => sum + r.calls, 0);
  const seconds = rounds.reduce((sum, r) => sum + r.seconds, 0);
  const cpu: CpuShares = {};
  for (const r of rounds) {
    for (const [group, share] of Object.entries(r.cpu)) {
      cpu[group] = (cpu[group] ?? 0) + (share * r.seconds) / seconds;
    }
  }
  return {
    calls,
    records: rounds.reduce((sum, r) => sum + r.records, 0),
    seconds,
    perSecond: calls / seconds,
    status: rounds.find((r) => !r.status.startsWith('200 succeeded'))?.status ?? rounds[0].status,
    cpu,
  };
}

async function backfill(
  service: RunningService,
  from: Date,
  to: Date,
  groups: Record<string, ProcessGroup>,
): Promise<BackfillResult> {
  const cpu = () =>
    cpuSnapshot({
      server: { pid: service.child.pid! },
      loadGenerator: { pid: process.pid },
      ...groups,
    });
  const cpuBefore = cpu();
  const started = performance.now();
  const response = await fetch(`http://127.0.0.1:${service.port}/sync/knowlarity/backfill`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': API_KEY },
    body: JSON.stringify({ from: from.toISOString(), to: to.toISOString() }),
  });
  const seconds = (performance.now() - started) / 1000;
  const cpuUsed = cpuShares(cpuBefore, cpu());
  const summary = (await response.json()) as { status?: string; records?: number };
  return {
    calls: BACKFILL_CALLS,
    records: summary.records ?? 0,
    seconds,
    perSecond: BACKFILL_CALLS / seconds,
    status: `${response.status} ${summary.status ?? JSON.stringify(summary)}`,
    cpu: cpuUsed,
  };
}

/**
 * The webhook mix on the embedded database at PGLITE_CONNECTIONS (64, 256): a service with group
 * commit and one with INGEST_BATCH_MAX=1, each in a fresh data directory, in alternating rounds;
 * then each process's peak RSS over the whole phase. With BENCH_SERVICE_DIRS, that pair for each
 * build, all in one alternation; the result is the last build's, and `byBuild` has every build's.
 */
async function pglite(): Promise<Results['pglite']> {
  const builds =
    SERVICE_BUILDS.length > 0
      ? SERVICE_BUILDS
      : [{ dir: ROOT, nodeFlags: [], env: {}, label: ROOT }];
  const checkouts = builds.map((build) => build.label);
  const dirs: string[] = [];
  const started: RunningService[] = [];
  try {
    const targets: Target[] = [];
    for (const build of builds) {
      for (const [index, extraEnv] of [{}, UNBATCHED].entries()) {
        const dir = mkdtempSync(join(tmpdir(), 'kls-bench-pglite-'));
        dirs.push(dir);
        const server = await startService(
          {
            ...SERVICE_ENV,
            ...build.env,
            ...extraEnv,
            DATABASE_DRIVER: 'pglite',
            PGLITE_DATA_DIR: dir,
          },
          {
            cwd: build.dir,
            nodeFlags: [...SERVICE_NODE_FLAGS, ...build.nodeFlags],
            readyTimeoutMs: 120_000,
          },
        );
        started.push(server);
        const kind = index === 0 ? 'group commit' : 'INGEST_BATCH_MAX=1';
        targets.push({
          name: builds.length > 1 ? `PGlite ${build.label}, ${kind}` : `PGlite, ${kind}`,
          server,
          mix: new WebhookMix(WEBHOOK_PATH, MIX_FIRST_PHONE),
          batches: () => batchesOf(server),
          // One connection: PGlite cannot race, so a duplicate would be a bug, not a race.
          duplicateLeads: async () => 0,
        });
      }
    }
    // Idle: every service started, nothing sent yet (each opened a fresh directory and migrated).
    await new Promise((resolve) => setTimeout(resolve, IDLE_SETTLE_MS));
    const readIdle = (afterMs: number) => {
      const rss = started.map((service) => service.rssBytes());
      for (const [k, checkout] of checkouts.entries())
        console.log(
          `PGlite idle RSS (VmRSS, ${afterMs / 1000} s after ready), ${checkout}: group commit ${mib(rss[2 * k])}, unbatched ${mib(rss[2 * k + 1])}`,
        );
      return rss;
    };
    const idle = readIdle(IDLE_SETTLE_MS);
    await new Promise((resolve) => setTimeout(resolve, IDLE_SETTLED_MS - IDLE_SETTLE_MS));
    const settled = readIdle(IDLE_SETTLED_MS);
    for (const t of targets) await warmUp(t, {});
    const byBuild = checkouts.map((dir) => ({
      dir,
      byConnections: [] as { batching: Measured; unbatched: Measured }[],
      peakRssBytes: { batching: 0, unbatched: 0 },
    }));
    for (const connections of PGLITE_CONNECTIONS) {
      const measured = await alternate(targets, connections, {});
      for (const [k, build] of byBuild.entries()) {
        const [batching, unbatched] = measured.slice(2 * k, 2 * k + 2);
        build.byConnections.push({ batching, unbatched });
        console.log(
          `PGlite at ${connections} connections, ${build.dir}: group commit / INGEST_BATCH_MAX=1 ` +
            `${(batching.mean.perSecond / unbatched.mean.perSecond).toFixed(2)}× ` +
            `(${perSecond(batching.mean.perSecond)} / ${perSecond(unbatched.mean.perSecond)} req/s), ` +
            `p99 ${ms(batching.mean.p99Ms)} / ${ms(unbatched.mean.p99Ms)}`,
        );
      }
    }
    const peak = started.map((service) => service.peakRssBytes());
    for (const [k, build] of byBuild.entries())
      build.peakRssBytes = { batching: peak[2 * k], unbatched: peak[2 * k + 1] };
    for (const build of byBuild)
      console.log(
        `PGlite peak RSS (VmHWM), ${build.dir}: group commit ${mib(build.peakRssBytes.batching)}, unbatched ${mib(build.peakRssBytes.unbatched)}`,
      );
    const last = byBuild[byBuild.length - 1];
    return {
      byConnections: last.byConnections,
      peakRssBytes: last.peakRssBytes,
      idleRssBytes: { batching: idle.at(-2)!, unbatched: idle.at(-1)! },
      settledIdleRssBytes: { batching: settled.at(-2)!, unbatched: settled.at(-1)! },
      byBuild: checkouts.length > 1 ? byBuild : undefined,
    };
  } finally {
    await Promise.all(started.map((service) => service.stop()));
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }
}

/** 64 `pg` clients, each a closed loop of the exact statement the service sends per delivery. */
async function ceiling(
  databaseUrl: string,
  mix: WebhookMix,
  cpu: () => CpuSnapshot,
): Promise<LoadResult> {
  const clients = await Promise.all(
    Array.from({ length: CEILING_CLIENTS }, async () => {
      const client = new Client({ connectionString: databaseUrl });
      await client.connect();
      return client;
    }),
  );
  // Statements are built before the clock starts: building one (the service's decoding,
  // normaliser and delivery record) takes about 35 µs of the CPU PostgreSQL needs.
  const statements = Array.from({ length: CEILING_PREPARED }, () =>
    ingestStatementFor(mix.next().request, RULES, '127.0.0.1'),
  );
  let next = 0;
  try {
    return await closedLoop(
      CEILING_CLIENTS,
      WARM_UP_SECONDS,
      SECONDS,
      async (loop) => {
        const { text, values } =
          next < statements.length
            ? statements[next++]
            : ingestStatementFor(mix.next().request, RULES, '127.0.0.1');
        const { rows } = await clients[loop].query<{ result: { outcome: string } }>(text, values);
        return { ok: true, outcome: rows[0].result.outcome };
      },
      cpu,
    );
  } finally {
    await Promise.all(clients.map((client) => client.end()));
  }
}

/**
 * Resets pg_stat_statements and returns a function that prints the statements (nested ones
 * included) with the most execution time since the last call, then resets again.
 */
async function statementStats(databaseUrl: string): Promise<() => Promise<void>> {
  await scalar(databaseUrl, 'create extension if not exists pg_stat_statements');
  await scalar(databaseUrl, 'select pg_stat_statements_reset()');
  return async () => {
    const client = new Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      const { rows } = await client.query<{
        calls: string;
        ms: string;
        mean: string;
        query: string;
      }>(
        `select calls, round(total_exec_time::numeric) as ms, round(mean_exec_time::numeric, 3) as mean,
                left(regexp_replace(query, '\\s+', ' ', 'g'), 110) as query
         from pg_stat_statements order by total_exec_time desc limit $1`,
        [PG_STATS_TOP],
      );
      for (const row of rows)
        console.log(
          `    ${row.calls.padStart(7)} calls ${row.ms.padStart(7)} ms (${row.mean} ms each) ${row.query}`,
        );
      await client.query('select pg_stat_statements_reset()');
    } finally {
      await client.end();
    }
  };
}

async function admin(serverUrl: string, sql: string): Promise<void> {
  await scalar(serverUrl, sql);
}

async function scalar(url: string, sql: string): Promise<unknown> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<Record<string, unknown>>(sql);
    return rows[0] ? Object.values(rows[0])[0] : undefined;
  } finally {
    await client.end();
  }
}

function machine(): Record<string, unknown> {
  const model = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1];
  return {
    cores: cpus().length,
    cpuModel: model ?? cpus()[0]?.model,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    loadAverageAtStart: loadavg().map((v) => Number(v.toFixed(2))),
  };
}

function describeMachine(m: Record<string, unknown>): string {
  return (
    `${String(m.cores)} cores (${String(m.cpuModel)}), ${String(m.memoryGiB)} GiB, ` +
    `Node ${String(m.node)}, PostgreSQL ${String(m.postgres)}; load average ` +
    `${(m.loadAverageAtStart as number[]).join(' ')}`
  );
}

function print(label: string, r: LoadResult & Partial<Round>): void {
  const outcomes = Object.entries(r.outcomes)
    .sort(([, a], [, b]) => b - a)
    .map(([key, count]) => `${key} ${count}`)
    .join(', ');
  console.log(
    `${label}: ${perSecond(r.perSecond)}/s, p50 ${ms(r.p50Ms)}, p99 ${ms(r.p99Ms)}, ` +
      `max ${ms(r.maxMs)}, errors ${r.errors}` +
      (r.duplicateLeads === undefined ? '' : `, duplicate leads ${r.duplicateLeads}`) +
      (r.callsPerTransaction === undefined
        ? ''
        : `, ${r.callsPerTransaction.toFixed(1)} calls per transaction`) +
      `\n  ${outcomes}` +
      (r.cpu
        ? `\n  cores used: ${describeCpu(r.cpu)}` +
          (r.cpu.server === undefined
            ? ''
            : `; server CPU ${((r.cpu.server / r.perSecond) * 1000).toFixed(3)} ms a request`)
        : '') +
      (r.slowest && r.maxMs > SLOW_MS
        ? `\n  slowest: ${r.slowest
            .map(
              (s) =>
                `loop ${s.loop} #${s.sequence} ${s.outcome} ${ms(s.latencyMs)} (${(s.beganMs / 1000).toFixed(2)}–${(s.endedMs / 1000).toFixed(2)} s)`,
            )
            .join(', ')}`
        : ''),
  );
}

const describeCpu = (shares: CpuShares) =>
  Object.entries(shares)
    .map(([name, cores]) => `${name} ${cores.toFixed(2)}`)
    .join(', ');

main().catch((error: Error) => {
  console.error(error);
  process.exitCode = 1;
});
