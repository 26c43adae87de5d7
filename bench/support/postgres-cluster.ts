import { execFileSync } from 'node:child_process';
import { chownSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { freePort } from './service-process';

const BIN = process.env.BENCH_PG_BIN ?? '/usr/lib/postgresql/15/bin';

/**
 * WAL segments (16 MiB each) written and recycled before a run: BENCH_PG_PRIME_WAL_SEGMENTS
 * (64, that is 1 GiB; 0 leaves the cluster as initdb made it). See primeWal.
 */
const PRIME_WAL_SEGMENTS = Number(process.env.BENCH_PG_PRIME_WAL_SEGMENTS ?? 64);

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
        // Checkpoints keep (recycle) up to this much WAL ahead, so the primed segments stay.
        ...(PRIME_WAL_SEGMENTS > 0 ? [`-c min_wal_size=${PRIME_WAL_SEGMENTS * 16}MB`] : []),
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
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  try {
    await primeWal(url, PRIME_WAL_SEGMENTS);
  } catch (error) {
    stop();
    throw error;
  }
  return { url, pid, stop };
}

/**
 * A new cluster has one WAL segment: every 16 MiB of WAL, a committing backend creates the next
 * file and fills it with zeros (wal_init_zero) while holding the WAL write lock, and every commit
 * on the cluster waits behind it, a stall of tens of ms on these disks. A server that has been
 * running reuses segments its checkpoints recycled instead, so it has no such stalls; and they
 * hit a writer in proportion to its WAL, not its work. The cluster is brought to that state
 * first: `segments` switches to a new segment, then a checkpoint, which recycles all of them as
 * future segments (min_wal_size, set at start, keeps them).
 */
async function primeWal(url: string, segments: number): Promise<void> {
  if (segments <= 0) return;
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    // A switch needs WAL written since the last one: a row per segment.
    await client.query(`
      create table bench_wal_primer (n integer);
      do $$ begin
        for i in 1..${segments} loop
          insert into bench_wal_primer values (i);
          perform pg_switch_wal();
        end loop;
      end $$;
      drop table bench_wal_primer;
      checkpoint;`);
  } finally {
    await client.end();
  }
}
