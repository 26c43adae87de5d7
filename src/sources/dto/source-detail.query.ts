import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { toInteger } from '../../common/pagination/query-values';

const DAYS_MESSAGE = 'days must be an integer between 1 and 90';

export class SourceDetailQuery {
  @ApiPropertyOptional({
    type: Number,
    minimum: 1,
    maximum: 90,
    description: 'Adds `leadsPerDay` for the last N days (today included).',
  })
  @IsOptional()
  @Transform(toInteger)
  @IsInt({ message: DAYS_MESSAGE })
  @Min(1, { message: DAYS_MESSAGE })
  @Max(90, { message: DAYS_MESSAGE })
  days?: number;
}

const HOURLY_DAYS_MESSAGE = 'days must be an integer between 1 and 7';

export class LeadsPerHourQuery {
  @ApiPropertyOptional({
    type: Number,
    minimum: 1,
    maximum: 7,
    default: 2,
    description: 'How many days, today included (2: yesterday and today).',
  })
  @IsOptional()
  @Transform(toInteger)
  @IsInt({ message: HOURLY_DAYS_MESSAGE })
  @Min(1, { message: HOURLY_DAYS_MESSAGE })
  @Max(7, { message: HOURLY_DAYS_MESSAGE })
  days: number = 2;
}
