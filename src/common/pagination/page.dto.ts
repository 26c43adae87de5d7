import { Type } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';

/** What every keyset-paged look-up answers with (CursorCodec.page builds it). */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/**
 * The response model of a keyset-paged listing of `item`: extend it to name the model, e.g.
 * `class CallPageDto extends PageOf(CallDto) {}`. `order` says how the items are sorted.
 */
export function PageOf<T>(item: Type<T>, order = 'Newest first.'): Type<Page<T>> {
  class PageDto implements Page<T> {
    @ApiProperty({ type: [item], description: order })
    items!: T[];

    @ApiProperty({
      type: String,
      nullable: true,
      description: 'Pass as `cursor` for the next page; null on the last page.',
    })
    nextCursor!: string | null;
  }
  return PageDto;
}
