import {
  closeSync,
  linkSync,
  mkdirSync,
  openSync,
  readFileSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { DatabaseConfig } from '../config/database.config';

/** The file inside the data directory that says which process has it open. */
export const LOCK_FILE = 'knowlarity-lead-sync.lock';

/** Who holds a data directory: enough to tell a live holder from a dead one whose PID was reused. */
export interface LockHolder {
  pid: number;
  /** Process start time in clock ticks since boot (/proc/<pid>/stat field 22); null off Linux. */
  startTime: string | null;
  /** /proc/sys/kernel/random/boot_id: PIDs and start times mean nothing across a reboot. */
  bootId: string | null;
  hostname: string;
  /** What the holder is (`npm start`, `npm run sync`, `npm run db:migrate`). */
  command: string;
  since: string;
}

/** A guard left by a process that died in the middle of a take-over is ignored after this. */
const TAKEOVER_GUARD_STALE_MS = 10_000;
const RETRY_MS = 20;
const MAX_ATTEMPTS = 500;

/**
 * A second process on the same PGlite data directory. PGlite is one PostgreSQL backend writing
 * its files without any inter-process locking: two of them silently lose each other's writes.
 */
export class DataDirectoryLockedError extends Error {
  readonly code = 'data_directory_locked';

  constructor(
    readonly dataDir: string,
    readonly holder: LockHolder,
  ) {
    const where = holder.hostname === hostname() ? '' : ` on host ${holder.hostname}`;
    super(
      `The embedded database in ${dataDir} is in use by PID ${holder.pid}${where} ` +
        `(${holder.command}, since ${holder.since}) and PGlite allows one process. ` +
        'Use the running service instead (POST /sync/knowlarity/run, POST /sync/knowlarity/backfill, ' +
        `GET /sync/knowlarity/reconcile), or stop PID ${holder.pid} first.` +
        (where ? ` If that host no longer runs it, delete ${join(dataDir, LOCK_FILE)}.` : ''),
    );
    this.name = 'DataDirectoryLockedError';
  }
}

/**
 * One process per PGlite data directory, held for the life of the process.
 *
 * The lock is a file created atomically (written aside, then hard-linked into place, which fails
 * if it exists) naming the holder's PID, its start time and the boot id. A file left by a killed
 * process is recognised as stale when that PID is gone, or is now a different process (another
 * start time: the PID was reused), or the machine has rebooted since. Taking a stale lock over
 * happens under a second exclusive file, so two processes starting at once after a crash cannot
 * both take it. A holder on another host (a shared volume) cannot be checked and counts as live.
 * Chosen over an OS lock because Node has no flock/fcntl without a native module, and over an
 * abstract socket because that would not be seen across containers sharing the volume.
 */
export class DataDirectoryLock {
  private released = false;
  private readonly releaseAtExit = () => this.release();

  private constructor(
    private readonly path: string,
    readonly holder: LockHolder,
  ) {
    process.once('exit', this.releaseAtExit);
  }

  /** Takes the lock on `dataDir` for `command`, or throws DataDirectoryLockedError. */
  static async acquire(dataDir: string, command: string): Promise<DataDirectoryLock> {
    mkdirSync(dataDir, { recursive: true });
    const path = join(resolve(dataDir), LOCK_FILE);
    const me = currentProcess(command);
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      if (tryCreate(path, me)) return new DataDirectoryLock(path, me);
      const holder = readHolder(path);
      if (holder === 'missing') continue;
      if (holder !== 'unreadable' && isAlive(holder))
        throw new DataDirectoryLockedError(dataDir, holder);
      if (holder === 'unreadable' && attempt < 10) {
        // Never half-written by us (it is linked into place complete); give a foreign writer a moment.
        await sleep(RETRY_MS);
        continue;
      }
      await takeOver(path, holder);
    }
    throw new Error(`Could not take the lock ${path}`);
  }

  /** Removes the lock file if it is still ours. Runs at exit too, so calling it is optional. */
  release(): void {
    if (this.released) return;
    this.released = true;
    process.off('exit', this.releaseAtExit);
    const holder = readHolder(this.path);
    if (typeof holder === 'object' && sameProcess(holder, this.holder)) {
      unlinkQuietly(this.path);
    }
  }
}

function tryCreate(path: string, me: LockHolder): boolean {
  const aside = `${path}.${process.pid}.tmp`;
  writeFileSync(aside, `${JSON.stringify(me)}\n`);
  try {
    linkSync(aside, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    unlinkQuietly(aside);
  }
}

/** Removes the stale lock `seen`, unless someone else replaced it meanwhile. */
async function takeOver(path: string, seen: LockHolder | 'unreadable'): Promise<void> {
  const guard = `${path}.takeover`;
  let fd: number;
  try {
    fd = openSync(guard, 'wx');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const age = Date.now() - (statSafe(guard)?.mtimeMs ?? Date.now());
    if (age > TAKEOVER_GUARD_STALE_MS) unlinkQuietly(guard);
    await sleep(RETRY_MS);
    return;
  }
  try {
    const now = readHolder(path);
    const unchanged =
      now === seen ||
      (typeof now === 'object' && typeof seen === 'object' && sameProcess(now, seen));
    if (unchanged) unlinkQuietly(path);
  } finally {
    closeSync(fd);
    unlinkQuietly(guard);
  }
}

function readHolder(path: string): LockHolder | 'missing' | 'unreadable' {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
    throw error;
  }
  try {
    const holder = JSON.parse(text) as LockHolder;
    return Number.isInteger(holder.pid) ? holder : 'unreadable';
  } catch {
    return 'unreadable';
  }
}

/** Whether the process that wrote `holder` still runs (true when it cannot be told). */
export function isAlive(holder: LockHolder): boolean {
  if (holder.hostname !== hostname()) return true;
  const boot = bootId();
  if (holder.bootId && boot && holder.bootId !== boot) return false;
  try {
    process.kill(holder.pid, 0);
  } catch (error) {
    // EPERM: it exists but belongs to another user.
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  const startTime = processStartTime(holder.pid);
  return !(holder.startTime && startTime && holder.startTime !== startTime);
}

function sameProcess(a: LockHolder, b: LockHolder): boolean {
  return (
    a.pid === b.pid &&
    a.startTime === b.startTime &&
    a.bootId === b.bootId &&
    a.hostname === b.hostname
  );
}

function currentProcess(command: string): LockHolder {
  return {
    pid: process.pid,
    startTime: processStartTime(process.pid),
    bootId: bootId(),
    hostname: hostname(),
    command,
    since: new Date().toISOString(),
  };
}

/** Field 22 of /proc/<pid>/stat, counted after the command name (which may hold spaces). */
function processStartTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

function bootId(): string | null {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return null;
  }
}

function statSafe(path: string) {
  try {
    return statSync(path);
  } catch {
    return null;
  }
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Already gone.
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Locks the embedded database's directory when the configured driver is PGlite on disk. */
export async function lockEmbeddedDatabase(
  config: DatabaseConfig,
  command: string,
): Promise<DataDirectoryLock | null> {
  if (config.driver !== 'pglite' || config.pgliteDataDir.startsWith('memory://')) return null;
  return DataDirectoryLock.acquire(config.pgliteDataDir, command);
}
