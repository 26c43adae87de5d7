import { RecordingRepository } from '../../test/support/recording-repository';
import { FixedClock } from '../../test/support/fixed-clock';
import { DatabaseLease } from './database-lease';
import { FunctionArgs, LeaseState } from './lead-sync.repository';

interface Row {
  owner: string | null;
  expiresAt: number | null;
  watermark: string | null;
}

/**
 * The lease rows as knowlarity_sync_acquire_lease / _release_lease keep them (0004): taken when
 * free, expired or already the caller's; released only by its owner. Time is the spec's clock.
 */
function leaseTable(clock: FixedClock, rows = new Map<string, Row>()) {
  const now = () => clock.now().getTime();
  const rowOf = (stream: string) => {
    const row = rows.get(stream) ?? { owner: null, expiresAt: null, watermark: null };
    rows.set(stream, row);
    return row;
  };
  const repository = new RecordingRepository()
    .on('knowlarity_sync_acquire_lease', (args: FunctionArgs): LeaseState => {
      const row = rowOf(String(args.p_stream));
      const owner = String(args.p_owner);
      const free = row.owner === null || row.owner === owner || (row.expiresAt ?? 0) < now();
      if (free) {
        row.owner = owner;
        row.expiresAt = now() + Number(args.p_ttl_seconds) * 1000;
      }
      return {
        acquired: free,
        owner: row.owner,
        expiresAt: row.expiresAt === null ? null : new Date(row.expiresAt).toISOString(),
        watermark: row.watermark,
      };
    })
    .on('knowlarity_sync_release_lease', (args: FunctionArgs) => {
      const row = rowOf(String(args.p_stream));
      if (row.owner === args.p_owner) Object.assign(row, { owner: null, expiresAt: null });
      return null;
    });
  return { repository, rows };
}

/** A lease whose waits move the spec's clock instead of sleeping. */
class TestLease extends DatabaseLease {
  readonly sleeps: number[] = [];

  constructor(
    repository: RecordingRepository,
    private readonly testClock: FixedClock,
  ) {
    super(repository, testClock);
  }

  protected override sleep(ms: number): Promise<void> {
    this.sleeps.push(ms);
    this.testClock.current = new Date(this.testClock.current.getTime() + ms);
    return Promise.resolve();
  }
}

describe('DatabaseLease', () => {
  const start = new Date('2026-11-20T06:00:00Z');
  let clock: FixedClock;
  let table: ReturnType<typeof leaseTable>;
  let lease: TestLease;

  beforeEach(() => {
    clock = new FixedClock(start);
    table = leaseTable(clock);
    lease = new TestLease(table.repository, clock);
  });

  it('runs the job holding the lease, hands it the watermark, and releases the lease after', async () => {
    table.rows.set('call_log', { owner: null, expiresAt: null, watermark: '2026-11-20T05:00:00Z' });
    let ownerDuringJob: string | null = null;

    const run = await lease.runExclusive('call_log', { ttlSeconds: 30 }, async (held) => {
      ownerDuringJob = table.rows.get('call_log')!.owner;
      return Promise.resolve(`${held.name} from ${held.watermark}`);
    });

    expect(run).toEqual({ ran: true, value: 'call_log from 2026-11-20T05:00:00Z' });
    expect(ownerDuringJob).toBe(lease.owner);
    expect(table.rows.get('call_log')!.owner).toBeNull();
    expect(table.repository.callsOf('knowlarity_sync_acquire_lease')).toEqual([
      { p_stream: 'call_log', p_owner: lease.owner, p_ttl_seconds: 30 },
    ]);
  });

  it('does not run the job while another instance holds the lease, and says who does', async () => {
    table.rows.set('refresh', {
      owner: 'other-instance',
      expiresAt: start.getTime() + 10_000,
      watermark: null,
    });
    const job = jest.fn(() => Promise.resolve('ran'));

    const run = await lease.runExclusive('refresh', { ttlSeconds: 30 }, job);

    expect(run).toEqual({ ran: false, heldBy: 'other-instance' });
    expect(job).not.toHaveBeenCalled();
    expect(table.rows.get('refresh')!.owner).toBe('other-instance');
  });

  it('takes over a lease whose holder went silent past its expiry', async () => {
    table.rows.set('refresh', {
      owner: 'crashed',
      expiresAt: start.getTime() - 1,
      watermark: null,
    });

    const run = await lease.runExclusive('refresh', { ttlSeconds: 30 }, () => Promise.resolve(1));

    expect(run).toEqual({ ran: true, value: 1 });
  });

  it('runs one job per name at a time in this process (the database sees one owner)', async () => {
    let finish!: () => void;
    const first = lease.runExclusive(
      'refresh',
      { ttlSeconds: 30 },
      () => new Promise<string>((resolve) => (finish = () => resolve('first'))),
    );
    await Promise.resolve();

    const second = await lease.runExclusive('refresh', { ttlSeconds: 30 }, () =>
      Promise.resolve('second'),
    );
    const other = await lease.runExclusive('another-job', { ttlSeconds: 30 }, () =>
      Promise.resolve('other'),
    );
    finish();

    expect(second).toEqual({ ran: false, heldBy: lease.owner });
    expect(other).toEqual({ ran: true, value: 'other' });
    expect(await first).toEqual({ ran: true, value: 'first' });
    expect(
      await lease.runExclusive('refresh', { ttlSeconds: 30 }, () => Promise.resolve('third')),
    ).toEqual({
      ran: true,
      value: 'third',
    });
  });

  it('releases the lease when the job fails, and lets the error through', async () => {
    await expect(
      lease.runExclusive('refresh', { ttlSeconds: 30 }, () => Promise.reject(new Error('boom'))),
    ).rejects.toThrow('boom');

    expect(table.rows.get('refresh')!.owner).toBeNull();
    const again = await lease.runExclusive('refresh', { ttlSeconds: 30 }, () => Promise.resolve(2));
    expect(again).toEqual({ ran: true, value: 2 });
  });

  it('with waitForExpiry, says when a held lease expires and waits for it, then runs', async () => {
    const expiresAt = start.getTime() + 5_000;
    table.rows.set('backfill', { owner: 'crashed', expiresAt, watermark: null });
    const told: Date[] = [];

    const run = await lease.runExclusive(
      'backfill',
      { ttlSeconds: 30, waitForExpiry: (at) => told.push(at) },
      () => Promise.resolve('resumed'),
    );

    expect(run).toEqual({ ran: true, value: 'resumed' });
    expect(told).toEqual([new Date(expiresAt)]);
    // Until the expiry, plus a margin so the database's clock agrees it has passed.
    expect(lease.sleeps).toEqual([5_250]);
  });

  it('renews a held lease for its time-to-live, and reports a lease lost to another owner', async () => {
    const renewals: boolean[] = [];

    await lease.runExclusive('call_log', { ttlSeconds: 30 }, async (held) => {
      clock.current = new Date(start.getTime() + 20_000);
      renewals.push(await held.renew());
      expect(table.rows.get('call_log')!.expiresAt).toBe(start.getTime() + 50_000);
      table.rows.set('call_log', {
        owner: 'thief',
        expiresAt: start.getTime() + 90_000,
        watermark: null,
      });
      renewals.push(await held.renew());
    });

    expect(renewals).toEqual([true, false]);
    // Releasing does not take the lease from its new owner.
    expect(table.rows.get('call_log')!.owner).toBe('thief');
  });

  it('still resolves when the release fails (the lease then simply expires)', async () => {
    table.repository.on('knowlarity_sync_release_lease', () => {
      throw new Error('connection lost');
    });

    const run = await lease.runExclusive('refresh', { ttlSeconds: 30 }, () => Promise.resolve(3));

    expect(run).toEqual({ ran: true, value: 3 });
  });
});
