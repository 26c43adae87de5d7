import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, Matches, Max, Min } from 'class-validator';

export class ListDeliveriesQuery {
  /** How many deliveries, newest first (1–500, default 50). */
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'limit must be an integer between 1 and 500' })
  @Min(1, { message: 'limit must be an integer between 1 and 500' })
  @Max(500, { message: 'limit must be an integer between 1 and 500' })
  limit: number = 50;

  /** `accepted` (2xx), `rejected`, or one HTTP status such as `422`. */
  @IsOptional()
  @Matches(/^(accepted|rejected|\d{3})$/, {
    message: 'status must be accepted, rejected or an HTTP status',
  })
  status?: string;

  /** Only deliveries with an id below this one (the `nextBefore` of the previous page). */
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'before must be a delivery id' })
  @Min(1, { message: 'before must be a delivery id' })
  before?: number;
}

export class ReplayQuery {
  /** `true` to replay a delivery that was refused before authentication. */
  @IsOptional()
  @IsIn(['true', 'false'], { message: 'force must be true or false' })
  force?: 'true' | 'false';
}
