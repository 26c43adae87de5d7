/**
 * Event-to-lead latency through the live stream: the simulator (in this process) sends each call's
 * ORIGINATE/ANSWER/HANGUP/CDR events at BENCH_STREAM_RATE calls/s (50 by default) to the real
 * service (its own process, postgres driver, stream enabled); a watcher reads new leads every
 * 5 ms. Latency = when the watcher first saw the lead − when the CDR was written to the stream, so
 * it includes up to 5 ms of watching. Goal: p99 ≤ 500 ms at 50 calls/s.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { Client } from 'pg';
import { generateCalls } from '../tools/simulator/call-generator';
import { KnowlaritySimulator } from '../tools/simulator/simulator-server';
import { summarise } from './support/closed-loop';
import { startService } from './support/service-process';
import { loadAverage } from './support/report';

const SERVER_URL =
  process.env.BENCH_DATABASE_URL ??
  process.env.TEST_DATABASE_URL ??
  'postgres://postgres@127.0.0.1:5432/test';
const RATE = Number(process.env.BENCH_STREAM_RATE ?? 50);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);
const WARMUP_CALLS = 50;
const API_KEY = `bench-${randomBytes(12).toString('hex')}`;

async function main(): Promise<void> {
  const name = `kls_stream_bench_${randomBytes(4).toString('hex')}`;
  await admin(`create database ${name}`);
  const url = new URL(SERVER_URL);
  url.pathname = `/${name}`;
  const simulator = new KnowlaritySimulator({ streamHeartbeatMs: 1000 });
  await simulator.start();
  const service = await startService({
    DATABASE_URL: url.toString(),
    INTERNAL_API_KEYS: API_KEY,
    KNOWLARITY_STREAM_ENABLED: 'true',
    KNOWLARITY_STREAM_URL: simulator.streamUrl,
    KNOWLARITY_RECONCILE_HOUR: '-1',
  });
  const watcher = new Client({ connectionString: url.toString() });
  await watcher.connect();
  try {
    await waitForStream(service.port);
    const total = WARMUP_CALLS + RATE * SECONDS;
    const now = Date.now();
    const calls = generateCalls({
      count: total,
      seed: 16,
      from: new Date(now - 3600_000),
      to: new Date(now),
      outboundFraction: 0,
    });
    // One new phone per call, so each call creates exactly one lead to watch for.
    for (const [i, call] of calls.entries())
      call.customer_number = `+91987${String(i).padStart(7, '0')}`;
    const phones = calls.map((c) => c.customer_number.slice(-10));
    const sentAt = new Map<string, number>();
    const seenAt = new Map<string, number>();
    /** When set, the watcher stops once every lead is seen or this moment has passed. */
    let stopBy = Infinity;
    const watch = (async () => {
      let lastId = 0;
      while (seenAt.size < phones.length && performance.now() < stopBy) {
        const { rows } = await watcher.query<{ id: string; phone: string }>(
          'select id, phone_number_normalized as phone from leads_master where id > $1 order by id',
          // Ids are taken in insert order but committed in any order: look back a little.
          [Math.max(lastId - 200, 0)],
        );
        const at = performance.now();
        for (const row of rows) {
          lastId = Math.max(lastId, Number(row.id));
          if (!seenAt.has(row.phone)) seenAt.set(row.phone, at);
        }
        await delay(5);
      }
    })();
    const began = performance.now();
    for (const [i, call] of calls.entries()) {
      const due = began + (i * 1000) / RATE;
      const wait = due - performance.now();
      if (wait > 0) await delay(wait);
      simulator.stream.publishCall(call);
      sentAt.set(phones[i], performance.now());
    }
    stopBy = performance.now() + 10_000;
    await watch;

    const latencies = phones
      .slice(WARMUP_CALLS)
      .filter((p) => seenAt.has(p))
      .map((p) => seenAt.get(p)! - sentAt.get(p)!);
    const result = summarise(latencies, SECONDS);
    const missing = phones.length - WARMUP_CALLS - latencies.length;
    const unseen = phones.flatMap((p, i) => (seenAt.has(p) ? [] : [i]));
    if (unseen.length > 0) console.log(`Calls whose lead was never seen: ${unseen.join(', ')}`);
    console.log(
      `Stream event → lead at ${RATE} calls/s for ${SECONDS} s (after ${WARMUP_CALLS} warm-up calls): ` +
        `${latencies.length} leads, ${missing} not seen; p50 ${result.p50Ms.toFixed(1)} ms, ` +
        `p90 ${result.p90Ms.toFixed(1)} ms, p99 ${result.p99Ms.toFixed(1)} ms, max ${result.maxMs.toFixed(1)} ms; ` +
        `goal p99 ≤ 500 ms: ${result.p99Ms <= 500 && missing === 0 ? 'met' : 'NOT met'}. ` +
        `Load average ${loadAverage()}.`,
    );
  } finally {
    await watcher.end();
    await service.stop();
    await simulator.stop();
    await admin(`drop database if exists ${name} with (force)`);
  }
}

async function waitForStream(port: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const response = await fetch(`http://127.0.0.1:${port}/sync/knowlarity`, {
      headers: { 'x-api-key': API_KEY },
    });
    const body = (await response.json()) as { stream?: { state?: string } };
    if (body.stream?.state === 'connected') return;
    await delay(100);
  }
  throw new Error('The service did not connect to the stream');
}

async function admin(sql: string): Promise<void> {
  const client = new Client({ connectionString: SERVER_URL });
  await client.connect();
  await client.query(sql);
  await client.end();
}

main().catch((error: Error) => {
  console.error(error);
  process.exitCode = 1;
});
