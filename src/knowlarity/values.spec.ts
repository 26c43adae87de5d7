import { runInNewContext } from 'node:vm';
import { decodedTextOf, decodePercentEncoding, isPlainObject, textOf } from './values';

describe('decodePercentEncoding', () => {
  it.each([
    ['%2B919800000101', '+919800000101'],
    ['%2b919800000101', '+919800000101'],
    ['%252B919800000101', '+919800000101'],
    ['Customer%20Missed%23%2B918103858929', 'Customer Missed#+918103858929'],
    ['+919800000101', '+919800000101'],
    ['100% sure', '100% sure'],
    ['%2B91 %E0%A4 broken', '+91 %E0%A4 broken'],
  ])('decodes %j to %j', (input, expected) => {
    expect(decodePercentEncoding(input)).toBe(expected);
  });
});

describe('textOf', () => {
  it.each([
    ['  abc  ', 'abc'],
    [293, '293'],
    [0, '0'],
    [BigInt(42), '42'],
    ['NA', 'NA'],
  ])('reads %p as %p', (input, expected) => {
    expect(textOf(input)).toBe(expected);
  });

  it.each([[''], ['   '], ['None'], ['none'], ['null'], ['NULL'], ['undefined']])(
    'treats the string %j as empty',
    (input) => {
      expect(textOf(input)).toBeNull();
    },
  );

  it.each([[null], [undefined], [Number.NaN], [Infinity], [true], [{}], [[]]])(
    'treats %p as empty',
    (input) => {
      expect(textOf(input)).toBeNull();
    },
  );
});

describe('decodedTextOf', () => {
  it('decodes and trims', () => {
    expect(decodedTextOf(' Missed%20Call ')).toBe('Missed Call');
  });

  it('treats an encoded blank as empty', () => {
    expect(decodedTextOf('%20')).toBeNull();
    expect(decodedTextOf(null)).toBeNull();
  });
});

describe('isPlainObject', () => {
  class Call {
    uuid = 'x';
  }

  it.each([
    ['an object literal', { a: 1 }],
    ['a parsed JSON object', JSON.parse('{"a":1}') as unknown],
    ['a null-prototype record', Object.create(null) as unknown],
    ['an object from another realm', runInNewContext('({ a: 1 })') as unknown],
  ])('accepts %s', (_name, value) => {
    expect(isPlainObject(value)).toBe(true);
  });

  it.each([
    ['an array', [{ a: 1 }]],
    ['null', null],
    ['a string', '{"a":1}'],
    ['a number', 1],
    ['a Date', new Date()],
    ['a Map', new Map()],
    ['a class instance', new Call()],
    ['an array from another realm', runInNewContext('[{ a: 1 }]') as unknown],
  ])('rejects %s', (_name, value) => {
    expect(isPlainObject(value)).toBe(false);
  });
});
