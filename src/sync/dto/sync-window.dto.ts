import { Transform } from 'class-transformer';
import { IsBoolean, IsNotEmpty, IsOptional, IsString } from 'class-validator';

const WINDOW_MESSAGE = (field: string) =>
  `${field} must be an ISO date-time or a date (YYYY-MM-DD, read in BUSINESS_TIMEZONE)`;

/** A window of the call log: `from` inclusive, `to` exclusive (a plain date `to` = that whole day). */
export class SyncWindowQuery {
  @IsString({ message: WINDOW_MESSAGE('from') })
  @IsNotEmpty({ message: WINDOW_MESSAGE('from') })
  from!: string;

  @IsString({ message: WINDOW_MESSAGE('to') })
  @IsNotEmpty({ message: WINDOW_MESSAGE('to') })
  to!: string;
}

export class BackfillBody extends SyncWindowQuery {
  /** Report what would be created, keep nothing. */
  @IsOptional()
  @Transform(({ value }: { value: unknown }) =>
    value === 'true' ? true : value === 'false' ? false : value,
  )
  @IsBoolean({ message: 'dryRun must be true or false' })
  dryRun?: boolean;
}
