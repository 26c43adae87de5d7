import { IntegerField } from '../../common/dto/fields';

export class SourceDetailQuery {
  @IntegerField({
    max: 90,
    description: 'Adds `leadsPerDay` for the last N days (today included).',
  })
  days?: number;
}

export class LeadsPerHourQuery {
  @IntegerField({
    max: 7,
    default: 2,
    description: 'How many days, today included (2: yesterday and today).',
  })
  days: number = 2;
}
