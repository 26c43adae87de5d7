import type { SourceCountsResult } from '../source-counts.bench';
import { runBenchScript } from './bench-step';

/** Runs bench/source-counts.bench.ts as a step and reads its `RESULT <json>` line (null when absent). */
export async function runSourceCountsStep(
  serverUrl: string,
  env: Record<string, string> = {},
): Promise<SourceCountsResult | null> {
  const { output } = await runBenchScript('source-counts.bench.js', serverUrl, env);
  const line = output.split('\n').find((l) => l.startsWith('RESULT '));
  return line ? (JSON.parse(line.slice('RESULT '.length)) as SourceCountsResult) : null;
}
