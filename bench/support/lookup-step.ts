import { runBenchScript } from './bench-step';

export interface LookupFigures {
  label: string;
  perSecond: number;
  errors: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface LookupStepResult {
  http: LookupFigures | null;
  repository: LookupFigures | null;
  exitCode: number | null;
  output: string;
}

/**
 * Runs the look-up benchmark (bench/lookup.bench.ts, compiled beside this file) as a step against
 * `serverUrl`, echoing its output indented, and reads its figures back from that output. The
 * step owns its database and its service; a report it no longer prints the same way leaves the
 * figures null (the raw output is kept) rather than failing the whole run.
 */
export async function runLookupStep(
  serverUrl: string,
  env: Record<string, string> = {},
): Promise<LookupStepResult> {
  const { output, exitCode } = await runBenchScript('lookup.bench.js', serverUrl, env);
  return {
    http: figuresAfter(output, 'GET /leads'),
    repository: figuresAfter(output, 'repository only'),
    exitCode,
    output,
  };
}

/** Reads the report block whose first line mentions `marker`. */
function figuresAfter(output: string, marker: string): LookupFigures | null {
  const lines = output.split('\n');
  const start = lines.findIndex((line) => !line.startsWith(' ') && line.includes(marker));
  if (start === -1) return null;
  const block = lines.slice(start, start + 4).join('\n');
  const rate = /requests \d+ \((\d+(?:\.\d+)?)\/s\), errors (\d+)/.exec(block);
  const ms = (name: string) => {
    const match = new RegExp(`${name} (\\d+(?:\\.\\d+)?) ms`).exec(block);
    return match ? Number(match[1]) : NaN;
  };
  if (!rate) return null;
  return {
    label: lines[start].split(':')[0],
    perSecond: Number(rate[1]),
    errors: Number(rate[2]),
    p50Ms: ms('p50'),
    p90Ms: ms('p90'),
    p99Ms: ms('p99'),
    maxMs: ms('max'),
  };
}
