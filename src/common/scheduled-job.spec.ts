import { SchedulerRegistry } from '@nestjs/schedule';
import { JobTimers, JobTiming, ScheduledJob } from './scheduled-job';

/** A job that counts its ticks and lets the spec decide when its shutdown work ends. */
class CountingJob extends ScheduledJob {
  ticks = 0;
  scheduleAsked = 0;
  finished = false;
  private release: () => void = () => undefined;
  private readonly inProgress = new Promise<void>((resolve) => (this.release = resolve));

  constructor(
    timers: JobTimers,
    private readonly timingOrOff: JobTiming | null,
  ) {
    super(timers);
  }

  protected override schedule(): JobTiming | null {
    this.scheduleAsked += 1;
    return this.timingOrOff;
  }

  override tick(): Promise<void> {
    this.ticks += 1;
    return Promise.resolve();
  }

  protected override async finish(): Promise<void> {
    await this.inProgress;
    this.finished = true;
  }

  endRunInProgress(): void {
    this.release();
  }
}

const NAME = 'counting-job';

describe('ScheduledJob', () => {
  let registry: SchedulerRegistry;

  beforeEach(() => {
    jest.useFakeTimers();
    registry = new SchedulerRegistry();
  });

  afterEach(() => {
    jest.useRealTimers();
  });

  function job(timing: JobTiming | null, backgroundJobs = true): CountingJob {
    return new CountingJob(new JobTimers(registry, backgroundJobs), timing);
  }

  it('ticks every interval, the first with the first interval when no first run is set', () => {
    const counting = job({ name: NAME, everyMs: 1000 });

    counting.onApplicationBootstrap();
    expect(counting.ticks).toBe(0);
    jest.advanceTimersByTime(999);
    expect(counting.ticks).toBe(0);
    jest.advanceTimersByTime(2001);

    expect(counting.ticks).toBe(3);
    expect(registry.getIntervals()).toEqual([NAME]);
  });

  it('ticks at boot when the first run is at boot', () => {
    const counting = job({ name: NAME, everyMs: 1000, first: 'at-boot' });

    counting.onApplicationBootstrap();
    expect(counting.ticks).toBe(1);
    jest.advanceTimersByTime(1000);

    expect(counting.ticks).toBe(2);
  });

  it('ticks once after the first delay, then every interval', () => {
    const counting = job({ name: NAME, everyMs: 10_000, first: 500 });

    counting.onApplicationBootstrap();
    expect(registry.getTimeouts()).toEqual([NAME]);
    jest.advanceTimersByTime(500);
    expect(counting.ticks).toBe(1);
    jest.advanceTimersByTime(10_000);

    expect(counting.ticks).toBe(2);
  });

  it('never keeps the process alive with its timers', () => {
    jest.useRealTimers();
    const counting = job({ name: NAME, everyMs: 1000, first: 500 });
    counting.onApplicationBootstrap();

    const held = [registry.getInterval(NAME), registry.getTimeout(NAME)] as NodeJS.Timeout[];
    counting.onApplicationShutdown();

    expect(held.map((timer) => timer.hasRef())).toEqual([false, false]);
  });

  it('starts nothing, and does not ask for its timing, where background jobs do not run', () => {
    const counting = job({ name: NAME, everyMs: 1000, first: 'at-boot' }, false);

    counting.onApplicationBootstrap();
    jest.advanceTimersByTime(5000);

    expect(counting.scheduleAsked).toBe(0);
    expect(counting.ticks).toBe(0);
    expect(registry.getIntervals()).toEqual([]);
  });

  it('starts nothing when configuration switches the job off', () => {
    const counting = job(null);

    counting.onApplicationBootstrap();
    jest.advanceTimersByTime(5000);

    expect(counting.scheduleAsked).toBe(1);
    expect(counting.ticks).toBe(0);
    expect(registry.getIntervals()).toEqual([]);
  });

  it('stops its timers at shutdown and waits for what it must finish', async () => {
    const counting = job({ name: NAME, everyMs: 1000, first: 500 });
    counting.onApplicationBootstrap();

    const shutdown = counting.beforeApplicationShutdown();
    jest.advanceTimersByTime(5000);
    await Promise.resolve();
    expect(counting.finished).toBe(false);
    counting.endRunInProgress();
    await shutdown;

    expect(counting.ticks).toBe(0);
    expect(counting.finished).toBe(true);
    expect(registry.getIntervals()).toEqual([]);
    expect(registry.getTimeouts()).toEqual([]);
  });

  it('stops its timers at the final shutdown too, and a second stop is harmless', async () => {
    const counting = job({ name: NAME, everyMs: 1000 });
    counting.onApplicationBootstrap();

    counting.onApplicationShutdown();
    counting.endRunInProgress();
    await counting.beforeApplicationShutdown();
    jest.advanceTimersByTime(5000);

    expect(counting.ticks).toBe(0);
    expect(registry.getIntervals()).toEqual([]);
  });
});
