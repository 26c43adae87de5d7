import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsOptional } from 'class-validator';
import { PageQuery } from '../../common/pagination/page.query';
import { toBoolean } from '../../common/pagination/query-values';

const RETURNED_MESSAGE = 'returned must be true or false';

export class ListMissedCallsQuery extends PageQuery {
  @ApiPropertyOptional({
    type: Boolean,
    default: false,
    description:
      'false: customers whose missed call nobody has answered since; true: missed calls that ' +
      'were followed by an answered call, and how fast.',
  })
  @IsOptional()
  @Transform(toBoolean)
  @IsBoolean({ message: RETURNED_MESSAGE })
  returned?: boolean;
}
