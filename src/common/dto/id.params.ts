import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsInt, Max, Min } from 'class-validator';
import { toInteger } from '../pagination/query-values';

const ID_MESSAGE = 'id must be a positive integer';

/** The `:id` of a lead or a source: a positive integer, or a 400 naming the field. */
export class IdParams {
  @ApiProperty({ type: Number, minimum: 1 })
  @Transform(toInteger)
  @IsInt({ message: ID_MESSAGE })
  @Min(1, { message: ID_MESSAGE })
  @Max(Number.MAX_SAFE_INTEGER, { message: ID_MESSAGE })
  id!: number;
}
