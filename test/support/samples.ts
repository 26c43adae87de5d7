import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = join(__dirname, '../../examples');

/** The sample payloads of examples/ (described in docs/knowlarity.md). */
export const samples = {
  classicQuery: readFileSync(join(dir, 'hook-classic.query.txt'), 'utf8').trim(),
  logPush: readFileSync(join(dir, 'hook-logpush.json'), 'utf8'),
  callLogPage: JSON.parse(readFileSync(join(dir, 'calllog-page.json'), 'utf8')) as {
    meta: Record<string, unknown>;
    objects: Record<string, unknown>[];
  },
  /** The `data:` lines of the SSE stream, parsed. */
  sseEvents: readFileSync(join(dir, 'sse-stream.txt'), 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('data: '))
    .map((line) => JSON.parse(line.slice(6)) as Record<string, unknown>),
};
