import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { BACKGROUND_JOBS } from './background-jobs';

/** When a scheduled job runs. */
export interface JobTiming {
  /** The name its timers carry in Nest's SchedulerRegistry. */
  name: string;
  everyMs: number;
  /** The first run: at boot, after this many milliseconds, or (unset) with the first interval. */
  first?: 'at-boot' | number;
}

/**
 * The timers of the scheduled jobs, kept in Nest's SchedulerRegistry. A one-shot command (such as
 * `npm run sync`) shares the modules but runs no background jobs: then nothing is started.
 */
@Injectable()
export class JobTimers {
  constructor(
    private readonly registry: SchedulerRegistry,
    @Inject(BACKGROUND_JOBS) readonly backgroundJobs: boolean,
  ) {}

  /** Calls `run` as `timing` says. The timers never keep a process alive on their own. */
  start(timing: JobTiming, run: () => void): void {
    if (!this.backgroundJobs) return;
    const { name, everyMs, first } = timing;
    if (typeof first === 'number') this.registry.addTimeout(name, setTimeout(run, first).unref());
    this.registry.addInterval(name, setInterval(run, everyMs).unref());
    if (first === 'at-boot') run();
  }

  /** Stops the timers of `name`, if they run (calling it twice is harmless). */
  stop(name: string): void {
    if (this.registry.doesExist('timeout', name)) this.registry.deleteTimeout(name);
    if (this.registry.doesExist('interval', name)) this.registry.deleteInterval(name);
  }
}

/**
 * A job the service runs on a timer (Immich's and Ghostfolio's cron services are the model): the
 * timers start at boot where background jobs run, stop at shutdown, and shutdown then waits for
 * what the job says it must finish. A job states only its own parts: its timing (or none, when
 * configuration switches it off), one tick, and what to finish. Running on one instance of a
 * cluster and never overlapping itself stay with the job: each takes its own lease its own way.
 */
export abstract class ScheduledJob
  implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown
{
  private timing: JobTiming | null = null;

  protected constructor(private readonly timers: JobTimers) {}

  /** Asked once, at boot, only where background jobs run; null leaves the job off. */
  protected abstract schedule(): JobTiming | null;

  /** One scheduled run; it deals with its own errors. */
  abstract tick(): Promise<unknown>;

  /** What shutdown waits for once the timers have stopped (the run in progress, …). */
  protected abstract finish(): Promise<void>;

  onApplicationBootstrap(): void {
    if (!this.timers.backgroundJobs) return;
    this.timing = this.schedule();
    if (this.timing) this.timers.start(this.timing, () => void this.tick());
  }

  /** On SIGTERM: no new ticks, and what is in progress finishes. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopTimers();
    await this.finish();
  }

  onApplicationShutdown(): void {
    this.stopTimers();
  }

  private stopTimers(): void {
    if (this.timing) this.timers.stop(this.timing.name);
  }
}
