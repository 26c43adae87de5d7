import { execFileSync } from 'node:child_process';
import { chownSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './service-process';

const BIN = process.env.BENCH_PG_BIN ?? '/usr/lib/postgresql/15/bin';

export interface PostgresCluster {
  /** Connection string of the cluster's `postgres` database (trust auth, user postgres). */
  url: string;
  /** The postmaster's pid (its children are the backends). */
  pid: number;
  stop(): void;
}

/**
 * A private PostgreSQL cluster in a temporary directory, for one benchmark run: `initdb` with
 * trust auth and no fsync at init (the running server keeps fsync on, as production does),
 * `pg_ctl start` on a free port listening on 127.0.0.1 only (plus any `settings`, as
 * `name=value`), and `stop()` removes it all.
 * PostgreSQL refuses to run as root, so as root the commands run as the `postgres` user.
 */
export async function startPostgresCluster(settings: string[] = []): Promise<PostgresCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'kls-bench-pg-'));
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString());
    chownSync(dir, uid, gid);
  }
  const run = (command: string, args: string[]) =>
    asRoot
      ? execFileSync('runuser', ['-u', 'postgres', '--', join(BIN, command), ...args], {
          stdio: ['ignore', 'pipe', 'pipe'],
        })
      : execFileSync(join(BIN, command), args, { stdio: ['ignore', 'pipe', 'pipe'] });

  const data = join(dir, 'data');
  const port = await freePort();
  const stop = () => {
    try {
      run('pg_ctl', ['-D', data, '-m', 'immediate', 'stop']);
    } catch {
      // Not started, or already gone: the directory is removed either way.
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    run('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync']);
    run('pg_ctl', [
      '-D',
      data,
      '-l',
      join(dir, 'server.log'),
      '-o',
      [
        `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1`,
        ...settings.map((s) => `-c ${s}`),
      ].join(' '),
      '-w',
      'start',
    ]);
  } catch (error) {
    stop();
    throw error;
  }
  const pid = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
  return { url: `postgres://postgres@127.0.0.1:${port}/postgres`, pid, stop };
}
