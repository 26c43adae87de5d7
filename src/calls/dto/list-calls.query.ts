import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Max, Min } from 'class-validator';
import { PageQuery } from '../../common/pagination/page.query';
import { toInteger } from '../../common/pagination/query-values';
import { IsDateOrDateTime } from '../../common/dates';
import { IsPhoneNumber } from '../../leads/dto/is-phone-number';

const LEAD_MESSAGE = 'leadId must be a positive integer';

export class ListCallsQuery extends PageQuery {
  @ApiPropertyOptional({ type: Number, minimum: 1, description: 'Calls linked to this lead.' })
  @IsOptional()
  @Transform(toInteger)
  @IsInt({ message: LEAD_MESSAGE })
  @Min(1, { message: LEAD_MESSAGE })
  @Max(Number.MAX_SAFE_INTEGER, { message: LEAD_MESSAGE })
  leadId?: number;

  @ApiPropertyOptional({
    description: 'The caller, in any format the ingest accepts (normalised the same way).',
    example: '+91 98000 00101',
  })
  @IsOptional()
  @IsPhoneNumber()
  phone?: string;

  @ApiPropertyOptional({
    description: 'Started at or after: an ISO date-time, or a date in BUSINESS_TIMEZONE.',
    example: '2026-11-20',
  })
  @IsOptional()
  @IsDateOrDateTime()
  from?: string;

  @ApiPropertyOptional({
    description:
      'Started before (exclusive): an ISO date-time, or a date in BUSINESS_TIMEZONE meaning ' +
      'the end of that day.',
    example: '2026-11-20',
  })
  @IsOptional()
  @IsDateOrDateTime()
  to?: string;

  @ApiPropertyOptional({ enum: ['answered', 'missed'] })
  @IsOptional()
  @IsString({ message: 'status must be answered or missed' })
  @IsIn(['answered', 'missed'], { message: 'status must be answered or missed' })
  status?: 'answered' | 'missed';

  @ApiPropertyOptional({ enum: ['inbound', 'outbound'] })
  @IsOptional()
  @IsString({ message: 'direction must be inbound or outbound' })
  @IsIn(['inbound', 'outbound'], { message: 'direction must be inbound or outbound' })
  direction?: 'inbound' | 'outbound';
}
