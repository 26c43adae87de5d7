import { ApiProperty } from '@nestjs/swagger';
import { AssignmentReason, CallView } from '../../database/lead-sync.repository';
import { PageOf } from '../../common/pagination/page.dto';

export const ASSIGNMENT_REASONS: AssignmentReason[] = [
  'answering_agent',
  'number_owner',
  'already_assigned',
  'unassigned',
];

/** A Knowlarity call as stored. */
export class CallDto implements CallView {
  @ApiProperty({ example: '5c1e7a90-3f4b-4d2a-8e61-7b9c0d1e2f31' })
  callId!: string;

  @ApiProperty({ type: Number, nullable: true, description: 'The lead the call was linked to.' })
  leadId!: number | null;

  @ApiProperty({ type: Number, nullable: true })
  sourceId!: number | null;

  @ApiProperty({ example: '9800000101', description: 'National number, as leads are matched.' })
  phone!: string;

  @ApiProperty({ example: '+919800000101' })
  phoneE164!: string;

  @ApiProperty({ type: String, nullable: true, description: 'The Knowlarity number called.' })
  srNumber!: string | null;

  @ApiProperty({ enum: ['inbound', 'outbound'] })
  direction!: 'inbound' | 'outbound';

  @ApiProperty({ enum: ['answered', 'missed'] })
  status!: 'answered' | 'missed';

  @ApiProperty({ type: Number, nullable: true })
  durationSeconds!: number | null;

  @ApiProperty({ type: String, nullable: true, description: "The agent's phone (E.164)." })
  agentNumber!: string | null;

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'An outcome label Knowlarity sent in place of an agent (e.g. Customer Missed).',
  })
  agentLabel!: string | null;

  @ApiProperty({ type: String, nullable: true })
  recordingUrl!: string | null;

  @ApiProperty({ type: String, nullable: true })
  callerName!: string | null;

  @ApiProperty({
    description:
      'What the ingest did with it: lead_created, same_source_duplicate, ' +
      'cross_source_duplicate, call_linked, call_unmatched or ignored.',
    example: 'lead_created',
  })
  outcome!: string;

  @ApiProperty({
    type: String,
    nullable: true,
    description: "The lead's owner after this call (inbound calls that landed on a lead).",
  })
  assignedTo!: string | null;

  @ApiProperty({
    enum: ASSIGNMENT_REASONS,
    nullable: true,
    description:
      'answering_agent (KNOWLARITY_AGENT_USERS), number_owner (KNOWLARITY_NUMBER_OWNERS), ' +
      'already_assigned (an existing owner is never replaced) or unassigned.',
  })
  assignmentReason!: AssignmentReason | null;

  @ApiProperty({ format: 'date-time' })
  startedAt!: string;
}

export class CallPageDto extends PageOf(CallDto) {}
