import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
} from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { setTimeout as delay } from 'node:timers/promises';
import { BACKGROUND_JOBS } from '../common/background-jobs';
import { Clock } from '../common/clock';
import { streamConfig } from '../config';
import { DatabaseLease, HeldLease } from '../database/database-lease';
import { KnowlarityCredentialsError } from '../knowlarity/knowlarity-api.errors';
import { KnowlarityStreamClient, StreamEndedError } from '../knowlarity/knowlarity-stream.client';
import { MetricsService } from '../metrics/metrics.service';
import { StreamEventCounts, StreamEvents } from './stream-events';

/** The lease that makes one instance of a cluster hold the stream. */
export const STREAM_LEASE = 'knowlarity-stream';

export interface StreamStatus extends StreamEventCounts {
  enabled: boolean;
  /** `connected`, `connecting` (or waiting to reconnect), `standby` (another instance holds it),
   * `unauthorized` (401/403: stopped until the keys are fixed and the service restarted), `off`. */
  state: 'off' | 'standby' | 'connecting' | 'connected' | 'unauthorized';
  connectedSince: string | null;
  /** Connections opened after the first one. */
  reconnects: number;
  lastError: { message: string; at: string } | null;
}

/**
 * Keeps Knowlarity's live stream open on exactly one instance of the cluster: the instance that
 * holds the stream's lease connects, renews the lease while connected (every third of its TTL,
 * so a dead holder is replaced within KNOWLARITY_STREAM_LEASE_SECONDS), and reconnects with
 * exponential back-off and full jitter when the stream closes, fails or goes silent. A 401/403
 * stops it for good. Events lost while disconnected are not replayed from here: the poller's
 * overlap re-reads that stretch of the call log.
 */
@Injectable()
export class KnowlarityStreamConsumer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(KnowlarityStreamConsumer.name);
  private readonly stopping = new AbortController();
  private loop: Promise<void> | null = null;
  private state: StreamStatus['state'] = 'off';
  private connectedSince: Date | null = null;
  private connections = 0;
  private lastError: StreamStatus['lastError'] = null;
  private lastEventId: string | undefined;
  private serverRetryMs: number | null = null;

  constructor(
    private readonly client: KnowlarityStreamClient,
    private readonly events: StreamEvents,
    private readonly lease: DatabaseLease,
    private readonly metrics: MetricsService,
    private readonly clock: Clock,
    @Inject(streamConfig.KEY) private readonly config: ConfigType<typeof streamConfig>,
    @Inject(BACKGROUND_JOBS) private readonly backgroundJobs: boolean,
  ) {}

  get enabled(): boolean {
    return this.config.enabled && this.client.configured;
  }

  /** True when a 401/403 stopped the stream (readiness reports it). */
  get unauthorized(): boolean {
    return this.state === 'unauthorized';
  }

  onApplicationBootstrap(): void {
    if (!this.backgroundJobs || !this.config.enabled) return;
    this.logger.log('Live stream enabled: one instance of the cluster holds it.');
    this.state = 'standby';
    this.loop = this.run();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopping.abort();
    await this.loop;
    await this.events.drained();
  }

  status(): StreamStatus {
    return {
      enabled: this.config.enabled,
      state: this.state,
      connectedSince: this.connectedSince?.toISOString() ?? null,
      reconnects: Math.max(this.connections - 1, 0),
      lastError: this.lastError,
      ...this.events.status,
    };
  }

  /** Waits for the lease, holds the stream while it has it, and starts over when it loses it. */
  private async run(): Promise<void> {
    const standbyMs = (this.config.leaseSeconds * 1000) / 3;
    while (!this.stopping.signal.aborted) {
      const outcome = await this.lease
        .runExclusive(STREAM_LEASE, { ttlSeconds: this.config.leaseSeconds }, (lease) =>
          this.holdStream(lease),
        )
        .catch((error: unknown) => {
          this.recordError(`lease: ${(error as Error).message}`);
          return null;
        });
      if (this.unauthorized) return;
      if (outcome?.ran !== true) this.state = 'standby';
      await this.pause(standbyMs);
    }
  }

  /** Connects and reconnects while this instance holds the lease. */
  private async holdStream(lease: HeldLease): Promise<void> {
    const lost = new AbortController();
    const renewEvery = (this.config.leaseSeconds * 1000) / 3;
    const renewal = setInterval(() => {
      lease.renew().then(
        (held) => held || lost.abort(),
        () => lost.abort(),
      );
    }, renewEvery);
    const signal = AbortSignal.any([this.stopping.signal, lost.signal]);
    try {
      let failures = 0;
      while (!signal.aborted) {
        const opened = await this.connectOnce(signal);
        if (this.unauthorized) return;
        failures = opened ? 1 : failures + 1;
        await this.pause(this.backoffMs(failures), signal);
      }
      if (lost.signal.aborted)
        this.logger.warn('Live stream lease lost; another instance takes it.');
    } finally {
      clearInterval(renewal);
    }
  }

  /** One connection, until it ends; true when it was opened (resets the back-off). */
  private async connectOnce(signal: AbortSignal): Promise<boolean> {
    this.state = 'connecting';
    let opened = false;
    try {
      await this.client.open(
        {
          onOpen: () => {
            opened = true;
            this.opened();
          },
          onMessage: (message) => {
            if (message.id) this.lastEventId = message.id;
            this.events.accept(message);
          },
          onInvalidLine: () => this.metrics.streamEvent('invalid_line'),
          onRetry: (ms) => (this.serverRetryMs = ms),
        },
        { signal, lastEventId: this.lastEventId },
      );
    } catch (error) {
      this.closed(error, opened);
    }
    return opened;
  }

  private opened(): void {
    this.connections += 1;
    this.connectedSince = this.clock.now();
    this.state = 'connected';
    this.metrics.streamConnected(true, this.connections > 1);
    this.logger.log(`Live stream connected (connection ${this.connections}).`);
  }

  private closed(error: unknown, wasOpen: boolean): void {
    this.connectedSince = null;
    if (wasOpen) this.metrics.streamConnected(false, false);
    if (error instanceof KnowlarityCredentialsError) {
      this.state = 'unauthorized';
      this.recordError(error.message);
      this.logger.error(`Live stream stopped: ${error.message}`);
      return;
    }
    const reason = error instanceof StreamEndedError ? error.reason : 'network';
    if (reason === 'aborted') {
      if (wasOpen) this.logger.log('Live stream disconnected: closed by the service.');
      return;
    }
    this.state = 'connecting';
    this.recordError((error as Error).message);
    this.logger.warn(
      `Live stream ${wasOpen ? 'disconnected' : 'could not connect'}: ${(error as Error).message}.`,
    );
  }

  private recordError(message: string): void {
    this.lastError = { message, at: this.clock.now().toISOString() };
  }

  /** Exponential back-off with full jitter, at least the server's `retry:` when it sent one. */
  private backoffMs(failures: number): number {
    const { backoffMinMs, backoffMaxMs } = this.config;
    const ceiling = Math.min(backoffMaxMs, backoffMinMs * 2 ** Math.min(failures - 1, 20));
    const jittered = backoffMinMs + Math.random() * (ceiling - backoffMinMs);
    return Math.min(Math.max(jittered, this.serverRetryMs ?? 0), backoffMaxMs);
  }

  private async pause(ms: number, signal: AbortSignal = this.stopping.signal): Promise<void> {
    await delay(ms, undefined, { signal }).catch(() => undefined);
  }
}
