import { DateBoundaryField, IntegerField, TextField } from '../../common/dto/fields';
import { PageQuery } from '../../common/pagination/page.query';
import { PhoneField } from './is-phone-number';

export class ListLeadsQuery extends PageQuery {
  @PhoneField(
    'Leads with this phone, in any format the ingest accepts (+91 98000-00101, 098000 00101, ' +
      '0091 9800000101, 9800000101, ...), normalised exactly as the ingest does.',
  )
  phone?: string;

  @IntegerField({ description: 'Leads whose primary source this is.' })
  sourceId?: number;

  @TextField({ maxLength: 100, description: 'The CRM status, exactly.', example: 'New' })
  status?: string;

  @DateBoundaryField('from', 'Created')
  createdFrom?: string;

  @DateBoundaryField('to', 'Created')
  createdTo?: string;

  @TextField({
    maxLength: 100,
    trim: true,
    description:
      'A prefix of the name (case-insensitive) or of the phone number (digits, with or ' +
      'without +91 or a leading 0).',
    example: 'Asha',
  })
  q?: string;
}
