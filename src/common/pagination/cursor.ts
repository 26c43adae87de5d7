import { BadRequestException } from '@nestjs/common';
import { createHmac } from 'node:crypto';
import { bytesEqual } from '../constant-time';

/** Bytes of HMAC-SHA256 kept in a cursor: 128 bits cannot be guessed. */
const MAC_BYTES = 16;
/** Far above any position this service encodes. */
const MAX_CURSOR_LENGTH = 512;

/**
 * Opaque keyset cursors: base64url of the position's JSON, a dot, and an HMAC over the list's
 * kind and that text. A cursor is only ever one this service issued for the same list, so a
 * client cannot hand-craft a position (or replay a calls cursor on leads); anything else is a
 * 400 `invalid_cursor`. Thrown as an HTTP error on purpose: a cursor exists only at the edge.
 */
export class CursorCodec {
  constructor(private readonly key: Buffer) {}

  encode(kind: string, position: object): string {
    const body = Buffer.from(JSON.stringify(position), 'utf8').toString('base64url');
    return `${body}.${this.mac(kind, body)}`;
  }

  /** The position inside `cursor`, which must be this service's and pass `isPosition`. */
  decode<T>(kind: string, cursor: string, isPosition: (value: unknown) => value is T): T {
    if (cursor.length > MAX_CURSOR_LENGTH) throw invalidCursor();
    const [body, mac, ...rest] = cursor.split('.');
    // Compared as text: base64url decoding ignores stray characters, the MAC text does not.
    if (!body || !mac || rest.length > 0) throw invalidCursor();
    if (!bytesEqual(Buffer.from(mac, 'utf8'), Buffer.from(this.mac(kind, body), 'utf8'))) {
      throw invalidCursor();
    }
    let position: unknown;
    try {
      position = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    } catch {
      throw invalidCursor();
    }
    if (!isPosition(position)) throw invalidCursor();
    return position;
  }

  /** The position a page starts after: none for the first page (no `cursor`). */
  after<T>(
    kind: string,
    cursor: string | undefined,
    isPosition: (value: unknown) => value is T,
  ): T | undefined {
    return cursor ? this.decode(kind, cursor, isPosition) : undefined;
  }

  /** A keyset page as the API returns it: the items and the cursor of the next page, if any. */
  page<T>(kind: string, page: { items: T[]; next: object | null }) {
    return { items: page.items, nextCursor: page.next ? this.encode(kind, page.next) : null };
  }

  private mac(kind: string, body: string): string {
    return createHmac('sha256', this.key)
      .update(`${kind}\n${body}`)
      .digest()
      .subarray(0, MAC_BYTES)
      .toString('base64url');
  }
}

/**
 * A guard for a keyset position: `instant` holds a date-time text, `id` the tie-breaker that
 * `isId` accepts. Checked after the MAC, so it only guards against this service's own old shapes.
 */
export function keysetPosition<T extends object>(
  instant: keyof T & string,
  id: keyof T & string,
  isId: (value: unknown) => boolean,
): (value: unknown) => value is T {
  return (value: unknown): value is T => {
    if (typeof value !== 'object' || value === null) return false;
    const fields = value as Record<string, unknown>;
    const at = fields[instant];
    return typeof at === 'string' && !Number.isNaN(Date.parse(at)) && isId(fields[id]);
  };
}

function invalidCursor(): BadRequestException {
  return new BadRequestException({
    code: 'invalid_cursor',
    message: 'cursor is not one this API issued; start again without it.',
  });
}
