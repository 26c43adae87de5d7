import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createSseReader, StreamMessage } from './knowlarity-stream.client';

/** The stream sample shipped in examples/, plus the protocol's harder parts: ids, a multi-line
 * `data:`, comments (heartbeats), `retry:`, CRLF line ends and a multi-byte character. */
const SAMPLE =
  readFileSync(join(__dirname, '../../examples/sse-stream.txt'), 'utf8') +
  ': ping\r\n\r\n' +
  'retry: 2500\n' +
  'id: 42\nevent: note\ndata: {"caller_name": "Ravi Kumár",\ndata:  "uuid": "x"}\n\n';

function readAll(chunks: Uint8Array[]) {
  const messages: StreamMessage[] = [];
  const retries: number[] = [];
  let invalid = 0;
  const reader = createSseReader({
    onMessage: (message) => messages.push(message),
    onRetry: (ms) => retries.push(ms),
    onInvalidLine: () => (invalid += 1),
  });
  for (const chunk of chunks) reader.feed(chunk);
  return { messages, retries, invalid };
}

describe('the SSE reader', () => {
  const bytes = new TextEncoder().encode(SAMPLE);

  it('reads the sample as its events, written out by hand', () => {
    const { messages, retries, invalid } = readAll([bytes]);
    const lines = readFileSync(join(__dirname, '../../examples/sse-stream.txt'), 'utf8')
      .split('\n')
      .filter((line) => line.startsWith('data: '))
      .map((line) => line.slice('data: '.length));
    expect(lines).toHaveLength(3);
    expect(messages).toEqual([
      ...lines.map((data) => ({ id: undefined, event: undefined, data })),
      { id: '42', event: 'note', data: '{"caller_name": "Ravi Kumár",\n "uuid": "x"}' },
    ]);
    expect(JSON.parse(messages[2].data)).toMatchObject({ type: 'CDR' });
    expect(retries).toEqual([2500]);
    expect(invalid).toBe(0);
  });

  it('gives the same events for the sample split in two at every byte offset', () => {
    const whole = readAll([bytes]);
    for (let offset = 0; offset <= bytes.length; offset++) {
      const split = readAll([bytes.subarray(0, offset), bytes.subarray(offset)]);
      expect({ offset, ...split }).toEqual({ offset, ...whole });
    }
  });

  it('gives the same events for the sample fed one byte at a time', () => {
    const oneByOne = Array.from(bytes, (_, i) => bytes.subarray(i, i + 1));
    expect(readAll(oneByOne)).toEqual(readAll([bytes]));
  });

  it('counts a garbage line and keeps reading the events after it', () => {
    const garbage = new TextEncoder().encode('not a field at all\n\ndata: {"a":1}\n\n');
    const { messages, invalid } = readAll([garbage]);
    expect(invalid).toBe(1);
    expect(messages).toEqual([{ id: undefined, event: undefined, data: '{"a":1}' }]);
  });
});
