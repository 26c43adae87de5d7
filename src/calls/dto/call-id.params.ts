import { ApiProperty } from '@nestjs/swagger';
import { IsNotEmpty, IsString, MaxLength } from 'class-validator';

const CALL_ID_MESSAGE = 'callId must be a call id of at most 200 characters';

export class CallIdParams {
  @ApiProperty({ example: '5c1e7a90-3f4b-4d2a-8e61-7b9c0d1e2f31' })
  @IsString({ message: CALL_ID_MESSAGE })
  @IsNotEmpty({ message: CALL_ID_MESSAGE })
  @MaxLength(200, { message: CALL_ID_MESSAGE })
  callId!: string;
}
