import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsNotEmpty, IsString, MaxLength } from 'class-validator';
import { trimmed } from '../../common/pagination/query-values';

const NAME_MESSAGE = 'displayName must be text of 1 to 200 characters';
const TYPE_MESSAGE = 'sourceType must be text of 1 to 100 characters';

export class CreateSourceBody {
  @ApiProperty({ example: 'Google Ads', maxLength: 200 })
  @Transform(trimmed)
  @IsString({ message: NAME_MESSAGE })
  @IsNotEmpty({ message: NAME_MESSAGE })
  @MaxLength(200, { message: NAME_MESSAGE })
  displayName!: string;

  @ApiProperty({ example: 'knowlarity_call', maxLength: 100 })
  @Transform(trimmed)
  @IsString({ message: TYPE_MESSAGE })
  @IsNotEmpty({ message: TYPE_MESSAGE })
  @MaxLength(100, { message: TYPE_MESSAGE })
  sourceType!: string;
}
