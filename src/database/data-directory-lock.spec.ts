import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DataDirectoryLock,
  DataDirectoryLockedError,
  LOCK_FILE,
  LockHolder,
} from './data-directory-lock';

describe('DataDirectoryLock', () => {
  let dir: string;
  const lockPath = () => join(dir, LOCK_FILE);
  const readLock = () => JSON.parse(readFileSync(lockPath(), 'utf8')) as LockHolder;
  const writeLock = (holder: Partial<LockHolder>) =>
    writeFileSync(
      lockPath(),
      JSON.stringify({
        pid: process.pid,
        startTime: null,
        bootId: null,
        hostname: hostname(),
        command: 'npm start',
        since: '2026-11-30T00:00:00.000Z',
        ...holder,
      }),
    );

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kls-lock-unit-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('is held until released, and refuses a second holder meanwhile', async () => {
    const lock = await DataDirectoryLock.acquire(dir, 'npm start');
    expect(readLock()).toMatchObject({ pid: process.pid, command: 'npm start' });

    const second = DataDirectoryLock.acquire(dir, 'npm run sync');
    await expect(second).rejects.toBeInstanceOf(DataDirectoryLockedError);
    await expect(second).rejects.toThrow(`in use by PID ${process.pid} (npm start`);

    lock.release();
    expect(existsSync(lockPath())).toBe(false);
    (await DataDirectoryLock.acquire(dir, 'npm run sync')).release();
  });

  it('takes over a lock whose process is gone', async () => {
    // Above the kernel's pid_max (2^22): no process can have it.
    writeLock({ pid: 4_194_305 });
    const lock = await DataDirectoryLock.acquire(dir, 'npm start');
    expect(readLock().pid).toBe(process.pid);
    lock.release();
  });

  it('takes over a lock whose PID now belongs to another process (another start time)', async () => {
    writeLock({ pid: process.pid, startTime: '1' });
    const lock = await DataDirectoryLock.acquire(dir, 'npm start');
    expect(readLock().startTime).not.toBe('1');
    lock.release();
  });

  it('takes over a lock written before the last reboot', async () => {
    writeLock({ pid: process.pid, bootId: '00000000-0000-0000-0000-000000000000' });
    const lock = await DataDirectoryLock.acquire(dir, 'npm start');
    expect(readLock().bootId).not.toBe('00000000-0000-0000-0000-000000000000');
    lock.release();
  });

  it('counts a holder on another host as live, and says how to clear it', async () => {
    writeLock({ pid: 4_194_305, hostname: `not-${hostname()}` });
    await expect(DataDirectoryLock.acquire(dir, 'npm start')).rejects.toThrow(
      `on host not-${hostname()}`,
    );
    expect(readLock().pid).toBe(4_194_305);
  });

  it('lets exactly one of several simultaneous takers have a stale lock', async () => {
    writeLock({ pid: 4_194_305 });
    const attempts = await Promise.allSettled(
      Array.from({ length: 8 }, () => DataDirectoryLock.acquire(dir, 'npm start')),
    );
    // All in one process, so the holder's PID is everybody's: the winners are told apart by
    // their objects, and the losers must have been refused.
    const won = attempts.filter((a) => a.status === 'fulfilled');
    const refused = attempts.filter(
      (a) => a.status === 'rejected' && a.reason instanceof DataDirectoryLockedError,
    );
    expect(won).toHaveLength(1);
    expect(refused).toHaveLength(7);
    won[0].value.release();
  });
});
