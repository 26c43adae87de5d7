import { ApiProperty } from '@nestjs/swagger';
import { RecountSummary, SourceDifference } from '../source-counts.recounter';

export class SourceDifferenceDto implements SourceDifference {
  @ApiProperty({ example: 3 })
  sourceId!: number;

  @ApiProperty({
    example: -1,
    description: 'Recounted minus what the counts held: missing leads (+) or extra ones (-).',
  })
  difference!: number;
}

export class RecountDto implements RecountSummary {
  @ApiProperty({
    enum: ['recount', 'build'],
    nullable: true,
    description: '`build` when this run finished building the counts (nothing to compare with).',
  })
  mode!: 'recount' | 'build' | null;

  @ApiProperty({ description: 'False when the service stopped mid-way; the next run resumes.' })
  done!: boolean;

  @ApiProperty({ description: 'Bounded transactions the recount took.' })
  batches!: number;

  @ApiProperty({ type: [SourceDifferenceDto], description: 'Sources whose counts were wrong.' })
  differences!: SourceDifferenceDto[];

  @ApiProperty({ description: 'The sum of the differences’ sizes (0: no drift).' })
  drift!: number;
}
