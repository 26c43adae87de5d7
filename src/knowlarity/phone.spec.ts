import { maskPhone, normalizePhone } from './phone';

const INDIAN = { national: '9800000101', e164: '+919800000101' };

describe('normalizePhone', () => {
  describe('Indian forms', () => {
    it.each([
      ['+91 prefix', '+919800000101'],
      ['91 prefix (12 digits)', '919800000101'],
      ['0091 prefix', '00919800000101'],
      ['0 trunk prefix (11 digits)', '09800000101'],
      ['bare 10 digits', '9800000101'],
      ['spaces', '+91 98000 00101'],
      ['dashes', '+91-98000-00101'],
      ['dots', '98000.00101'],
      ['parentheses', '(+91) 98000 00101'],
      ['trunk 0 after the country code', '+91 (0) 98000 00101'],
      ['surrounding whitespace', '  +919800000101\t'],
      ['%2B', '%2B919800000101'],
      ['%2b', '%2b919800000101'],
      ['double-encoded %252B', '%252B919800000101'],
      ['encoded spaces', '%2B91%2098000%2000101'],
      ['+ turned into a space by a query decoder', ' 919800000101'],
      ['a number', 9800000101],
      ['a number with the country code', 919800000101],
    ])('reads %s', (_form, input) => {
      expect(normalizePhone(input)).toEqual(INDIAN);
    });

    it('reads %2B inside a JSON string', () => {
      const body = JSON.parse('{"caller_number": "%2B919800000121"}') as { caller_number: string };

      expect(normalizePhone(body.caller_number)).toEqual({
        national: '9800000121',
        e164: '+919800000121',
      });
    });

    it('accepts the country in any case', () => {
      expect(normalizePhone('9800000101', 'in')).toEqual(INDIAN);
    });

    it.each([
      ['18001234567', '18001234567'],
      ['+9118001234567', '18001234567'],
      ['1860 123 4567', '18601234567'],
    ])('keeps the toll-free number %j as an Indian number', (input, national) => {
      expect(normalizePhone(input)).toEqual({ national, e164: `+91${national}` });
    });
  });

  describe('other countries', () => {
    const US = { national: '14155550100', e164: '+14155550100' };

    it.each([
      ['+1', '+14155550100'],
      ['+1 with punctuation', '+1 (415) 555-0100'],
      ['00 international prefix', '0014155550100'],
      ['+ turned into a space', ' 14155550100'],
      ['digits that fit no Indian form', '14155550100'],
    ])('keeps the whole number for %s', (_form, input) => {
      expect(normalizePhone(input)).toEqual(US);
    });

    it('reads a number without + as carrying its country code when the default is not IN', () => {
      expect(normalizePhone('447911123456', 'GB')).toEqual({
        national: '447911123456',
        e164: '+447911123456',
      });
    });

    it('still recognises +91 numbers when the default country is not IN', () => {
      expect(normalizePhone('+919800000101', 'US')).toEqual(INDIAN);
    });

    it('accepts the shortest and longest E.164 lengths', () => {
      expect(normalizePhone('+12345678')).toEqual({ national: '12345678', e164: '+12345678' });
      expect(normalizePhone('+123456789012345')).toEqual({
        national: '123456789012345',
        e164: '+123456789012345',
      });
    });
  });

  describe('unusable values', () => {
    it.each([
      ['+91 with 9 national digits', '+91980000010'],
      ['+91 with 11 national digits', '+9198000001011'],
      ['91 with a national number starting with 0', '910800000101'],
      ['10 digits starting with 0', '0980000010'],
      ['letters', 'abcdefghij'],
      ['letters inside digits', '98000abc01'],
      ['a tel: URI', 'tel:+919800000101'],
      ['an outcome label', 'Did Not Process'],
      ['7 digits', '1234567'],
      ['16 digits', '+1234567890123456'],
      ['an empty string', ''],
      ['a lone +', '+'],
      ['two +', '++919800000101'],
      ['a + in the middle', '91+9800000101'],
      ['a calling code starting with 0', '+0919800000101'],
      ['a label with a number', 'Customer Missed#+918103858929'],
      ['null', null],
      ['undefined', undefined],
      ['an object', {}],
      ['an array', ['+919800000101']],
      ['a negative number', -9800000101],
      ['a fractional number', 98000.00101],
      ['NaN', Number.NaN],
      ['a boolean', true],
    ])('rejects %s', (_name, input) => {
      expect(normalizePhone(input)).toBeNull();
    });
  });
});

describe('maskPhone', () => {
  it.each([
    ['9800000101', '******0101'],
    ['+919800000101', '+********0101'],
    ['98000 00101', '***** *0101'],
    ['0101', '****'],
    ['', ''],
  ])('masks %j as %j', (input, expected) => {
    expect(maskPhone(input)).toBe(expected);
  });

  it('gives an empty string for absent values', () => {
    expect(maskPhone(null)).toBe('');
    expect(maskPhone(undefined)).toBe('');
  });
});
