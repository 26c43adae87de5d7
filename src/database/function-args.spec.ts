import { nullableArgs, pageArgs } from './function-args';

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

describe('pageArgs', () => {
  it('gives the limit and a null cursor on the first page', () => {
    const page: { limit: number; after?: { at: string; key: string } } = { limit: 50 };

    expect(pageArgs(page, ['at', 'key'])).toEqual({
      p_limit: 50,
      p_after_at: null,
      p_after_key: null,
    });
  });

  it('gives the cursor fields after the first page', () => {
    const page = { limit: 2, after: { startedAt: '2026-11-20T09:00:00Z', callId: 'c-1' } };

    expect(pageArgs(page, ['startedAt', 'callId'])).toEqual({
      p_limit: 2,
      p_after_started_at: '2026-11-20T09:00:00Z',
      p_after_call_id: 'c-1',
    });
  });
});
