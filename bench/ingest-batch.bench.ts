/**
 * The group-commit function alone: `knowlarity_ingest_batch` called directly, no HTTP and no
 * service, on two databases of one PostgreSQL cluster migrated from two checkouts (a change to
 * the ingest's SQL against its base), in alternating rounds.
 *
 *   tsc -p bench/tsconfig.json && node dist-bench/bench/ingest-batch.bench.js
 *
 * Each database gets BENCH_BATCH_CLIENTS (3, the service's lanes) closed loops, each sending
 * batches of BENCH_BATCH_SIZE (13, the size at 64 connections) deliveries of the service bench's
 * mix (new phones, repeat callers, cross-source callers, re-deliveries), built exactly as the
 * service builds them (normaliser, raw fields, delivery record). The databases are warmed until
 * the mix repeats phones, then BENCH_ROUNDS (4) rounds each of BENCH_WARM_UP_SECONDS (2) +
 * BENCH_SECONDS (8), base first. Per round: calls/s, batch p50/p99, and PostgreSQL's CPU per
 * call (every process of the cluster, read from /proc; only one database is loaded at a time,
 * so the cluster's CPU in a round is that database's).
 *
 * Knobs: BENCH_BATCH_BASE (required: another checkout, e.g. a `git worktree` of main, whose
 * supabase/migrations is the base), BENCH_BATCH_COUNTS=both (each checkout twice: with the
 * source-count maintenance and with all of it switched off, see switchCountsOff; four
 * databases in alternating rounds),
 * BENCH_ANALYZE=0 (no ANALYZE after the warm-up),
 * BENCH_DATABASE_URL (a server whose postmaster runs on this machine; else a private cluster),
 * BENCH_POSTMASTER_PID (that server's postmaster, for the CPU figures).
 */
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { parseIngestConfig } from '../src/config/ingest.config';
import { buildFunctionCall } from '../src/database/drivers/sql-function-call';
import { closedLoop, LoadResult } from './support/closed-loop';
import { cpuSnapshot, ProcessGroup } from './support/cpu-usage';
import { migrateDatabase, runStatement, withDatabase } from './support/database';
import { PostgresCluster, startPostgresCluster } from './support/postgres-cluster';
import { loadAverage } from './support/report';
import { ROOT } from './support/service-process';
import { ingestItemFor, SECOND_SOURCE, SECONDARY_SR, WebhookMix } from './support/webhook-mix';

const BASE = process.env.BENCH_BATCH_BASE ?? '';
if (!BASE) {
  console.error(
    'Set BENCH_BATCH_BASE to the checkout to compare with (e.g. a git worktree of main).',
  );
  process.exit(2);
}
const CLIENTS = Number(process.env.BENCH_BATCH_CLIENTS ?? 3);
const SIZE = Number(process.env.BENCH_BATCH_SIZE ?? 13);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 4);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const WARM_UP_SECONDS = Number(process.env.BENCH_WARM_UP_SECONDS ?? 2);
/** Deliveries sent before the first round: the mix repeats phones only after 2,000. */
const WARM_DELIVERIES = Number(process.env.BENCH_BATCH_WARM_DELIVERIES ?? 4000);
/** Prints each database's costliest statements (nested included) after the rounds. */
const PG_STATS = process.env.BENCH_PG_STATS === '1';
const COUNTS_BOTH = process.env.BENCH_BATCH_COUNTS === 'both';
/** BENCH_ANALYZE=0: no ANALYZE after the warm-up, statistics left to autovacuum. */
const ANALYZE_AFTER_WARM_UP = process.env.BENCH_ANALYZE !== '0';
const RULES = parseIngestConfig({
  KNOWLARITY_NUMBER_SOURCES: `${SECONDARY_SR}=${SECOND_SOURCE}`,
}).rules;

interface Target {
  name: string;
  url: string;
  mix: WebhookMix;
  clients: Client[];
  rounds: LoadResult[];
}

async function main(): Promise<void> {
  let cluster: PostgresCluster | undefined;
  let serverUrl = process.env.BENCH_DATABASE_URL;
  let postmaster = Number(process.env.BENCH_POSTMASTER_PID ?? 0);
  if (!serverUrl) {
    cluster = await startPostgresCluster(
      PG_STATS
        ? ['shared_preload_libraries=pg_stat_statements', 'pg_stat_statements.track=all']
        : [],
    );
    serverUrl = cluster.url;
    postmaster = cluster.pid;
  }
  const groups: Record<string, ProcessGroup> = {
    ...(postmaster ? { postgres: { pid: postmaster, children: true } } : {}),
    loadGenerator: { pid: process.pid },
  };
  console.log(`load average ${loadAverage()}`);
  const targets: Target[] = [];
  try {
    const checkouts: [string, string, boolean][] = COUNTS_BOTH
      ? [
          ['base, counts on', BASE, true],
          ['base, counts off', BASE, false],
          ['this, counts on', ROOT, true],
          ['this, counts off', ROOT, false],
        ]
      : [
          ['base', BASE, true],
          ['this', ROOT, true],
        ];
    for (const [name, root, counting] of checkouts) {
      const database = `kls_batch_${randomBytes(4).toString('hex')}`;
      await runStatement(serverUrl, `create database ${database}`);
      const url = withDatabase(serverUrl, database);
      await migrateDatabase(url, root);
      if (!counting) await switchCountsOff(url);
      const clients = await Promise.all(
        Array.from({ length: CLIENTS }, async () => {
          const client = new Client({ connectionString: url });
          await client.connect();
          return client;
        }),
      );
      targets.push({
        name,
        url,
        mix: new WebhookMix('/webhooks/knowlarity/t', 9_100_000_000),
        clients,
        rounds: [],
      });
    }
    for (const target of targets) {
      for (let sent = 0; sent < WARM_DELIVERIES; sent += SIZE) await batch(target, 0);
      // Statistics, as on a server in use (see warmUp in service.bench.ts).
      if (ANALYZE_AFTER_WARM_UP) await runStatement(target.url, 'analyze');
    }
    if (PG_STATS)
      for (const target of targets) {
        await runStatement(target.url, 'create extension if not exists pg_stat_statements');
        await runStatement(target.url, 'select pg_stat_statements_reset()');
      }
    for (let round = 0; round < ROUNDS; round++) {
      for (const target of targets) {
        const result = await closedLoop(
          CLIENTS,
          WARM_UP_SECONDS,
          SECONDS,
          async (loop) => {
            const outcomes = await batch(target, loop);
            return {
              ok: !outcomes.includes('error'),
              outcome: outcomes.includes('error') ? 'error' : 'ok',
            };
          },
          () => cpuSnapshot(groups),
        );
        target.rounds.push(result);
        const calls = result.perSecond * SIZE;
        console.log(
          `round ${round + 1} ${target.name}: ${calls.toFixed(0)} calls/s, batch p50 ${result.p50Ms.toFixed(1)} ms p99 ${result.p99Ms.toFixed(1)} ms, ` +
            `postgres ${cpuMsPerCall(result).toFixed(3)} ms CPU/call, cores ${JSON.stringify(result.cpu)}, errors ${result.errors}`,
        );
      }
    }
    if (PG_STATS) for (const target of targets) await printStatements(target);
    const summaries = targets.map(summary);
    console.log('');
    for (const [index, s] of summaries.entries())
      console.log(
        `${targets[index].name}: ${s.calls.toFixed(0)} calls/s, batch p99 ${s.p99.toFixed(1)} ms, postgres ${s.cpu.toFixed(3)} ms CPU/call`,
      );
    const ratio = (a: number, b: number) => {
      const [x, y] = [summaries[a], summaries[b]];
      return (
        `calls/s ${(x.calls / y.calls).toFixed(2)}x, CPU per call ${(x.cpu / y.cpu).toFixed(2)}x, ` +
        `per round CPU ${targets[a].rounds.map((r, i) => (cpuMsPerCall(r) / cpuMsPerCall(targets[b].rounds[i])).toFixed(2)).join(' ')}`
      );
    };
    if (COUNTS_BOTH) {
      console.log(`base, on / off: ${ratio(0, 1)}`);
      console.log(`this, on / off: ${ratio(2, 3)}`);
      console.log(`this / base, counts on: ${ratio(2, 0)}`);
      console.log(`this / base, counts off: ${ratio(3, 1)}`);
    } else console.log(`this / base: ${ratio(1, 0)}`);
    console.log(`load average ${loadAverage()}`);
  } finally {
    for (const target of targets) await Promise.all(target.clients.map((c) => c.end()));
    if (!cluster)
      for (const target of targets)
        await runStatement(
          serverUrl,
          `drop database if exists ${new URL(target.url).pathname.slice(1)} with (force)`,
        );
    cluster?.stop();
  }
}

/**
 * Every source-count write on the ingest's path gone: the insert triggers of 0006 disabled and
 * any other insert into the delta table (0018's batch writes its own) turned into nothing.
 */
async function switchCountsOff(url: string): Promise<void> {
  await runStatement(
    url,
    'alter table leads_master disable trigger knowlarity_count_leads_insert; ' +
      'alter table lead_sources_history disable trigger knowlarity_count_history_insert; ' +
      'create rule knowlarity_bench_counts_off as on insert to knowlarity_source_count_deltas do instead nothing',
  );
}

async function batch(target: Target, loop: number): Promise<string[]> {
  const items = Array.from({ length: SIZE }, () =>
    ingestItemFor(target.mix.next().request, '127.0.0.1'),
  );
  const { text, values } = buildFunctionCall('knowlarity_ingest_batch', {
    p_items: items,
    p_rules: RULES,
  });
  const { rows } = await target.clients[loop].query<{
    result: { outcome?: string; error?: unknown }[];
  }>(text, values);
  return rows[0].result.map((entry) => (entry.error ? 'error' : (entry.outcome ?? 'none')));
}

async function printStatements(target: Target): Promise<void> {
  const calls = target.rounds.reduce((sum, r) => sum + r.requests, 0) * SIZE;
  const { rows } = await target.clients[0].query<{ calls: string; ms: string; query: string }>(
    `select s.calls, round(s.total_exec_time::numeric) as ms,
            left(regexp_replace(s.query, '\\s+', ' ', 'g'), 110) as query
     from pg_stat_statements s join pg_database d on d.oid = s.dbid
     where d.datname = current_database() order by s.total_exec_time desc limit 25`,
  );
  console.log(
    `\n${target.name}: statements by execution time (about ${calls} calls measured, warm-ups included)`,
  );
  for (const row of rows)
    console.log(`  ${row.calls.padStart(8)} ${row.ms.padStart(7)} ms  ${row.query}`);
}

function cpuMsPerCall(result: LoadResult): number {
  return ((result.cpu?.postgres ?? NaN) * 1000) / (result.perSecond * SIZE);
}

function summary(target: Target) {
  const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
  return {
    calls: mean(target.rounds.map((r) => r.perSecond * SIZE)),
    p99: mean(target.rounds.map((r) => r.p99Ms)),
    cpu: mean(target.rounds.map(cpuMsPerCall)),
  };
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
