import { BadRequestException } from '@nestjs/common';
import { CursorCodec, keysetPosition } from './cursor';
import { deriveCursorKey } from './cursor-key';

const isPosition = (value: unknown): value is { id: number } =>
  typeof (value as { id?: unknown })?.id === 'number';

function codeOf(action: () => unknown): string | undefined {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(BadRequestException);
    return ((error as BadRequestException).getResponse() as { code: string }).code;
  }
  return undefined;
}

describe('CursorCodec', () => {
  const codec = new CursorCodec(deriveCursorKey(['a-key-long-enough-for-the-config']));

  it('round-trips a position', () => {
    const cursor = codec.encode('leads', { createdAt: '2026-01-01T00:00:00.000001Z', id: 7 });

    expect(cursor).toMatch(/^[\w-]+\.[\w-]+$/);
    expect(codec.decode('leads', cursor, isPosition)).toEqual({
      createdAt: '2026-01-01T00:00:00.000001Z',
      id: 7,
    });
  });

  it('refuses a cursor of another list, another key, or tampered with', () => {
    const cursor = codec.encode('leads', { id: 7 });
    const [body, mac] = cursor.split('.');
    const other = new CursorCodec(deriveCursorKey(['another-key-long-enough-for-it']));
    const forgedBody = Buffer.from(JSON.stringify({ id: 8 })).toString('base64url');

    for (const bad of [
      () => codec.decode('calls', cursor, isPosition),
      () => other.decode('leads', cursor, isPosition),
      () => codec.decode('leads', `${forgedBody}.${mac}`, isPosition),
      () => codec.decode('leads', `${body}.${mac}=`, isPosition),
      () => codec.decode('leads', `${body}`, isPosition),
      () => codec.decode('leads', 'x'.repeat(600), isPosition),
    ]) {
      expect(codeOf(bad)).toBe('invalid_cursor');
    }
  });

  it('refuses a genuine cursor whose position has the wrong shape', () => {
    const cursor = codec.encode('leads', { id: 'seven' });

    expect(codeOf(() => codec.decode('leads', cursor, isPosition))).toBe('invalid_cursor');
  });

  it('starts the first page (no cursor) after nothing', () => {
    expect(codec.after('leads', undefined, isPosition)).toBeUndefined();
    expect(codec.after('leads', codec.encode('leads', { id: 7 }), isPosition)).toEqual({ id: 7 });
  });

  it('checks a keyset position: a date-time text and an id of the right kind', () => {
    const isLeadKey = keysetPosition<{ createdAt: string; id: number }>(
      'createdAt',
      'id',
      Number.isSafeInteger,
    );

    expect(isLeadKey({ createdAt: '2026-01-01T00:00:00.000001Z', id: 7 })).toBe(true);
    expect(
      [
        null,
        'text',
        { createdAt: '2026-01-01T00:00:00Z' },
        { createdAt: 'yesterday', id: 7 },
        { createdAt: 20260101, id: 7 },
        { createdAt: '2026-01-01T00:00:00Z', id: '7' },
        { createdAt: '2026-01-01T00:00:00Z', id: 2 ** 53 },
      ].map(isLeadKey),
    ).toEqual([false, false, false, false, false, false, false]);
  });

  it('derives the same key from the same API keys in any order, a random one from none', () => {
    expect(deriveCursorKey(['k1', 'k2'])).toEqual(deriveCursorKey(['k2', 'k1']));
    expect(deriveCursorKey(['k1'])).not.toEqual(deriveCursorKey(['k2']));
    expect(deriveCursorKey([])).not.toEqual(deriveCursorKey([]));
  });
});
