import { TextField } from '../../common/dto/fields';

export class CreateSourceBody {
  @TextField({ required: true, maxLength: 200, trim: true, example: 'Google Ads' })
  displayName!: string;

  @TextField({ required: true, maxLength: 100, trim: true, example: 'knowlarity_call' })
  sourceType!: string;
}
