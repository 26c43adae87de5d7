/**
 * A preload for a service under load: every 2 s it writes to stderr the event loop's delay
 * (p50, p99, max, at 1 ms resolution) and the garbage collector's pauses over those 2 s, so a
 * tail can be told apart from stalls on the service's own thread. Run it through the bench's
 * node flags, with an absolute path (each build runs from its own directory):
 *
 *   BENCH_SERVICE_NODE_FLAGS="--require $PWD/dist-bench/bench/support/event-loop-probe.js"
 *
 * Lines carry the process id and its directory (which build). GC kinds are V8's: 1 scavenge,
 * 2 mark-sweep-compact, 4 incremental marking, 8 weak callbacks.
 */
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';

const WINDOW_MS = 2_000;
const NS_PER_MS = 1e6;

interface GcWindow {
  count: number;
  totalMs: number;
  maxMs: number;
  kinds: Record<number, number>;
}

const emptyWindow = (): GcWindow => ({ count: 0, totalMs: 0, maxMs: 0, kinds: {} });

const delay = monitorEventLoopDelay({ resolution: 1 });
delay.enable();
let gc = emptyWindow();

new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    // A GC entry's kind is in `detail` (Node 16+), which these typings leave out.
    const kind = (entry as { detail?: { kind?: number } }).detail?.kind ?? 0;
    gc.count += 1;
    gc.totalMs += entry.duration;
    gc.maxMs = Math.max(gc.maxMs, entry.duration);
    gc.kinds[kind] = (gc.kinds[kind] ?? 0) + 1;
  }
}).observe({ entryTypes: ['gc'] });

const ms = (ns: number) => (ns / NS_PER_MS).toFixed(1);

setInterval(() => {
  process.stderr.write(
    `[event-loop ${process.pid} ${process.cwd()}] delay p50 ${ms(delay.percentile(50))} ` +
      `p99 ${ms(delay.percentile(99))} max ${ms(delay.max)} ms; gc ${gc.count} pauses ` +
      `${gc.totalMs.toFixed(1)} ms max ${gc.maxMs.toFixed(1)} ms kinds ${JSON.stringify(gc.kinds)}\n`,
  );
  delay.reset();
  gc = emptyWindow();
}, WINDOW_MS).unref();
