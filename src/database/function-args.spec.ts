import { nullableArgs } from './function-args';

describe('nullableArgs', () => {
  it('names each field in snake case after the prefix and keeps its value', () => {
    const after = { createdAt: '2026-01-02T00:00:00Z', id: 7 };

    expect(nullableArgs('p_after_', after, ['createdAt', 'id'])).toEqual({
      p_after_created_at: '2026-01-02T00:00:00Z',
      p_after_id: 7,
    });
  });

  it('passes an absent field, or absent values, as null rather than leaving it out', () => {
    const filter: { qPhone?: string; limit: number } = { limit: 5 };

    expect(nullableArgs('p_', filter, ['qPhone'])).toEqual({ p_q_phone: null });
    expect(nullableArgs<{ id: number }>('p_after_', undefined, ['id'])).toEqual({
      p_after_id: null,
    });
  });

  it('keeps false and zero, which are values and not absence', () => {
    expect(nullableArgs('p_', { missed: false, sourceId: 0 }, ['missed', 'sourceId'])).toEqual({
      p_missed: false,
      p_source_id: 0,
    });
  });
});
