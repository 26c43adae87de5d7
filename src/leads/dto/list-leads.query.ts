import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsInt, IsNotEmpty, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { PageQuery } from '../../common/pagination/page.query';
import { toInteger, trimmed } from '../../common/pagination/query-values';
import { IsDateOrDateTime } from '../../common/dates';
import { IsPhoneNumber } from './is-phone-number';

const SOURCE_MESSAGE = 'sourceId must be a positive integer';
const STATUS_MESSAGE = 'status must be text of 1 to 100 characters';
const Q_MESSAGE = 'q must be text of 1 to 100 characters';

export class ListLeadsQuery extends PageQuery {
  @ApiPropertyOptional({
    description:
      'Leads with this phone, in any format the ingest accepts (+91 98000-00101, 098000 00101, ' +
      '0091 9800000101, 9800000101, ...), normalised exactly as the ingest does.',
    example: '+91 98000 00101',
  })
  @IsOptional()
  @IsPhoneNumber()
  phone?: string;

  @ApiPropertyOptional({
    type: Number,
    minimum: 1,
    description: 'Leads whose primary source this is.',
  })
  @IsOptional()
  @Transform(toInteger)
  @IsInt({ message: SOURCE_MESSAGE })
  @Min(1, { message: SOURCE_MESSAGE })
  @Max(Number.MAX_SAFE_INTEGER, { message: SOURCE_MESSAGE })
  sourceId?: number;

  @ApiPropertyOptional({ description: 'The CRM status, exactly.', example: 'New' })
  @IsOptional()
  @IsString({ message: STATUS_MESSAGE })
  @IsNotEmpty({ message: STATUS_MESSAGE })
  @MaxLength(100, { message: STATUS_MESSAGE })
  status?: string;

  @ApiPropertyOptional({
    description: 'Created at or after: an ISO date-time, or a date in BUSINESS_TIMEZONE.',
    example: '2026-11-20',
  })
  @IsOptional()
  @IsDateOrDateTime()
  createdFrom?: string;

  @ApiPropertyOptional({
    description:
      'Created before (exclusive): an ISO date-time, or a date in BUSINESS_TIMEZONE meaning ' +
      'the end of that day.',
    example: '2026-11-20',
  })
  @IsOptional()
  @IsDateOrDateTime()
  createdTo?: string;

  @ApiPropertyOptional({
    description:
      'A prefix of the name (case-insensitive) or of the phone number (digits, with or ' +
      'without +91 or a leading 0).',
    example: 'Asha',
  })
  @IsOptional()
  @Transform(trimmed)
  @IsString({ message: Q_MESSAGE })
  @IsNotEmpty({ message: Q_MESSAGE })
  @MaxLength(100, { message: Q_MESSAGE })
  q?: string;
}
