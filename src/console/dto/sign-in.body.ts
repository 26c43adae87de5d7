import { IsNotEmpty, IsString, MaxLength } from 'class-validator';

const KEY_MESSAGE = 'key must be text of 1 to 512 characters';

export class SignInBody {
  /** One of INTERNAL_API_KEYS; never stored, logged or echoed. */
  @IsString({ message: KEY_MESSAGE })
  @IsNotEmpty({ message: KEY_MESSAGE })
  @MaxLength(512, { message: KEY_MESSAGE })
  key!: string;
}
