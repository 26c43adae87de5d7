/**
 * One process per embedded data directory, with the built service and commands as real
 * processes: a second service, `npm run sync` and `npm run db:migrate` on a directory in use
 * exit non-zero naming the holder's PID; after the holder is SIGKILLed, the next start takes
 * the directory over and what the killed process acknowledged is still there.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureBuilt, ROOT, ServiceProcess, startServiceProcess } from './support/service-process';

const INTERNAL_KEY = 'lock-test-internal-key-0123456789';

/** Runs a built entry point to its end, collecting everything it writes. */
function run(script: string, args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, [script, ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, NODE_ENV: 'test', ...env },
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise<{ code: number | null; output: string }>((resolve) =>
    child.on('exit', (code) => resolve({ code, output })),
  );
}

describe('one process per PGlite data directory', () => {
  let dataDir: string;
  let env: Record<string, string>;
  let holder: ServiceProcess | undefined;

  beforeAll(() => {
    ensureBuilt();
    dataDir = mkdtempSync(join(tmpdir(), 'kls-lock-'));
    env = { DATABASE_DRIVER: 'pglite', PGLITE_DATA_DIR: dataDir, INTERNAL_API_KEYS: INTERNAL_KEY };
  });

  afterAll(async () => {
    if (holder && holder.child.exitCode === null) {
      holder.child.kill('SIGKILL');
      await holder.exited;
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  // Three processes start and one restarts, each opening PGlite: minutes on a loaded machine.
  jest.setTimeout(600_000);

  it('refuses a second process, and survives the holder being killed', async () => {
    // A new data directory is created (initdb) at the first start: allow for a slow machine.
    holder = await startServiceProcess(env, { readyTimeoutMs: 240_000 });
    const pid = holder.child.pid!;
    const delivered = await fetch(`${holder.url}/webhooks/knowlarity`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ caller_id: '+919811122233', callid: 'lock-test-call-1' }),
    });
    expect(delivered.status).toBe(200);

    const refusal = new RegExp(`in use by PID ${pid} .*POST /sync/knowlarity/backfill`);
    const service = await run('dist/main.js', [], { ...env, PORT: '0', HOST: '127.0.0.1' });
    const sync = await run(
      'dist/sync/sync.cli.js',
      ['--from', '2026-11-20', '--to', '2026-11-20'],
      {
        ...env,
        KNOWLARITY_API_KEY: 'k',
        KNOWLARITY_SR_API_KEY: 'k',
      },
    );
    const migrate = await run('dist/database/migrate.cli.js', [], env);
    for (const second of [service, sync, migrate]) {
      expect(second.code).not.toBe(0);
      expect(second.output).toMatch(refusal);
      // One line, no stack.
      expect(second.output.trim().split('\n')).toHaveLength(1);
    }

    holder.child.kill('SIGKILL');
    await holder.exited;
    holder = await startServiceProcess(env, { readyTimeoutMs: 240_000 });
    const call = await fetch(`${holder.url}/calls/lock-test-call-1`, {
      headers: { 'x-api-key': INTERNAL_KEY },
    });
    expect(call.status).toBe(200);
    expect(await call.json()).toMatchObject({ callId: 'lock-test-call-1' });
  });
});
