import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK']).toString()) || 100;

/** CPU seconds (user + system) used so far by each group of processes, and by the machine. */
export interface CpuSnapshot {
  at: number;
  machineBusy: number;
  machineIoWait: number;
  machineTotal: number;
  groups: Record<string, number>;
}

/** One process, or a process and its children (a postmaster and its backends). */
export interface ProcessGroup {
  pid: number;
  children?: boolean;
}

/** Where the cores went during a phase, in cores (CPU seconds per second of the phase). */
export type CpuShares = Record<string, number>;

/**
 * Reads /proc: the machine's busy, I/O-wait and total time, and the CPU time of named process groups (a
 * pid, or a pid with all its children, such as a postmaster and its backends). Sampled before and
 * after a phase, it shows where the two cores went: the service, the load generator, PostgreSQL,
 * and everything else on the machine (other people's work skews any figure).
 */
export function cpuSnapshot(groups: Record<string, ProcessGroup>): CpuSnapshot {
  const [, ...fields] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/);
  const values = fields.map(Number);
  const total = values.slice(0, 8).reduce((sum, value) => sum + value, 0);
  const idle = values[3] + values[4];
  const ioWait = values[4];
  const result: Record<string, number> = {};
  const parents = new Map<number, number>();
  const times = new Map<number, number>();
  const childTicks = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    if (!stat) continue;
    parents.set(Number(entry), stat.ppid);
    times.set(Number(entry), stat.ticks);
    childTicks.set(Number(entry), stat.childTicks);
  }
  for (const [name, { pid, children }] of Object.entries(groups)) {
    let ticks = times.get(pid) ?? 0;
    if (children) {
      // Children that have exited (a backend whose connection closed, an autovacuum worker)
      // are in the parent's cutime/cstime; live ones are read one by one.
      ticks += childTicks.get(pid) ?? 0;
      for (const [child, parent] of parents) if (parent === pid) ticks += times.get(child) ?? 0;
    }
    result[name] = ticks / TICKS_PER_SECOND;
  }
  return {
    at: performance.now(),
    machineBusy: (total - idle) / TICKS_PER_SECOND,
    machineIoWait: ioWait / TICKS_PER_SECOND,
    machineTotal: total / TICKS_PER_SECOND,
    groups: result,
  };
}

/** Cores used by each group between two snapshots, plus `other` (the rest of the busy time). */
export function cpuShares(before: CpuSnapshot, after: CpuSnapshot): CpuShares {
  const seconds = (after.at - before.at) / 1000;
  const shares: CpuShares = {};
  let accounted = 0;
  for (const name of Object.keys(after.groups)) {
    const used = Math.max(0, after.groups[name] - (before.groups[name] ?? 0));
    shares[name] = round(used / seconds);
    accounted += used;
  }
  const busy = after.machineBusy - before.machineBusy;
  shares.other = round(Math.max(0, busy - accounted) / seconds);
  const ioWait = after.machineIoWait - before.machineIoWait;
  shares.idle = round((after.machineTotal - before.machineTotal - busy - ioWait) / seconds);
  shares.ioWait = round(ioWait / seconds);
  return shares;
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

function readStat(pid: number): { ppid: number; ticks: number; childTicks: number } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may hold spaces and parentheses: fields start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return {
      ppid: Number(fields[1]),
      ticks: Number(fields[11]) + Number(fields[12]),
      childTicks: Number(fields[13]) + Number(fields[14]),
    };
  } catch {
    return null;
  }
}
