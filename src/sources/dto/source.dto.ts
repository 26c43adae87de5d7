import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  DayCount,
  HourlyDay,
  LeadsPerHour,
  SourceDetail,
  SourceHourly,
  SourceRef,
  SourceView,
} from '../../database/lead-sync.repository';

export class SourceRefDto implements SourceRef {
  @ApiProperty({ example: 3 })
  id!: number;

  @ApiProperty({ example: 'Google Ads' })
  displayName!: string;

  @ApiProperty({ example: 'knowlarity_call' })
  sourceType!: string;
}

/** A source with its lead counts (its leads and history rows), exact at read time. */
export class SourceDto extends SourceRefDto implements SourceView {
  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  createdAt!: string | null;

  @ApiProperty({ description: 'Leads credited to this source: its leads and history rows.' })
  totalLeads!: number;

  @ApiProperty({
    description:
      'Of those, the ones received today (the current day in BUSINESS_TIMEZONE, by when the ' +
      'source delivered the lead).',
  })
  todaysLeads!: number;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  lastLeadAt!: string | null;
}

export class DayCountDto implements DayCount {
  @ApiProperty({ format: 'date', example: '2026-11-20', description: 'In BUSINESS_TIMEZONE.' })
  date!: string;

  @ApiProperty({ example: 12 })
  leads!: number;
}

export class SourceDetailDto extends SourceDto implements SourceDetail {
  @ApiPropertyOptional({
    type: [DayCountDto],
    description: 'With `days`: one entry per day, oldest first, today last, days without leads 0.',
  })
  leadsPerDay?: DayCountDto[];
}

export class HourlyDayDto implements HourlyDay {
  @ApiProperty({ format: 'date', example: '2026-11-20', description: 'In BUSINESS_TIMEZONE.' })
  date!: string;

  @ApiProperty({ example: 12, description: "The day's leads: the same figure as leadsPerDay." })
  total!: number;

  @ApiProperty({
    type: [Number],
    description: 'Leads per local clock hour, hour 0 first (24 entries adding up to total).',
  })
  hours!: number[];
}

export class SourceHourlyDto extends SourceRefDto implements SourceHourly {
  @ApiProperty({ type: [HourlyDayDto], description: 'Oldest day first, today last.' })
  days!: HourlyDayDto[];
}

export class LeadsPerHourDto implements LeadsPerHour {
  @ApiProperty({ example: 'Asia/Kolkata' })
  timezone!: string;

  @ApiProperty({ type: [String], example: ['2026-11-19', '2026-11-20'] })
  days!: string[];

  @ApiProperty({ type: [SourceHourlyDto], description: 'Sources with a lead in those days.' })
  sources!: SourceHourlyDto[];
}
