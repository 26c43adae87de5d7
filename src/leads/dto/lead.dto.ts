import { ApiProperty } from '@nestjs/swagger';
import { CallDto } from '../../calls/dto/call.dto';
import { LeadDetail, LeadSourceEntry, LeadView } from '../../database/lead-sync.repository';
import { SourceRefDto } from '../../sources/dto/source.dto';
import { PageOf } from '../../common/pagination/page.dto';

/** A CRM lead with its primary source. */
export class LeadDto implements LeadView {
  @ApiProperty({ example: 42 })
  id!: number;

  @ApiProperty({ type: String, nullable: true })
  fullName!: string | null;

  @ApiProperty({
    type: String,
    nullable: true,
    example: '9800000101',
    description: 'The national number the ingest matches on.',
  })
  phone!: string | null;

  @ApiProperty({ type: String, nullable: true })
  alternatePhone!: string | null;

  @ApiProperty({ type: String, nullable: true, example: 'New' })
  status!: string | null;

  @ApiProperty({ type: Number, nullable: true })
  sourceId!: number | null;

  @ApiProperty({ type: () => SourceRefDto, nullable: true, description: 'The primary source.' })
  source!: SourceRefDto | null;

  @ApiProperty({ type: String, nullable: true })
  externalLeadId!: string | null;

  @ApiProperty({ type: String, nullable: true })
  assignedTo!: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  nextFollowupAt!: string | null;

  @ApiProperty({ type: Number, nullable: true })
  totalAttempts!: number | null;

  @ApiProperty({ type: Boolean, nullable: true })
  isQualified!: boolean | null;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'When the source delivered the lead (for a call: when it started).',
  })
  receivedAt!: string | null;

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  updatedAt!: string | null;
}

/** A source that brought this lead's phone, and when. */
export class LeadSourceEntryDto implements LeadSourceEntry {
  @ApiProperty({ type: Number, nullable: true })
  sourceId!: number | null;

  @ApiProperty({ type: () => SourceRefDto, nullable: true })
  source!: SourceRefDto | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  receivedAt!: string | null;

  @ApiProperty({ description: 'The source the lead was created for.' })
  isPrimary!: boolean;

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'The id the source gave it (for Knowlarity: the call id).',
  })
  externalId!: string | null;
}

export class LeadDetailDto extends LeadDto implements LeadDetail {
  @ApiProperty({
    type: [LeadSourceEntryDto],
    description: 'Every source credited with this lead, oldest first; the primary one included.',
  })
  history!: LeadSourceEntryDto[];

  @ApiProperty({
    type: [CallDto],
    description: 'Its newest 100 Knowlarity calls, newest first (GET /calls?leadId= for all).',
  })
  calls!: CallDto[];

  @ApiProperty({ description: 'How many Knowlarity calls the lead has.' })
  callsTotal!: number;
}

export class LeadPageDto extends PageOf(LeadDto) {}
