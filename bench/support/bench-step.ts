import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './service-process';

/**
 * Runs a compiled bench script (`dist-bench/bench/<script>`) as a step against `serverUrl`,
 * echoing its output indented (lines starting with `RESULT ` are kept, not echoed), and
 * resolves with the whole output and the exit code.
 */
export async function runBenchScript(
  script: string,
  serverUrl: string,
  env: Record<string, string> = {},
): Promise<{ output: string; exitCode: number | null }> {
  const child = spawn(process.execPath, [join(ROOT, 'dist-bench/bench', script)], {
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
        .map((line) => (line && !line.startsWith('RESULT ') ? `    ${line}\n` : ''))
        .join(''),
    );
  });
  const exitCode = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  return { output, exitCode };
}
