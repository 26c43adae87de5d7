import { isTooDeep, MAX_JSON_DEPTH } from './json-depth';

/** `levels` objects (or arrays) nested in one another, a scalar at the bottom. */
function nested(levels: number, kind: 'object' | 'array' = 'object'): unknown {
  let value: unknown = 'leaf';
  for (let level = 0; level < levels; level++)
    value = kind === 'object' ? { inner: value } : [value];
  return value;
}

describe('isTooDeep', () => {
  it('lets through nesting up to MAX_JSON_DEPTH levels, objects or arrays', () => {
    expect(isTooDeep(nested(MAX_JSON_DEPTH))).toBe(false);
    expect(isTooDeep(nested(MAX_JSON_DEPTH, 'array'))).toBe(false);
  });

  it('refuses one level more, wherever the deep branch is', () => {
    expect(isTooDeep(nested(MAX_JSON_DEPTH + 1))).toBe(true);
    expect(isTooDeep(nested(MAX_JSON_DEPTH + 1, 'array'))).toBe(true);
    expect(isTooDeep({ a: 1, b: null, c: [1, 2], d: nested(MAX_JSON_DEPTH) })).toBe(true);
  });

  it('takes scalars, null and flat records as shallow', () => {
    for (const value of ['text', 1, null, undefined, true, {}, [], { a: 1, b: 'x', c: null }])
      expect(isTooDeep(value)).toBe(false);
  });
});
