import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, Min } from 'class-validator';
import { toInteger } from './query-values';

export const MAX_PAGE_SIZE = 200;
const LIMIT_MESSAGE = `limit must be an integer between 1 and ${MAX_PAGE_SIZE}`;
const CURSOR_MESSAGE = 'cursor must be the nextCursor of a previous page';

/** `limit` and `cursor` of every keyset-paged look-up. */
export class PageQuery {
  @ApiPropertyOptional({
    description: 'Items per page, newest first.',
    type: Number,
    minimum: 1,
    maximum: MAX_PAGE_SIZE,
    default: 50,
  })
  @IsOptional()
  @Transform(toInteger)
  @IsInt({ message: LIMIT_MESSAGE })
  @Min(1, { message: LIMIT_MESSAGE })
  @Max(MAX_PAGE_SIZE, { message: LIMIT_MESSAGE })
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
