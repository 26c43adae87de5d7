/**
 * The whole service under load, in one run (issue 7):
 *
 *   npm run bench   (node scripts/ensure-built.js && tsc -p bench/tsconfig.json && node dist-bench/bench/service.bench.js)
 *
 * 1. ceiling: `knowlarity_ingest_call` called directly through `pg` by BENCH_CEILING_CLIENTS (64)
 *    clients with the statements the service would send for the same deliveries: no HTTP;
 * 2. webhook: `POST|GET /webhooks/knowlarity/<token>` on the built service (`node dist/main.js`,
 *    postgres driver) with the mix of {@link WebhookMix} at 16, 64 and 256 connections, and
 *    the ratio of webhook to ceiling throughput at 64;
 * 3. back-fill: the simulator's call log of BENCH_BACKFILL_CALLS (100,000) calls through
 *    `POST /sync/knowlarity/backfill`, pages of 1,000;
 * 4. the service's peak RSS (VmHWM of its process over phases 2 and 3);
 * 5. look-up: bench/lookup.bench.ts run as a step (1,000,000 leads, its own database);
 * 6. the webhook phases again on the embedded PGlite driver (its own service process).
 *
 * PostgreSQL is a private cluster created in a temporary directory and removed at the end, or
 * BENCH_DATABASE_URL's server (a throwaway database is created on it and dropped). Every phase
 * warms up for BENCH_WARM_UP_SECONDS (2) and measures BENCH_SECONDS (8); each service process
 * first runs BENCH_SERVICE_WARM_UP_SECONDS (5) of webhooks unmeasured. Prints a table and
 * writes bench/results/latest.json. Knobs: BENCH_CONNECTIONS (16,64,256), BENCH_POOL_SIZE (10,
 * the service's DATABASE_POOL_SIZE), BENCH_SKIP (any of ceiling,webhook,backfill,lookup,pglite),
 * BENCH_CPU_PROF (a directory: the services run with --cpu-prof and write their profiles there;
 * summarise one with `node dist-bench/bench/cpu-profile-summary.js <file>`), BENCH_PG_STATS=1
 * (the private cluster preloads pg_stat_statements; the costliest statements, nested ones
 * included, are printed after each phase), BENCH_SERVICE_NODE_FLAGS (node flags for the
 * services, e.g. `--max-old-space-size=256`).
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
import { closedLoop, HttpConnections, LoadResult } from './support/closed-loop';
import { CpuShares, cpuShares, cpuSnapshot, CpuSnapshot, ProcessGroup } from './support/cpu-usage';
import { LookupStepResult, runLookupStep } from './support/lookup-step';
import { migrateDatabase } from './support/database';
import { PostgresCluster, startPostgresCluster } from './support/postgres-cluster';
import { runSourceCountsStep } from './support/source-counts-step';
import type { SourceCountsResult } from './source-counts.bench';
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
/** A fresh service process runs this long at 64 connections first, so its JIT is warm. */
const SERVICE_WARM_UP_SECONDS = Number(process.env.BENCH_SERVICE_WARM_UP_SECONDS ?? 5);
const CONNECTIONS = (process.env.BENCH_CONNECTIONS ?? '16,64,256').split(',').map(Number);
const CEILING_CLIENTS = Number(process.env.BENCH_CEILING_CLIENTS ?? 64);
/** Enough prepared statements for (WARM_UP_SECONDS + SECONDS) at 12,000 calls/s. */
const CEILING_PREPARED = Number(
  process.env.BENCH_CEILING_PREPARED ?? (WARM_UP_SECONDS + SECONDS) * 12_000,
);
const BACKFILL_CALLS = Number(process.env.BENCH_BACKFILL_CALLS ?? 100_000);
const POOL_SIZE = process.env.BENCH_POOL_SIZE ?? '10';
const SKIP = new Set((process.env.BENCH_SKIP ?? '').split(',').filter(Boolean));
const CPU_PROFILE_DIR = process.env.BENCH_CPU_PROF;
/** Node flags for the service processes, e.g. `--max-old-space-size=256` (as in a 512 MB container). */
const SERVICE_NODE_FLAGS = (process.env.BENCH_SERVICE_NODE_FLAGS ?? '').split(' ').filter(Boolean);
/** Preload pg_stat_statements (nested statements too) and print the costliest after each phase. */
const PG_STATS = process.env.BENCH_PG_STATS === '1';
/** The connection count the goals and the webhook/ceiling ratio are read at. */
const GOAL_CONNECTIONS = 64;
/** Alternating rounds with and without the source-count triggers (with, without, with, ...). */
const COUNT_ROUNDS = Number(process.env.BENCH_COUNT_ROUNDS ?? 6);
/** The count triggers on the ingest's tables, switched off in the rounds without counting. */
const COUNT_TRIGGERS = [
  'leads_master knowlarity_count_leads_insert',
  'lead_sources_history knowlarity_count_history_insert',
];

const TOKEN = randomBytes(24).toString('hex');
const API_KEY = `bench-${randomBytes(16).toString('hex')}`;
const WEBHOOK_PATH = `/webhooks/knowlarity/${TOKEN}`;
const NUMBER_SOURCES = `${SECONDARY_SR}=${SECOND_SOURCE}`;
const RULES = parseIngestConfig({ KNOWLARITY_NUMBER_SOURCES: NUMBER_SOURCES }).rules;

/** What every service run gets: the bench's secrets, no rate limit, quiet logs, no timers. */
const SERVICE_ENV = {
  INTERNAL_API_KEYS: API_KEY,
  KNOWLARITY_WEBHOOK_TOKEN: TOKEN,
  KNOWLARITY_NUMBER_SOURCES: NUMBER_SOURCES,
  WEBHOOK_RATE_LIMIT_PER_MINUTE: '100000000',
  LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn',
  SOURCE_COUNTS_REFRESH_SECONDS: '0',
  KNOWLARITY_POLL_ENABLED: 'false',
  DATABASE_POOL_SIZE: POOL_SIZE,
};

interface Results {
  startedAt: string;
  machine: Record<string, unknown>;
  settings: Record<string, unknown>;
  ceiling?: LoadResult;
  webhook: LoadResult[];
  webhookToCeiling?: number;
  backfill?: {
    calls: number;
    records: number;
    seconds: number;
    perSecond: number;
    status: string;
    cpu: CpuShares;
  };
  peakRssBytes?: number;
  /** VmHWM after the webhook phases, before the back-fill. */
  peakRssAfterWebhookBytes?: number;
  lookup?: Omit<LookupStepResult, 'output'>;
  /** Webhook rounds at 64 connections with the count triggers on and off, alternating. */
  counts?: { with: LoadResult[]; without: LoadResult[]; ratio: number };
  sourceCounts?: SourceCountsResult | null;
  pglite?: { webhook: LoadResult[]; peakRssBytes: number };
  goals: Goal[];
}

interface Goal {
  name: string;
  goal: string;
  value: string;
  met: boolean | null;
}

async function main(): Promise<void> {
  execFileSync(process.execPath, ['scripts/ensure-built.js'], { cwd: ROOT, stdio: 'inherit' });
  const results: Results = {
    startedAt: new Date().toISOString(),
    machine: machine(),
    settings: {
      seconds: SECONDS,
      warmUpSeconds: WARM_UP_SECONDS,
      connections: CONNECTIONS,
      ceilingClients: CEILING_CLIENTS,
      backfillCalls: BACKFILL_CALLS,
      poolSize: Number(POOL_SIZE),
      serviceNodeFlags: SERVICE_NODE_FLAGS,
      logLevel: SERVICE_ENV.LOG_LEVEL,
    },
    webhook: [],
    goals: [],
  };
  const began = Date.now();
  let cluster: PostgresCluster | undefined;
  let serverUrl = process.env.BENCH_DATABASE_URL;
  if (!serverUrl) {
    cluster = await startPostgresCluster(
      PG_STATS
        ? ['shared_preload_libraries=pg_stat_statements', 'pg_stat_statements.track=all']
        : [],
    );
    serverUrl = cluster.url;
  }
  const name = `kls_bench_${randomBytes(4).toString('hex')}`;
  const databaseUrl = withDatabase(serverUrl, name);
  try {
    await admin(serverUrl, `create database ${name}`);
    results.machine.postgres = await scalar(databaseUrl, 'show server_version');
    console.log(describeMachine(results.machine));
    await migrateDatabase(databaseUrl);
    const statements = PG_STATS ? await statementStats(databaseUrl) : async () => undefined;

    // The ceiling prepares more deliveries than it sends, so the webhook phases get a mix of
    // their own (whose repeats only name phones it has sent), on phones of their own.
    const mix = new WebhookMix(WEBHOOK_PATH, 9_100_000_000);
    // On a server the bench did not start, PostgreSQL's CPU time lands in "other".
    const postgres: Record<string, ProcessGroup> = cluster
      ? { postgres: { pid: cluster.pid, children: true } }
      : {};
    if (!SKIP.has('ceiling')) {
      results.ceiling = await ceiling(
        databaseUrl,
        new WebhookMix(WEBHOOK_PATH, 9_000_000_000),
        () => cpuSnapshot({ loadGenerator: { pid: process.pid }, ...postgres }),
      );
      print(`ceiling: knowlarity_ingest_call via pg, ${CEILING_CLIENTS} clients`, results.ceiling);
      await statements();
    }

    const backfillFrom = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000 - 25 * 3_600_000);
    const backfillTo = new Date(backfillFrom.getTime() + 24 * 3_600_000);
    const simulator = new KnowlaritySimulator({
      maxPageSize: 1000,
      calls: SKIP.has('backfill')
        ? []
        : generateCalls({
            count: BACKFILL_CALLS,
            seed: 11,
            from: backfillFrom,
            to: backfillTo,
            srNumbers: [PRIMARY_SR, SECONDARY_SR],
          }),
    });
    const simulatorUrl = await simulator.start();
    const service = await startService(
      {
        ...SERVICE_ENV,
        DATABASE_DRIVER: 'postgres',
        DATABASE_URL: databaseUrl,
        KNOWLARITY_BASE_URL: simulatorUrl,
        KNOWLARITY_API_KEY: simulator.apiKey,
        KNOWLARITY_SR_API_KEY: simulator.srApiKey,
        KNOWLARITY_PAGE_SIZE: '1000',
        // The counts as deployed: the leased fold every second (the nightly recount off).
        SOURCE_COUNTS_REFRESH_SECONDS: '1',
        SOURCE_COUNTS_RECOUNT_AT: 'off',
      },
      { cpuProfileDir: CPU_PROFILE_DIR, nodeFlags: SERVICE_NODE_FLAGS },
    );
    const cpu = () =>
      cpuSnapshot({
        service: { pid: service.child.pid! },
        loadGenerator: { pid: process.pid },
        ...postgres,
      });
    try {
      if (!SKIP.has('webhook')) {
        await webhook(service, mix, GOAL_CONNECTIONS, SERVICE_WARM_UP_SECONDS, 0, cpu);
        for (const connections of CONNECTIONS) {
          const result = await webhook(service, mix, connections, WARM_UP_SECONDS, SECONDS, cpu);
          results.webhook.push(result);
          print(`webhook (PostgreSQL), ${connections} connections`, result);
          await statements();
        }
      }
      if (!SKIP.has('counts')) {
        results.counts = await countRounds(databaseUrl, service, mix, cpu);
      }
      results.peakRssAfterWebhookBytes = service.peakRssBytes();
      if (!SKIP.has('backfill')) {
        results.backfill = await backfill(service, backfillFrom, backfillTo, cpu);
        const { perSecond, seconds, records, status } = results.backfill;
        console.log(
          `back-fill: ${BACKFILL_CALLS.toLocaleString('en')} calls (${records} records read) ` +
            `in ${seconds.toFixed(1)} s: ${perSecond.toFixed(0)} calls/s, ${status}\n` +
            `  cores used: ${describeCpu(results.backfill.cpu)}`,
        );
        await statements();
      }
      results.peakRssBytes = service.peakRssBytes();
      console.log(
        `service peak RSS (VmHWM): ${mib(results.peakRssBytes)} ` +
          `(${mib(results.peakRssAfterWebhookBytes)} after the webhook phases)`,
      );
    } finally {
      await service.stop();
      await simulator.stop();
    }
    const at64 = results.webhook.find((r) => r.connections === GOAL_CONNECTIONS);
    if (results.ceiling && at64)
      results.webhookToCeiling = at64.perSecond / results.ceiling.perSecond;

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
    await admin(serverUrl, `drop database if exists ${name} with (force)`).catch(() => undefined);
    cluster?.stop();
  }

  if (!SKIP.has('pglite')) results.pglite = await pglite();

  results.goals = goals(results);
  const table = figuresTable(results);
  console.log(`\n${table}\n`);
  console.log(
    `${(Date.now() - began) / 1000} s in all; load average now ${loadavg()
      .map((v) => v.toFixed(2))
      .join(' ')}`,
  );
  mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
  writeFileSync(
    join(ROOT, 'bench/results/latest.json'),
    `${JSON.stringify({ ...results, table }, null, 2)}\n`,
  );
  console.log('Wrote bench/results/latest.json');
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

async function webhook(
  service: RunningService,
  mix: WebhookMix,
  connections: number,
  warmUpSeconds: number,
  seconds: number,
  cpu: () => CpuSnapshot,
): Promise<LoadResult> {
  const http = new HttpConnections(service.port, connections);
  try {
    return await closedLoop(
      connections,
      warmUpSeconds,
      seconds,
      async (loop) => {
        const { request } = mix.next();
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
 * Webhook throughput with the source-count maintenance (the triggers appending deltas, the
 * service folding them every second) against without it (the triggers disabled), in alternating
 * rounds at 64 connections, so the machine's drift hits both alike. Ends with the triggers on.
 */
async function countRounds(
  databaseUrl: string,
  service: RunningService,
  mix: WebhookMix,
  cpu: () => CpuSnapshot,
): Promise<NonNullable<Results['counts']>> {
  const rounds: { with: LoadResult[]; without: LoadResult[] } = { with: [], without: [] };
  const setTriggers = async (enabled: boolean) => {
    for (const trigger of COUNT_TRIGGERS) {
      await scalar(
        databaseUrl,
        `alter table ${trigger.split(' ')[0]} ${enabled ? 'enable' : 'disable'} trigger ${trigger.split(' ')[1]}`,
      );
    }
  };
  try {
    for (let round = 0; round < COUNT_ROUNDS; round += 1) {
      const counting = round % 2 === 0;
      await setTriggers(counting);
      const result = await webhook(service, mix, GOAL_CONNECTIONS, WARM_UP_SECONDS, SECONDS, cpu);
      (counting ? rounds.with : rounds.without).push(result);
      print(
        `webhook, ${GOAL_CONNECTIONS} connections, counts ${counting ? 'on' : 'off'} (round ${round + 1})`,
        result,
      );
    }
  } finally {
    await setTriggers(true);
  }
  const total = (list: LoadResult[]) =>
    list.reduce((sum, r) => sum + r.requests, 0) / list.reduce((sum, r) => sum + r.seconds, 0);
  const ratio = total(rounds.with) / total(rounds.without);
  console.log(`webhook with / without the count maintenance: ${ratio.toFixed(3)}`);
  return { ...rounds, ratio };
}

async function backfill(service: RunningService, from: Date, to: Date, cpu: () => CpuSnapshot) {
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

/** The webhook phases on the embedded database, in a fresh data directory. */
async function pglite(): Promise<Results['pglite']> {
  const dataDir = mkdtempSync(join(tmpdir(), 'kls-bench-pglite-'));
  try {
    const service = await startService(
      { ...SERVICE_ENV, DATABASE_DRIVER: 'pglite', PGLITE_DATA_DIR: dataDir },
      { cpuProfileDir: CPU_PROFILE_DIR, nodeFlags: SERVICE_NODE_FLAGS, readyTimeoutMs: 120_000 },
    );
    const mix = new WebhookMix(WEBHOOK_PATH, 9_300_000_000);
    const webhookResults: LoadResult[] = [];
    try {
      const cpu = () =>
        cpuSnapshot({ service: { pid: service.child.pid! }, loadGenerator: { pid: process.pid } });
      await webhook(service, mix, GOAL_CONNECTIONS, SERVICE_WARM_UP_SECONDS, 0, cpu);
      for (const connections of CONNECTIONS) {
        const result = await webhook(service, mix, connections, WARM_UP_SECONDS, SECONDS, cpu);
        webhookResults.push(result);
        print(`webhook (PGlite), ${connections} connections`, result);
      }
      return { webhook: webhookResults, peakRssBytes: service.peakRssBytes() };
    } finally {
      await service.stop();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
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
                left(regexp_replace(query, '\\s+', ' ', 'g'), 90) as query
         from pg_stat_statements order by total_exec_time desc limit 8`,
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

function withDatabase(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
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

const ms = (value: number) => `${value.toFixed(1)} ms`;
const perSecond = (value: number) => Math.round(value).toLocaleString('en');
const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

function print(label: string, r: LoadResult): void {
  const outcomes = Object.entries(r.outcomes)
    .sort(([, a], [, b]) => b - a)
    .map(([key, count]) => `${key} ${count}`)
    .join(', ');
  console.log(
    `${label}: ${perSecond(r.perSecond)}/s, p50 ${ms(r.p50Ms)}, p99 ${ms(r.p99Ms)}, ` +
      `max ${ms(r.maxMs)}, errors ${r.errors}\n  ${outcomes}` +
      (r.cpu ? `\n  cores used: ${describeCpu(r.cpu)}` : ''),
  );
}

function describeCpu(shares: CpuShares): string {
  return Object.entries(shares)
    .map(([name, cores]) => `${name} ${cores.toFixed(2)}`)
    .join(', ');
}

function goals(r: Results): Goal[] {
  const list: Goal[] = [];
  const at64 = r.webhook.find((w) => w.connections === GOAL_CONNECTIONS);
  if (at64) {
    list.push({
      name: `webhook, ${GOAL_CONNECTIONS} connections`,
      goal: '≥ 2,000 req/s, p99 ≤ 50 ms, no errors',
      value: `${perSecond(at64.perSecond)}/s, p99 ${ms(at64.p99Ms)}, ${at64.errors} errors`,
      met: at64.perSecond >= 2000 && at64.p99Ms <= 50 && at64.errors === 0,
    });
  }
  if (r.webhookToCeiling !== undefined) {
    list.push({
      name: 'webhook / ceiling',
      goal: '≥ 0.6',
      value: r.webhookToCeiling.toFixed(2),
      met: r.webhookToCeiling >= 0.6,
    });
  }
  if (r.backfill) {
    list.push({
      name: 'back-fill',
      goal: '≥ 5,000 calls/s',
      value: `${perSecond(r.backfill.perSecond)} calls/s`,
      met: r.backfill.perSecond >= 5000 && r.backfill.status.startsWith('200 succeeded'),
    });
  }
  if (r.lookup) {
    const http = r.lookup.http;
    list.push({
      name: 'look-up p99',
      goal: '≤ 10 ms',
      value: http ? ms(http.p99Ms) : 'not read',
      met: http ? http.p99Ms <= 10 && http.errors === 0 : null,
    });
  }
  if (r.counts) {
    list.push({
      name: 'webhook with / without count maintenance',
      goal: '≥ 0.95',
      value: r.counts.ratio.toFixed(3),
      met: r.counts.ratio >= 0.95,
    });
  }
  const counts = r.sourceCounts;
  if (counts) {
    for (const [label, l] of [
      ['GET /sources p99, 8 clients', counts.list],
      ['GET /sources/:id?days=30 p99, 8 clients', counts.detail],
    ] as const) {
      list.push({
        name: label,
        goal: '≤ 10 ms',
        value: ms(l.p99Ms),
        met: l.p99Ms <= 10 && l.errors === 0,
      });
    }
    const growth = counts.large.pending1000Ms / counts.small.pending1000Ms;
    list.push({
      name: 'refresh cost, 1,000,000 / 100,000 leads',
      goal: 'the same (≤ 1.5)',
      value: `${growth.toFixed(2)} (idle ${(counts.large.idleMs / counts.small.idleMs).toFixed(2)})`,
      met: growth <= 1.5,
    });
  }
  if (r.peakRssBytes !== undefined) {
    list.push({
      name: 'service peak RSS',
      goal: '≤ 250 MB',
      value: `${(r.peakRssBytes / 1e6).toFixed(0)} MB`,
      met: r.peakRssBytes <= 250e6,
    });
  }
  const pgliteAt64 = r.pglite?.webhook.find((w) => w.connections === GOAL_CONNECTIONS);
  if (pgliteAt64) {
    list.push({
      name: `PGlite webhook, ${GOAL_CONNECTIONS} connections`,
      goal: '≥ 300 req/s',
      value: `${perSecond(pgliteAt64.perSecond)}/s`,
      met: pgliteAt64.perSecond >= 300 && pgliteAt64.errors === 0,
    });
  }
  return list;
}

/** The figures as a Markdown table, ready for bench/README.md. */
function figuresTable(r: Results): string {
  const rows: string[][] = [];
  const load = (label: string, l: LoadResult) =>
    rows.push([
      label,
      `${perSecond(l.perSecond)}/s`,
      ms(l.p50Ms),
      ms(l.p99Ms),
      ms(l.maxMs),
      String(l.errors),
    ]);
  if (r.ceiling)
    load(`ceiling: ingest function via pg, ${r.ceiling.connections} clients`, r.ceiling);
  for (const w of r.webhook) load(`webhook, PostgreSQL, ${w.connections} connections`, w);
  if (r.webhookToCeiling !== undefined)
    rows.push([
      `webhook / ceiling at ${GOAL_CONNECTIONS}`,
      r.webhookToCeiling.toFixed(2),
      '',
      '',
      '',
      '',
    ]);
  if (r.backfill)
    rows.push([
      `back-fill, ${r.backfill.calls.toLocaleString('en')} calls, pages of 1,000`,
      `${perSecond(r.backfill.perSecond)} calls/s (${r.backfill.seconds.toFixed(1)} s)`,
      '',
      '',
      '',
      r.backfill.status.startsWith('200 succeeded') ? '0' : r.backfill.status,
    ]);
  const http = r.lookup?.http;
  if (http)
    rows.push([
      'look-up GET /leads?phone=, 1,000,000 leads, 50 clients',
      `${perSecond(http.perSecond)}/s`,
      ms(http.p50Ms),
      ms(http.p99Ms),
      ms(http.maxMs),
      String(http.errors),
    ]);
  if (r.counts) {
    const sum = (list: LoadResult[], seconds: number) =>
      list.reduce((total, l) => total + l.requests, 0) / seconds;
    const seconds = (list: LoadResult[]) => list.reduce((total, l) => total + l.seconds, 0);
    for (const [label, list] of [
      ['on', r.counts.with],
      ['off', r.counts.without],
    ] as const) {
      rows.push([
        `webhook, ${GOAL_CONNECTIONS} connections, counts ${label} (${list.length} alternating rounds)`,
        `${perSecond(sum(list, seconds(list)))}/s`,
        ms(Math.max(...list.map((l) => l.p50Ms))),
        ms(Math.max(...list.map((l) => l.p99Ms))),
        ms(Math.max(...list.map((l) => l.maxMs))),
        String(list.reduce((total, l) => total + l.errors, 0)),
      ]);
    }
    rows.push(['webhook counts on / off', r.counts.ratio.toFixed(3), '', '', '', '']);
  }
  const counts = r.sourceCounts;
  if (counts) {
    load(
      `GET /sources, ${counts.large.leads.toLocaleString('en')} leads, 100 sources`,
      counts.list,
    );
    load('GET /sources/:id?days=30', counts.detail);
    for (const cost of [counts.small, counts.large]) {
      rows.push([
        `refresh at ${cost.leads.toLocaleString('en')} leads: idle / 1,000 pending (read-time derivation)`,
        `${ms(cost.idleMs)} / ${ms(cost.pending1000Ms)} (${ms(cost.derivedMs)})`,
        '',
        '',
        '',
        '',
      ]);
    }
  }
  if (r.peakRssBytes !== undefined)
    rows.push(['service peak RSS (VmHWM), PostgreSQL run', mib(r.peakRssBytes), '', '', '', '']);
  for (const w of r.pglite?.webhook ?? []) load(`webhook, PGlite, ${w.connections} connections`, w);
  if (r.pglite)
    rows.push(['service peak RSS (VmHWM), PGlite run', mib(r.pglite.peakRssBytes), '', '', '', '']);

  const lines = [
    '| measure | throughput | p50 | p99 | max | errors |',
    '|---|---|---|---|---|---|',
    ...rows.map((row) => `| ${row.join(' | ')} |`),
    '',
    '| goal | target | measured | met |',
    '|---|---|---|---|',
    ...r.goals.map(
      (g) =>
        `| ${g.name} | ${g.goal} | ${g.value} | ${g.met === null ? '?' : g.met ? 'yes' : 'no'} |`,
    ),
  ];
  return lines.join('\n');
}

main().catch((error: Error) => {
  console.error(error);
  process.exitCode = 1;
});
