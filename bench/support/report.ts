import { cpus, loadavg } from 'node:os';
import type { SourceCountsResult } from '../source-counts.bench';
import type { LoadResult } from './closed-loop';
import type { CpuShares } from './cpu-usage';
import type { LookupStepResult } from './lookup-step';

/** One measured round of one target: the load figures and the duplicate leads it created. */
export interface Round extends LoadResult {
  duplicateLeads: number;
  /** Mean calls per ingest transaction (the service's group commit); undefined for the naive. */
  callsPerTransaction?: number;
}

/** The rounds of one target at one connection count, and their mean. */
export interface Measured {
  connections: number;
  rounds: Round[];
  mean: Round;
}

export interface Comparison {
  connections: number;
  naive: Measured;
  service: Measured;
}

export interface BackfillResult {
  calls: number;
  records: number;
  seconds: number;
  perSecond: number;
  status: string;
  cpu: CpuShares;
}

export interface Results {
  startedAt: string;
  machine: Record<string, unknown>;
  settings: Record<string, unknown>;
  compare: Comparison[];
  /** The service's CPU per webhook at the goal's connection count, in ms. */
  serviceCpuMsPerWebhook?: number;
  /** The service at 64 connections with the source-count maintenance on and off, alternating. */
  counts?: { on: Measured; off: Measured };
  backfill?: { batching: BackfillResult; unbatched: BackfillResult };
  /** bench/source-counts.bench.ts as a step; null when it printed no result. */
  sourceCounts?: SourceCountsResult | null;
  pglite?: {
    /** Group commit against INGEST_BATCH_MAX=1 at each connection count. */
    byConnections: { batching: Measured; unbatched: Measured }[];
    /** VmHWM of each PGlite service process over the whole phase. */
    peakRssBytes: { batching: number; unbatched: number };
    /** VmRSS of each PGlite service once started (fresh directory, migrated), before any load. */
    idleRssBytes?: { batching: number; unbatched: number };
    /** The same, read again 25 s after ready, once V8 has shrunk what start-up grew. */
    settledIdleRssBytes?: { batching: number; unbatched: number };
    /** With BENCH_SERVICE_DIRS: each build's pair (the figures above are the last build's). */
    byBuild?: {
      dir: string;
      byConnections: { batching: Measured; unbatched: Measured }[];
      peakRssBytes: { batching: number; unbatched: number };
    }[];
  };
  /** Builds of the service side by side (BENCH_SERVICE_DIRS), in alternating rounds. */
  builds?: {
    dirs: string[];
    byConnections: { connections: number; builds: Measured[] }[];
    /** Each build's service peak RSS (VmHWM) over the phase. */
    peakRssBytes: number[];
  };
  ceiling?: LoadResult;
  lookup?: Omit<LookupStepResult, 'output'>;
  peakRssBytes?: number;
  goals: Goal[];
}

export interface Goal {
  name: string;
  goal: string;
  value: string;
  met: boolean | null;
}

/** The connection count the goals are read at. */
export const GOAL_CONNECTIONS = 64;

export const ms = (value: number) => `${value.toFixed(1)} ms`;
export const perSecond = (value: number) => Math.round(value).toLocaleString('en');
export const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
const ratio = (value: number) => `${value.toFixed(2)}×`;

/** The mean of each figure over the rounds (outcomes and CPU shares summed / averaged too). */
export function meanOf(connections: number, rounds: Round[]): Measured {
  const avg = (pick: (r: Round) => number) =>
    rounds.reduce((sum, r) => sum + pick(r), 0) / rounds.length;
  const outcomes: Record<string, number> = {};
  for (const r of rounds)
    for (const [key, count] of Object.entries(r.outcomes))
      outcomes[key] = (outcomes[key] ?? 0) + count;
  const cpu: CpuShares = {};
  for (const r of rounds)
    for (const [key, cores] of Object.entries(r.cpu ?? {}))
      cpu[key] = (cpu[key] ?? 0) + cores / rounds.length;
  return {
    connections,
    rounds,
    mean: {
      connections,
      seconds: rounds.reduce((sum, r) => sum + r.seconds, 0),
      requests: rounds.reduce((sum, r) => sum + r.requests, 0),
      perSecond: avg((r) => r.perSecond),
      p50Ms: avg((r) => r.p50Ms),
      p90Ms: avg((r) => r.p90Ms),
      p99Ms: avg((r) => r.p99Ms),
      maxMs: Math.max(...rounds.map((r) => r.maxMs)),
      errors: rounds.reduce((sum, r) => sum + r.errors, 0),
      duplicateLeads: rounds.reduce((sum, r) => sum + r.duplicateLeads, 0),
      callsPerTransaction: rounds.every((r) => r.callsPerTransaction !== undefined)
        ? avg((r) => r.callsPerTransaction!)
        : undefined,
      outcomes,
      cpu,
    },
  };
}

/** CPU milliseconds the process named `group` spent per request in `result`. */
export function cpuMsPerRequest(result: LoadResult, group: string): number | undefined {
  const cores = result.cpu?.[group];
  return cores === undefined || result.perSecond === 0
    ? undefined
    : (cores / result.perSecond) * 1000;
}

export function goals(r: Results): Goal[] {
  const list: Goal[] = [];
  const at64 = r.compare.find((c) => c.connections === GOAL_CONNECTIONS);
  if (at64) {
    const { naive, service } = { naive: at64.naive.mean, service: at64.service.mean };
    list.push({
      name: `service / naive req/s, ${GOAL_CONNECTIONS} connections`,
      goal: '≥ 1.5×',
      value: ratio(service.perSecond / naive.perSecond),
      met: service.perSecond >= 1.5 * naive.perSecond,
    });
    list.push({
      name: `service / naive p99, ${GOAL_CONNECTIONS} connections`,
      goal: '≤ 0.5×',
      value: ratio(service.p99Ms / naive.p99Ms),
      met: service.p99Ms <= 0.5 * naive.p99Ms,
    });
    list.push({
      name: `service errors and duplicate leads, ${GOAL_CONNECTIONS} connections`,
      goal: '0 and 0',
      value: `${service.errors} and ${service.duplicateLeads}`,
      met: service.errors === 0 && service.duplicateLeads === 0,
    });
  }
  const at256 = r.compare.find((c) => c.connections === 256);
  if (at256) {
    list.push({
      name: 'service errors or timeouts, 256 connections',
      goal: '0',
      value: String(at256.service.mean.errors),
      met: at256.service.mean.errors === 0,
    });
  }
  if (r.serviceCpuMsPerWebhook !== undefined) {
    list.push({
      name: `service CPU per webhook, ${GOAL_CONNECTIONS} connections`,
      goal: '≤ 0.15 ms',
      value: `${r.serviceCpuMsPerWebhook.toFixed(3)} ms`,
      met: r.serviceCpuMsPerWebhook <= 0.15,
    });
  }
  if (r.counts) {
    const on = r.counts.on.mean;
    const off = r.counts.off.mean;
    list.push({
      name: `webhook, ${GOAL_CONNECTIONS} connections: source counts on / off`,
      goal: 'within 5% (≥ 0.95×)',
      value: ratio(on.perSecond / off.perSecond),
      met: on.perSecond >= 0.95 * off.perSecond && on.errors === 0,
    });
  }
  list.push(...sourceCountGoals(r.sourceCounts));
  list.push(...pgliteGoals(r.pglite));
  if (r.peakRssBytes !== undefined) {
    list.push({
      name: 'service peak RSS, postgres driver',
      goal: '≤ 250 MiB',
      value: mib(r.peakRssBytes),
      met: r.peakRssBytes <= 250 * 2 ** 20,
    });
  }
  if (r.backfill) {
    const on = r.backfill.batching.perSecond;
    const off = r.backfill.unbatched.perSecond;
    list.push({
      name: 'back-fill: group commit / INGEST_BATCH_MAX=1',
      goal: 'not lower (≥ 0.95×: the run-to-run noise)',
      value: ratio(on / off),
      met: on >= 0.95 * off && r.backfill.batching.status.startsWith('200 succeeded'),
    });
  }
  return list;
}

function sourceCountGoals(counts: SourceCountsResult | null | undefined): Goal[] {
  if (counts === undefined) return [];
  if (counts === null)
    return [{ name: 'source counts step', goal: 'a result', value: 'none', met: false }];
  const p99 = (name: string, l: LoadResult): Goal => ({
    name: `${name} p99, 8 clients, ${counts.large.leads.toLocaleString('en')} leads`,
    goal: '≤ 10 ms',
    value: ms(l.p99Ms),
    met: l.p99Ms <= 10 && l.errors === 0,
  });
  const growth = counts.large.pending1000Ms / counts.small.pending1000Ms;
  return [
    p99('GET /sources', counts.list),
    p99('GET /sources/:id?days=30', counts.detail),
    {
      name: 'refresh with 1,000 pending, large / small database',
      goal: 'the same (≤ 1.5×)',
      value: `${ratio(growth)} (idle ${ratio(counts.large.idleMs / counts.small.idleMs)})`,
      met: growth <= 1.5,
    },
  ];
}

function pgliteGoals(pglite: Results['pglite']): Goal[] {
  if (!pglite) return [];
  const list: Goal[] = [];
  const at64 = pglite.byConnections.find((c) => c.batching.connections === GOAL_CONNECTIONS);
  if (at64) {
    const on = at64.batching.mean;
    const off = at64.unbatched.mean;
    list.push({
      name: `PGlite, ${GOAL_CONNECTIONS} connections: group commit / INGEST_BATCH_MAX=1`,
      goal: '≥ 2×',
      value: ratio(on.perSecond / off.perSecond),
      met: on.perSecond >= 2 * off.perSecond && on.errors === 0,
    });
  }
  for (const { batching } of pglite.byConnections) {
    list.push({
      name: `PGlite max latency, ${batching.connections} connections, group commit`,
      goal: '≤ 1 s',
      value: ms(batching.mean.maxMs),
      met: batching.mean.maxMs <= 1000,
    });
  }
  const peak = pglite.peakRssBytes.batching;
  list.push({
    name: 'PGlite peak RSS, group commit',
    goal: '≤ 300 MiB',
    value: mib(peak),
    met: peak <= 300 * 2 ** 20,
  });
  for (const [when, idle] of idleReadings(pglite))
    list.push({
      name: `PGlite idle RSS ${when}, group commit`,
      goal: '≤ 200 MiB',
      value: mib(idle.batching),
      met: idle.batching <= 200 * 2 ** 20,
    });
  return list;
}

/** The PGlite services' idle RSS readings the run took, each with when it was read. */
function idleReadings(
  pglite: NonNullable<Results['pglite']>,
): [string, { batching: number; unbatched: number }][] {
  const readings: [string, { batching: number; unbatched: number } | undefined][] = [
    ['3 s after ready', pglite.idleRssBytes],
    ['25 s after ready', pglite.settledIdleRssBytes],
  ];
  return readings.filter((reading): reading is [string, { batching: number; unbatched: number }] =>
    Boolean(reading[1]),
  );
}

/** The source-counts step's figures: the reads over HTTP and the refresh at both sizes. */
function sourceCountRows(counts: SourceCountsResult | null | undefined): string[][] {
  if (!counts) return [];
  const load = (label: string, l: LoadResult) => [
    `${label}, 8 clients, ${counts.large.leads.toLocaleString('en')} leads`,
    `${perSecond(l.perSecond)}/s`,
    ms(l.p50Ms),
    ms(l.p99Ms),
    ms(l.maxMs),
    String(l.errors),
  ];
  return [
    load('GET /health/live (control)', counts.health),
    load('GET /sources (100 sources)', counts.list),
    load('GET /sources/:id?days=30', counts.detail),
    ...[counts.small, counts.large].map((cost) => [
      `refresh at ${cost.leads.toLocaleString('en')} leads: idle / 1,000 pending (read-time derivation)`,
      `${ms(cost.idleMs)} / ${ms(cost.pending1000Ms)} (${ms(cost.derivedMs)})`,
    ]),
  ];
}

/** The figures as Markdown tables, ready for bench/README.md. */
export function figuresTable(r: Results): string {
  const lines: string[] = [];
  if (r.compare.length > 0) {
    lines.push(
      '| connections | naive req/s | service req/s | ratio | naive p50 | service p50 | naive p99 | service p99 | p99 ratio | errors naive / service | duplicate leads naive / service | service calls per transaction |',
      '|---|---|---|---|---|---|---|---|---|---|---|---|',
    );
    for (const { connections, naive, service } of r.compare) {
      const n = naive.mean;
      const s = service.mean;
      lines.push(
        `| ${connections} | ${perSecond(n.perSecond)} | ${perSecond(s.perSecond)} | ${ratio(s.perSecond / n.perSecond)} | ` +
          `${ms(n.p50Ms)} | ${ms(s.p50Ms)} | ${ms(n.p99Ms)} | ${ms(s.p99Ms)} | ${ratio(s.p99Ms / n.p99Ms)} | ` +
          `${n.errors} / ${s.errors} | ${n.duplicateLeads} / ${s.duplicateLeads} | ${s.callsPerTransaction?.toFixed(1) ?? '?'} |`,
      );
    }
    lines.push('');
  }
  const rows: string[][] = [];
  const measured = (label: string, m: Measured) =>
    rows.push([
      `${label}, ${m.connections} connections (mean of ${m.rounds.length} rounds)`,
      `${perSecond(m.mean.perSecond)}/s`,
      ms(m.mean.p50Ms),
      ms(m.mean.p99Ms),
      ms(m.mean.maxMs),
      String(m.mean.errors),
      m.mean.callsPerTransaction?.toFixed(1) ?? '',
    ]);
  if (r.counts) {
    measured('webhook, source counts on', r.counts.on);
    measured('webhook, source counts off', r.counts.off);
  }
  for (const { batching, unbatched } of r.pglite?.byConnections ?? []) {
    measured('webhook, PGlite, group commit', batching);
    measured('webhook, PGlite, INGEST_BATCH_MAX=1', unbatched);
  }
  for (const { builds } of r.builds?.byConnections ?? [])
    for (const [index, build] of builds.entries()) measured(`webhook, build ${index + 1}`, build);
  if (r.pglite) {
    const { batching, unbatched } = r.pglite.peakRssBytes;
    rows.push([
      'PGlite peak RSS (VmHWM): group commit / INGEST_BATCH_MAX=1',
      `${mib(batching)} / ${mib(unbatched)}`,
    ]);
    for (const [when, idle] of idleReadings(r.pglite))
      rows.push([
        `PGlite idle RSS (VmRSS) ${when}: group commit / INGEST_BATCH_MAX=1`,
        `${mib(idle.batching)} / ${mib(idle.unbatched)}`,
      ]);
  }
  if (r.backfill) {
    for (const [label, b] of [
      ['group commit', r.backfill.batching],
      ['INGEST_BATCH_MAX=1', r.backfill.unbatched],
    ] as const) {
      rows.push([
        `back-fill, ${b.calls.toLocaleString('en')} calls, ${label}`,
        `${perSecond(b.perSecond)} calls/s (${b.seconds.toFixed(1)} s)`,
        '',
        '',
        '',
        b.status.startsWith('200 succeeded') ? '0' : b.status,
      ]);
    }
  }
  if (r.ceiling) {
    rows.push([
      `ceiling: ingest function via pg, ${r.ceiling.connections} clients`,
      `${perSecond(r.ceiling.perSecond)}/s`,
      ms(r.ceiling.p50Ms),
      ms(r.ceiling.p99Ms),
      ms(r.ceiling.maxMs),
      String(r.ceiling.errors),
    ]);
  }
  const http = r.lookup?.http;
  if (http) {
    rows.push([
      'look-up GET /leads?phone=, 1,000,000 leads, 50 clients',
      `${perSecond(http.perSecond)}/s`,
      ms(http.p50Ms),
      ms(http.p99Ms),
      ms(http.maxMs),
      String(http.errors),
    ]);
  }
  rows.push(...sourceCountRows(r.sourceCounts));
  if (r.peakRssBytes !== undefined)
    rows.push(['service peak RSS (VmHWM), PostgreSQL comparison', mib(r.peakRssBytes)]);
  if (rows.length > 0) {
    lines.push(
      '| measure | throughput | p50 | p99 | max | errors | calls per transaction |',
      '|---|---|---|---|---|---|---|',
    );
    lines.push(...rows.map((row) => `| ${row.join(' | ')} |`), '');
  }
  lines.push(
    '| goal | target | measured | met |',
    '|---|---|---|---|',
    ...r.goals.map(
      (g) =>
        `| ${g.name} | ${g.goal} | ${g.value} | ${g.met === null ? '?' : g.met ? 'yes' : 'no'} |`,
    ),
  );
  return lines.join('\n');
}

/** The 1, 5 and 15 minute load averages and the core count, as every bench prints them. */
export function loadAverage(): string {
  const averages = loadavg()
    .map((value) => value.toFixed(2))
    .join(' ');
  return `${averages} on ${cpus().length} cores`;
}
