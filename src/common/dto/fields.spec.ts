import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { DateBoundaryField, IntegerField, OneOfField, TextField } from './fields';

class Fields {
  @IntegerField({ required: true })
  id!: number;

  @IntegerField()
  leadId?: number;

  @IntegerField({ max: 7 })
  days?: number;

  @TextField({ maxLength: 5, trim: true })
  q?: string;

  @OneOfField(['inbound', 'outbound'])
  direction?: string;

  @DateBoundaryField('from', 'Started')
  from?: string;
}

/** The messages of each field that failed, as the global ValidationPipe would build them. */
async function failures(query: Record<string, string>): Promise<Record<string, string[]>> {
  const errors = await validate(plainToInstance(Fields, query));
  return Object.fromEntries(
    errors.map((error) => [error.property, [...new Set(Object.values(error.constraints ?? {}))]]),
  );
}

describe('field decorators', () => {
  it('accept good values, converting digits to numbers and trimming text', async () => {
    const query = {
      id: '7',
      leadId: '9007199254740991',
      days: '7',
      q: ' asha ',
      from: '2026-11-20',
    };

    const fields = plainToInstance(Fields, { ...query, direction: 'inbound' });

    expect(await failures({ ...query, direction: 'inbound' })).toEqual({});
    expect(fields).toMatchObject({ id: 7, leadId: Number.MAX_SAFE_INTEGER, days: 7, q: 'asha' });
  });

  it('leave optional fields optional, and a required one required', async () => {
    expect(await failures({})).toEqual({ id: ['id must be a positive integer'] });
  });

  it.each([
    ['a zero id', { id: '0' }, 'id', 'id must be a positive integer'],
    ['an id in exponent form', { id: '1e3' }, 'id', 'id must be a positive integer'],
    ['an id past 2^53', { id: '9007199254740992' }, 'id', 'id must be a positive integer'],
    ['a decimal', { id: '1', leadId: '5.0' }, 'leadId', 'leadId must be a positive integer'],
    [
      'a number past max',
      { id: '1', days: '8' },
      'days',
      'days must be an integer between 1 and 7',
    ],
    ['blank text', { id: '1', q: '   ' }, 'q', 'q must be text of 1 to 5 characters'],
    ['text too long', { id: '1', q: 'abcdef' }, 'q', 'q must be text of 1 to 5 characters'],
    [
      'a word not offered',
      { id: '1', direction: 'sideways' },
      'direction',
      'direction must be inbound or outbound',
    ],
    [
      'a date in another format',
      { id: '1', from: '20/11/2026' },
      'from',
      'from must be a date (YYYY-MM-DD) or an ISO 8601 date-time',
    ],
  ])('refuse %s with one message naming the field', async (_case, query, field, message) => {
    expect(await failures(query)).toEqual({ [field]: [message] });
  });
});
