import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { SourceCountsResult } from '../source-counts.bench';
import { ROOT } from './service-process';

/**
 * Runs bench/source-counts.bench.ts (compiled beside this file) as a step against `serverUrl`,
 * echoing its output indented, and reads its `RESULT <json>` line (null when absent).
 */
export async function runSourceCountsStep(
  serverUrl: string,
  env: Record<string, string> = {},
): Promise<SourceCountsResult | null> {
  const child = spawn(process.execPath, [join(ROOT, 'dist-bench/bench/source-counts.bench.js')], {
    cwd: ROOT,
    env: { ...process.env, BENCH_DATABASE_URL: serverUrl, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
    process.stdout.write(
      chunk
        .toString()
        .split('\n')
        .map((line) => (line && !line.startsWith('RESULT ') ? `    ${line}` : ''))
        .filter(Boolean)
        .map((line) => `${line}\n`)
        .join(''),
    );
  });
  await new Promise((resolve) => child.on('exit', resolve));
  const line = output.split('\n').find((l) => l.startsWith('RESULT '));
  return line ? (JSON.parse(line.slice('RESULT '.length)) as SourceCountsResult) : null;
}
