import { DateBoundaryField, IntegerField, OneOfField } from '../../common/dto/fields';
import { PageQuery } from '../../common/pagination/page.query';
import { PhoneField } from '../../leads/dto/is-phone-number';

export class ListCallsQuery extends PageQuery {
  @IntegerField({ description: 'Calls linked to this lead.' })
  leadId?: number;

  @PhoneField('The caller, in any format the ingest accepts (normalised the same way).')
  phone?: string;

  @DateBoundaryField('from', 'Started')
  from?: string;

  @DateBoundaryField('to', 'Started')
  to?: string;

  @OneOfField(['answered', 'missed'])
  status?: 'answered' | 'missed';

  @OneOfField(['inbound', 'outbound'])
  direction?: 'inbound' | 'outbound';
}
