/**
 * The live stream against the Knowlarity simulator: calls streamed through cuts, stalls, garbage
 * and split frames end up exactly once after one poll (the poller's overlap covers what the
 * stream lost); a call seen by all three paths is one row; a 401 stops the stream at once; and
 * two instances hold one stream between them.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { PostgresRepository } from '../src/database/drivers/postgres.repository';
import type { StreamStatus } from '../src/stream/knowlarity-stream.consumer';
import { generateCalls } from '../tools/simulator/call-generator';
import { KnowlaritySimulator } from '../tools/simulator/simulator-server';
import { deliverAsWebhooks } from '../tools/simulator/webhook-sender';
import { FixedClock, RunningApp, startApp } from './support/app';
import { expectedCrmRows } from './support/crm-rules';
import { describeWithServer } from './support/databases';
import { readJson } from './support/http';
import { describeOnEveryTarget, OpenTarget, repositoryTargets } from './support/targets';

const API_KEY = 'internal-key-for-stream-tests-01';
const DAY_START = new Date('2026-11-19T18:30:00Z'); // 2026-11-20 00:00 IST
const DAY_END = new Date('2026-11-20T18:30:00Z'); // 2026-11-21 00:00 IST
const SILENCE_MS = 1000;
/** Heartbeats well inside the silence limit, as Knowlarity's are inside the service's default. */
const HEARTBEAT_MS = 200;

/** The part of GET /sync/knowlarity these tests read. */
interface SyncStatus {
  stream: StreamStatus;
}

/** What a poll run answers, as far as these tests read it. */
interface PollSummary {
  status: string;
  outcomes: Record<string, number>;
}

/** Polls `read` until `done` holds, failing with the last value after `timeoutMs`. */
async function waitFor<T>(
  read: () => Promise<T> | T,
  done: (value: T) => boolean,
  timeoutMs = 20_000,
) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out; last value: ${JSON.stringify(value)}`);
    await delay(25);
  }
}

function streamEnv(simulator: KnowlaritySimulator, overrides: Record<string, string> = {}) {
  return {
    INTERNAL_API_KEYS: API_KEY,
    KNOWLARITY_API_KEY: simulator.apiKey,
    KNOWLARITY_SR_API_KEY: simulator.srApiKey,
    KNOWLARITY_BASE_URL: simulator.baseUrl,
    KNOWLARITY_POLL_ENABLED: 'false',
    KNOWLARITY_POLL_START: '2026-11-20 00:00:00+05:30',
    KNOWLARITY_RECONCILE_HOUR: '-1',
    KNOWLARITY_STREAM_ENABLED: 'true',
    KNOWLARITY_STREAM_URL: simulator.streamUrl,
    KNOWLARITY_STREAM_SILENCE_SECONDS: String(SILENCE_MS / 1000),
    KNOWLARITY_STREAM_BACKOFF_MIN_MS: '20',
    KNOWLARITY_STREAM_BACKOFF_MAX_MS: '200',
    KNOWLARITY_STREAM_LEASE_SECONDS: '3',
    ...overrides,
  };
}

function client(running: RunningApp) {
  return async <T = SyncStatus>(path: string, init: RequestInit = {}) =>
    readJson<T>(
      await fetch(`${running.url}${path}`, {
        ...init,
        headers: { 'x-api-key': API_KEY, 'content-type': 'application/json', ...init.headers },
      }),
    );
}

describeOnEveryTarget(
  'live stream',
  (db) => {
    let simulator: KnowlaritySimulator;
    let running: RunningApp;

    beforeEach(async () => {
      simulator = new KnowlaritySimulator({ maxPageSize: 100, streamHeartbeatMs: HEARTBEAT_MS });
      await simulator.start();
    });
    afterEach(async () => {
      await running?.close();
      await simulator.stop();
    });

    async function boot(overrides: Record<string, string> = {}) {
      running = await startApp({
        repository: db.repository,
        clock: new FixedClock(DAY_END),
        env: streamEnv(simulator, overrides),
      });
      return client(running);
    }

    it('1,000 calls streamed through 10 cuts and 2 stalls: one poll leaves exactly 1,000 calls', async () => {
      const records = generateCalls({ count: 1000, seed: 16, from: DAY_START, to: DAY_END });
      const api = await boot();
      simulator.stream.splitFrames = true;
      const connected = () => simulator.stream.connectedClients === 1;
      await waitFor(connected, Boolean);

      const cutAt = new Set([50, 150, 250, 350, 450, 550, 650, 750, 850, 950]);
      const stallAt = new Set([300, 700]);
      /** Calls published after each fault, before the service can be back: the stream loses them. */
      const LOST_PER_FAULT = 5;
      let resumeAt = -1;
      let connectionsBefore = 0;
      for (const [i, record] of records.entries()) {
        if (i === resumeAt) {
          await waitFor(
            () => simulator.stream.connections.length > connectionsBefore && connected(),
            Boolean,
          );
        }
        if (cutAt.has(i) || stallAt.has(i)) {
          // Faults strike once the backlog is written, so each loses what a real one would: the
          // frames in flight and the calls that end before the service is back.
          await waitFor(() => simulator.stream.flushed, Boolean);
          connectionsBefore = simulator.stream.connections.length;
          if (cutAt.has(i)) simulator.stream.cut();
          else simulator.stream.stall(SILENCE_MS * 1.5);
          resumeAt = i + LOST_PER_FAULT;
        }
        if (i % 100 === 25) simulator.stream.garbageLine();
        simulator.liveCall(record);
        if (i % 5 === 4) await delay(5);
      }
      // Everything the stream delivered is read and ingested before the one poll: the simulator
      // has written every frame, and the service's counts have stopped moving.
      await waitFor(() => simulator.stream.flushed, Boolean);
      let previous = -1;
      const settled = await waitFor(
        async () => {
          await delay(300);
          return await api<SyncStatus>('/sync/knowlarity');
        },
        (s) => {
          const read = s.stream.byType.CDR ?? 0;
          const quiet = read === previous && s.stream.ingested + s.stream.rejected === read;
          previous = read;
          return quiet;
        },
      );
      const poll = await api<PollSummary>('/sync/knowlarity/run', { method: 'POST' });
      const status = await api('/sync/knowlarity');

      const expected = expectedCrmRows(records, () => 'Knowlarity');
      const [rows] = await db.database.sql<Record<string, string>>(`select
        (select count(*) from knowlarity_calls) as calls,
        (select count(distinct call_id) from knowlarity_calls) as distinct_calls,
        (select count(*) from knowlarity_calls where 'stream' = any (arrival_paths)) as streamed,
        (select count(*) from knowlarity_calls where first_arrival_path = 'poll') as first_by_poll,
        (select count(*) from leads_master) as leads,
        (select count(*) from lead_sources_history) as history`);
      const n = Object.fromEntries(Object.entries(rows).map(([k, v]) => [k, Number(v)]));
      const cdrsRead = status.stream.byType.CDR;

      expect(poll.status).toBe('succeeded');
      expect(n.calls).toBe(1000);
      expect(n.distinct_calls).toBe(1000);
      expect(n.leads).toBe(expected.leads);
      expect(n.history).toBe(expected.history);
      // Every CDR the stream read became a stream arrival; the poll created exactly the rest.
      expect(status.stream.rejected).toBe(0);
      expect(status.stream.ingested).toBe(cdrsRead);
      expect(n.streamed).toBe(cdrsRead);
      expect(n.first_by_poll).toBe(1000 - cdrsRead);
      expect(poll.outcomes.duplicate_call).toBe(cdrsRead);
      // The faults happened: calls were lost to the stream, and it reconnected after each one.
      expect(n.first_by_poll).toBeGreaterThanOrEqual(12 * LOST_PER_FAULT);
      expect(cdrsRead).toBeGreaterThan(500);
      expect(status.stream.reconnects).toBeGreaterThanOrEqual(12);
      // Every reconnect told the server the last event id the service had read.
      const reconnects = simulator.stream.connections.slice(1);
      expect(reconnects.map((c) => /^\d+$/.test(c.lastEventId ?? ''))).not.toContain(false);
      expect(status.stream.byType.invalid).toBeGreaterThanOrEqual(1);
      expect(status.stream.state).toBe('connected');
      expect(settled.stream.lastError?.message).toEqual(expect.any(String));
    }, 180_000);

    it('a call seen by stream, webhook and poll is one call row with all three arrival paths', async () => {
      const record = generateCalls({ count: 10, seed: 5, from: DAY_START, to: DAY_END }).find(
        (r) => r.Call_Type === 0,
      )!;
      const api = await boot();
      await waitFor(
        () => simulator.stream.connectedClients,
        (n) => n === 1,
      );

      simulator.liveCall(record);
      await waitFor(
        () => api('/sync/knowlarity'),
        (s: SyncStatus) => s.stream.ingested === 1,
      );
      const sent = await deliverAsWebhooks([record], { url: `${running.url}/webhooks/knowlarity` });
      const poll = await api<PollSummary>('/sync/knowlarity/run', { method: 'POST' });

      const calls = await db.database.sql<{
        call_id: string;
        first_arrival_path: string;
        arrival_paths: string[];
      }>('select call_id, first_arrival_path, arrival_paths from knowlarity_calls');
      expect(sent.responses.map((r) => r.status)).toEqual([200]);
      expect(poll.outcomes).toEqual({ duplicate_call: 1 });
      expect(calls).toEqual([
        {
          call_id: record.uuid,
          first_arrival_path: 'stream',
          arrival_paths: ['stream', 'webhook', 'poll'],
        },
      ]);
      const leads = await db.database.sql('select 1 from leads_master');
      expect(leads).toHaveLength(1);
    }, 60_000);

    it('a 401 stops the stream after one try and shows in status and readiness', async () => {
      const api = await boot({
        KNOWLARITY_STREAM_URL: `${simulator.baseUrl}/update-stream/wrong-key/konnect`,
      });
      const status = await waitFor(
        () => api('/sync/knowlarity'),
        (s: SyncStatus) => s.stream.state === 'unauthorized',
      );
      await delay(1000);
      const ready = await fetch(`${running.url}/health/ready`);
      const readiness = await readJson<{ error: Record<string, unknown> }>(ready);

      expect(simulator.stream.connections.map((c) => c.status)).toEqual([401]);
      expect(status.stream.lastError?.message).toContain('HTTP 401');
      expect(status.stream.lastError?.message).not.toContain(simulator.srApiKey);
      expect(ready.status).toBe(503);
      expect(readiness.error.stream).toMatchObject({ status: 'down', state: 'unauthorized' });
    }, 60_000);
  },
  { freshFor: 'test', only: ['pglite', 'postgres'] },
);

describeWithServer('live stream across two instances (PostgreSQL server)', () => {
  const target = repositoryTargets.find((t) => t.name === 'postgres')!;
  let simulator: KnowlaritySimulator;
  let opened: OpenTarget;
  const apps: RunningApp[] = [];

  beforeEach(async () => {
    simulator = new KnowlaritySimulator({ streamHeartbeatMs: HEARTBEAT_MS });
    await simulator.start();
    opened = await target.open();
  });
  afterEach(async () => {
    for (const app of apps.splice(0)) await app.close();
    await opened.close();
    await simulator.stop();
  });

  it('two instances open one stream; when the holder stops, the other takes it over', async () => {
    for (let i = 0; i < 2; i++) {
      // Each instance has its own pool, as two processes would (closing an app closes its pool).
      const repository = PostgresRepository.connect(opened.database.url!, 5);
      apps.push(await startApp({ repository, env: streamEnv(simulator) }));
    }
    const [first, second] = apps.map(client);
    const states = async () =>
      [
        (await first('/sync/knowlarity')).stream.state,
        (await second('/sync/knowlarity')).stream.state,
      ].sort();
    await waitFor(states, (s) => s.join() === 'connected,standby');
    await delay(3000); // more than the lease's TTL: renewals keep it, the standby never connects
    const afterRenewals = await states();
    const holder = (await first('/sync/knowlarity')).stream.state === 'connected' ? 0 : 1;

    const takeoverStart = Date.now();
    await apps.splice(holder, 1)[0].close();
    const survivor = client(apps[0]);
    await waitFor(
      () => survivor('/sync/knowlarity'),
      (s: SyncStatus) => s.stream.state === 'connected',
    );
    const takeoverMs = Date.now() - takeoverStart;

    expect(afterRenewals).toEqual(['connected', 'standby']);
    expect(simulator.stream.connections.filter((c) => c.status === 200)).toHaveLength(2);
    expect(simulator.stream.connectedClients).toBe(1);
    expect(takeoverMs).toBeLessThan(10_000);
  }, 60_000);
});
