import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

/** The repository root (this file runs from dist-bench/bench/support/). */
export const ROOT = join(__dirname, '../../..');

export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  return port;
}

export interface RunningService {
  child: ChildProcess;
  port: number;
  /** VmHWM of the service process so far: its peak resident set, in bytes. */
  peakRssBytes(): number;
  /** VmRSS of the service process now, in bytes. */
  rssBytes(): number;
  /** SIGTERM (a graceful shutdown, which also writes a --cpu-prof profile), then waits. */
  stop(): Promise<void>;
}

/**
 * Runs the built service (`node dist/main.js`, from `cwd`) as its own process, so the load
 * generator never shares its event loop, and waits until `/health/ready` answers 200 (database reachable and
 * migrated). `nodeFlags` go to node before the script (e.g. `--max-old-space-size=256`);
 * `cpuProfileDir` adds `--cpu-prof`, and the profile is written when the service stops.
 */
export async function startService(
  env: Record<string, string>,
  options: {
    cpuProfileDir?: string;
    readyTimeoutMs?: number;
    nodeFlags?: string[];
    /** The script to run instead of the service (the naive baseline). */
    script?: string;
    /** Where the script runs from (ROOT by default): another checkout's build, for A/B runs. */
    cwd?: string;
  } = {},
): Promise<RunningService> {
  const port = await freePort();
  const flags = [
    ...(options.nodeFlags ?? []),
    ...(options.cpuProfileDir ? ['--cpu-prof', '--cpu-prof-dir', options.cpuProfileDir] : []),
  ];
  const child = spawn(process.execPath, [...flags, options.script ?? 'dist/main.js'], {
    cwd: options.cwd ?? ROOT,
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'development',
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      SOURCE_COUNTS_REFRESH_SECONDS: '0',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const exited = once(child, 'exit');
  const deadline = Date.now() + (options.readyTimeoutMs ?? 60_000);
  while (Date.now() < deadline && child.exitCode === null) {
    const ready = await fetch(`http://127.0.0.1:${port}/health/ready`).catch(() => null);
    if (ready?.ok) {
      return {
        child,
        port,
        peakRssBytes: () => peakRssBytes(child.pid!),
        rssBytes: () => statusBytes(child.pid!, 'VmRSS'),
        stop: async () => {
          if (child.exitCode !== null) return;
          child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
          await exited;
          clearTimeout(timer);
        },
      };
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill('SIGKILL');
  throw new Error('The service did not become ready');
}

/** VmHWM ("high water mark") from /proc/<pid>/status, in bytes. */
export function peakRssBytes(pid: number): number {
  return statusBytes(pid, 'VmHWM');
}

function statusBytes(pid: number, field: 'VmHWM' | 'VmRSS'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(status);
  if (!match) throw new Error(`No ${field} in /proc/${pid}/status`);
  return Number(match[1]) * 1024;
}
