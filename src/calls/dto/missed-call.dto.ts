import { ApiProperty } from '@nestjs/swagger';
import { MissedCallView } from '../../database/lead-sync.repository';
import { PageOf } from '../../common/pagination/page.dto';

/** The lead a missed-call entry belongs to, in short. */
export class MissedCallLeadDto {
  @ApiProperty({ example: 42 })
  id!: number;

  @ApiProperty({ type: String, nullable: true })
  fullName!: string | null;

  @ApiProperty({ type: String, nullable: true, example: 'New' })
  status!: string | null;

  @ApiProperty({ type: String, nullable: true, description: "The lead's owner in the CRM." })
  assignedTo!: string | null;
}

/** A run of missed inbound calls from one phone, and the answered call that ended it (if any). */
export class MissedCallDto implements MissedCallView {
  @ApiProperty({ example: '9800000101', description: 'National number.' })
  phone!: string;

  @ApiProperty({ example: '+919800000101' })
  phoneE164!: string;

  @ApiProperty({ type: Number, nullable: true })
  leadId!: number | null;

  @ApiProperty({ type: () => MissedCallLeadDto, nullable: true })
  lead!: MissedCallLeadDto | null;

  @ApiProperty({ example: 3, description: 'How many times the customer called and was missed.' })
  attempts!: number;

  @ApiProperty()
  firstMissedCallId!: string;

  @ApiProperty({ format: 'date-time' })
  firstMissedAt!: string;

  @ApiProperty()
  lastMissedCallId!: string;

  @ApiProperty({ format: 'date-time' })
  lastMissedAt!: string;

  @ApiProperty({
    type: Number,
    nullable: true,
    description: 'Seconds since the first missed call, while nobody has answered; else null.',
  })
  waitingSeconds!: number | null;

  @ApiProperty({ type: String, nullable: true, description: 'The answered call that ended it.' })
  returnedCallId!: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  returnedAt!: string | null;

  @ApiProperty({
    enum: ['inbound', 'outbound'],
    nullable: true,
    description: 'outbound: called back; inbound: the customer called again and got through.',
  })
  returnedDirection!: 'inbound' | 'outbound' | null;

  @ApiProperty({
    type: Number,
    nullable: true,
    description: 'Seconds from the first missed call to the answered call.',
  })
  returnedAfterSeconds!: number | null;
}

export class MissedCallPageDto extends PageOf(
  MissedCallDto,
  'Waiting customers, newest missed call first; with returned=true, the runs that were ' +
    'answered, most recently answered first.',
) {}
