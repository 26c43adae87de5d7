/**
 * `npm run sync` as a real process: a back-fill SIGKILLed mid-way resumes from its last finished
 * chunk when run again, without redoing finished chunks; --dry-run keeps nothing.
 */
import { PGlite } from '@electric-sql/pglite';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateCalls } from '../tools/simulator/call-generator';
import { KnowlaritySimulator } from '../tools/simulator/simulator-server';
import { ensureBuilt, ROOT } from './support/service-process';

const DAY_START = new Date('2026-11-19T18:30:00Z');
const DAY_END = new Date('2026-11-20T18:30:00Z');
// Each test starts the CLI up to three times, the first on an empty data dir (initdb and every
// migration): on a busy two-core machine that alone can take most of a minute.
const CLI_TEST_TIMEOUT_MS = 180_000;

describe('npm run sync (CLI)', () => {
  let simulator: KnowlaritySimulator;
  let dataDir: string;

  beforeAll(async () => {
    ensureBuilt();
    simulator = new KnowlaritySimulator();
    await simulator.start();
    simulator.setCalls(generateCalls({ count: 120, seed: 31, from: DAY_START, to: DAY_END }));
    dataDir = mkdtempSync(join(tmpdir(), 'kls-cli-'));
  });
  afterAll(async () => {
    await simulator.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** What the CLI left in its data dir: the rows a back-fill writes, table by table. */
  async function keptRows(): Promise<Record<string, number>> {
    const db = await PGlite.create(dataDir);
    try {
      const { rows } = await db.query<Record<string, number>>(
        `select (select count(*)::int from knowlarity_calls) as calls,
                (select count(*)::int from leads_master) as leads,
                (select count(*)::int from lead_sources_history) as history,
                (select count(*)::int from knowlarity_sync_runs) as runs,
                (select count(*)::int from knowlarity_backfills) as backfills,
                (select count(*)::int from knowlarity_sync_state where watermark is not null) as watermarks`,
      );
      return rows[0];
    } finally {
      await db.close();
    }
  }

  /** Runs the CLI; `killWhen` sees its output as it comes and may SIGKILL it. */
  function runSync(args: string[], killWhen?: (output: string) => boolean) {
    const child = spawn(process.execPath, ['dist/sync/sync.cli.js', ...args], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH,
        NODE_ENV: 'test',
        LOG_LEVEL: 'warn',
        PGLITE_DATA_DIR: dataDir,
        KNOWLARITY_API_KEY: simulator.apiKey,
        KNOWLARITY_SR_API_KEY: simulator.srApiKey,
        KNOWLARITY_BASE_URL: simulator.baseUrl,
        KNOWLARITY_BACKFILL_CHUNK_MINUTES: '360',
        // The killed process keeps the lease until it expires; the next run waits that long. Long
        // enough that the next run, started right after the kill, still finds it held even when a
        // busy machine takes seconds to open the data dir (3 s was not, once, in CI).
        KNOWLARITY_LEASE_SECONDS: '8',
      },
    });
    // stdout carries the result (JSON) alone; logs and the progress bar go to stderr.
    let output = '';
    let stdout = '';
    const collect = (chunk: Buffer) => {
      output += chunk.toString();
      if (killWhen?.(output)) child.kill('SIGKILL');
    };
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      collect(chunk);
    });
    child.stderr.on('data', collect);
    return new Promise<{
      code: number | null;
      signal: string | null;
      output: string;
      stdout: string;
    }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, output, stdout })));
  }

  it(
    'reports a dry run without keeping anything',
    async () => {
      const dry = await runSync(['--from', '2026-11-20', '--to', '2026-11-20', '--dry-run']);

      expect(dry.code).toBe(0);
      const summary = JSON.parse(dry.stdout) as Record<string, unknown>;
      expect(summary).toMatchObject({
        status: 'succeeded',
        dryRun: true,
        records: 120,
        chunksDone: 4,
      });
      expect(dry.output).toMatch(/^4\/4 chunks · 120 records/m);
      // Not checked: the source rows the page resolves. knowlarity_ingest_calls creates a missing
      // source before its rolled-back block, so a dry run on an empty database leaves one behind.
      expect(await keptRows()).toEqual({
        calls: 0,
        leads: 0,
        history: 0,
        runs: 0,
        backfills: 0,
        watermarks: 0,
      });
    },
    CLI_TEST_TIMEOUT_MS,
  );

  it(
    'resumes a back-fill killed mid-way from its last finished chunk',
    async () => {
      // The third chunk's page hangs, so the process is surely inside it when it is killed.
      simulator.delayNext(2, 0).delayNext(1, 30_000);

      const killed = await runSync(['--from', '2026-11-20', '--to', '2026-11-20'], (output) =>
        output.includes('2/4 chunks'),
      );
      simulator.clearFaults();
      simulator.clearRequests();
      const resumed = await runSync(['--from', '2026-11-20', '--to', '2026-11-20']);

      expect(killed.signal).toBe('SIGKILL');
      expect(resumed.output).toMatch(/Another back-fill holds the lease .* waiting until/);
      expect(resumed.code).toBe(0);
      const summary = JSON.parse(resumed.stdout) as Record<string, unknown>;
      expect(summary).toMatchObject({
        status: 'succeeded',
        chunksDone: 2,
        chunksTotal: 2,
        resumedFrom: new Date(DAY_START.getTime() + 12 * 3600_000).toISOString(),
      });
      expect(simulator.callLogRequests.map((r) => r.query.start_time)).toEqual([
        '2026-11-20 12:00:00+05:30',
        '2026-11-20 18:00:00+05:30',
      ]);
      expect(await keptRows()).toMatchObject({ calls: 120, backfills: 1, watermarks: 0 });
      const reconcile = await runSync([
        '--reconcile',
        '--from',
        '2026-11-20',
        '--to',
        '2026-11-20',
      ]);
      expect(reconcile.code).toBe(0);
      expect(JSON.parse(reconcile.stdout)).toMatchObject({
        inCallLog: 120,
        stored: 120,
        missingLocally: [],
      });
    },
    CLI_TEST_TIMEOUT_MS,
  );
});
