import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString } from 'class-validator';
import { IntegerField } from '../dto/fields';

export const MAX_PAGE_SIZE = 200;
const CURSOR_MESSAGE = 'cursor must be the nextCursor of a previous page';

/** `limit` and `cursor` of every keyset-paged look-up. */
export class PageQuery {
  @IntegerField({ max: MAX_PAGE_SIZE, default: 50, description: 'Items per page, newest first.' })
  limit: number = 50;

  @ApiPropertyOptional({
    description:
      'Opaque: the `nextCursor` of the previous page, with the same filters. Pages neither skip ' +
      'nor repeat items while new ones arrive.',
    type: String,
  })
  // Anything else in a string is the codec's to refuse, as 400 invalid_cursor.
  @IsOptional()
  @IsString({ message: CURSOR_MESSAGE })
  cursor?: string;
}
