/**
 * fast-check generators of hostile webhook deliveries: bodies, content types, query strings and
 * broken URL paths. They produce requests before authentication; the spec adds the token and
 * signature. Nothing is held back: the inputs behind the nine bugs the fuzzing found (huge
 * durations, lone surrogates, far-off times, deep nesting, long call ids and names, empty query
 * segments, unparseable content types, bad percent-encoding in the path) are generated on purpose.
 */
import fc from 'fast-check';

/** The body size limit the app runs with (WEBHOOK_MAX_BODY_BYTES' default). */
export const MAX_BODY_BYTES = 65_536;

/** Every field the normaliser reads, in the spellings Knowlarity uses. */
export const KNOWN_FIELDS = [
  'customer_number',
  'caller_id',
  'callid',
  'uuid',
  'call_uuid',
  'start_time',
  'call_date',
  'call_time',
  'call_duration',
  'duration',
  'Call_Type',
  'call_direction',
  'agent_number',
  'destination',
  'knowlarity_number',
  'dispnumber',
  'call_recording',
  'resource_url',
  'caller_name',
  'hangup_cause',
  'business_call_type',
  'call_status',
] as const;
export const WRAPPER_FIELDS = ['data', 'call', 'payload'] as const;

/** A body before the content type is chosen, with the type it naturally goes with. */
export interface GeneratedBody {
  kind: string;
  bytes: Buffer;
  naturalType?: string;
}

/** Characters Node accepts in a header value (no controls). */
const headerChar = fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c));
/** Characters Node accepts on the request line without escaping (no space, no controls). */
const pathChar = fc
  .integer({ min: 0x21, max: 0x7e })
  .filter((c) => c !== 0x23) // '#' ends the path for a client; it never reaches the server
  .map((c) => String.fromCharCode(c));

/**
 * Content types, well-formed or not: a malformed one (no `type/subtype`, stray spaces, lone
 * parameters) is read as bytes, stored with its body and answered 415.
 */
export const contentTypeArb: fc.Arbitrary<string | undefined> = fc.oneof(
  fc.constantFrom(
    'application/json',
    'application/json; charset=utf-8',
    'APPLICATION/JSON',
    'application/vnd.knowlarity+json',
    'application/json; charset=utf-16',
    'application/json;;;',
    'text/plain',
    'text/plain; charset=utf-8',
    'application/x-www-form-urlencoded',
    'application/x-www-form-urlencoded; charset=latin1',
    'application/xml',
    'text/xml',
    'multipart/form-data; boundary=fuzzboundary',
    'application/octet-stream',
    'text/html',
    '*/*',
    'json',
    ';;;',
    '',
    ' ',
    'application/',
    '/json',
    'application /json',
    ' application/json ',
    'application/json ;charset=utf-8',
    'application/json; charset',
    'application/json; charset="utf-8',
    'text/plain;',
    'application/json, text/plain',
    'application/json/extra',
    'application\\/json',
    '{"caller_id":"9800000101"}',
  ),
  fc.constant(undefined),
  fc.string({ unit: headerChar, maxLength: 80 }),
);

export const sqlMetaArb = fc.constantFrom(
  "'; drop table leads_master; --",
  "9800000101'; drop table leads_master; --",
  "' or '1'='1",
  "');--",
  '\\',
  "\\'",
  '\\\\',
  '$$',
  '$$; drop table webhook_deliveries; $$',
  '$1',
  '"',
  '%',
  '%s%s%n',
  "E'\\x00'",
  '/*',
  '--',
  '`',
);

/**
 * Strings with unpaired UTF-16 surrogates (`"\ud800"` in JSON): the service stores them as
 * U+FFFD. Neither fast-check string unit produces one, so they are built from code units.
 */
export const loneSurrogateArb: fc.Arbitrary<string> = fc.oneof(
  fc.string({
    unit: fc.oneof(
      fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)),
      fc.constantFrom('a', '9', ' ', '\u00e9', '\u0000'),
    ),
    minLength: 1,
    maxLength: 12,
  }),
  fc.constantFrom(
    '\ud800',
    '\udfff',
    '\udc00\ud800',
    '9800000101\ud83d',
    '\ude00Ravi',
    'Ra\ud83dvi\u0000',
    '\ud83d\ude00\ud83d',
  ),
);

export const unicodeArb = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom(
    '😀',
    '👩‍👩‍👧‍👦',
    '🇮🇳',
    'नमस्ते',
    '\u202e9800000101',
    '\ufeff9800000101',
    '９８００００００１０１',
    '٩٨٠٠٠٠٠١٠١',
    'Ω≈ç√∫',
    '\u2028\u2029',
    'ﷺ',
  ),
  loneSurrogateArb,
);

export const nulArb = fc.oneof(
  fc.constantFrom('\u0000', '98000\u000000101', '9800000101\u0000', '\u0000\u0000\u0000'),
  fc.tuple(fc.string(), fc.string()).map(([a, b]) => `${a}\u0000${b}`),
);

const phoneDigits = fc.integer({ min: 6_000_000_000, max: 9_999_999_999 });
export const phoneArb: fc.Arbitrary<string | number> = phoneDigits.chain((n) =>
  fc.constantFrom<string | number>(
    String(n),
    `+91${n}`,
    `91${n}`,
    `0${n}`,
    `%2B91${n}`,
    ` +91 ${String(n).slice(0, 5)} ${String(n).slice(5)} `,
    n,
  ),
);

/** Times in and out of the 2000–2100 the service keeps (others are stored as no time). */
const timeArb = fc.oneof(
  fc
    .date({ min: new Date('2000-01-01'), max: new Date('2099-12-31'), noInvalidDate: true })
    .map((d) => d.toISOString()),
  fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
  fc
    .tuple(
      fc.integer({ min: 0, max: 9999 }),
      fc.constantFrom('', 'Z', '+05:30', '-12:00', '+14:00', '-2359', '+99'),
    )
    .map(([year, offset]) => `${String(year).padStart(4, '0')}-06-15 12:00:00${offset}`),
  fc.constantFrom(
    '2026-11-20 11:11:21+05:30',
    '2026-11-20 11:11:21 05:30',
    '0000-00-00 00:00:00',
    '2026-02-30 10:00:00',
    '2026-13-01 10:00:00',
    '9999-12-31 23:59:59',
    '9999-12-31 23:59:59-12:00',
    '9999-12-31T23:59:59.999-23:59',
    '0000-01-01 00:00:00+14:00',
    '2100-01-01 00:00:00Z',
    '2099-12-31 23:59:59.999Z',
    '2000-01-01 05:29:59+05:30',
    '+275760-09-13T00:00:00.000Z',
    '-271821-04-20T00:00:00.000Z',
    '0001-01-01 00:00:00',
    '1999-12-31T23:59:59.999999999Z',
    '2026-11-20T25:61:61',
    'yesterday',
    '1763616681',
    '1763616681000',
    '8640000000000000',
    '8640000000000001',
    '99999999999999999999',
    '4102444800',
  ),
  fc.integer({ min: -1e12, max: 1e13 }),
  fc.double({ noNaN: true }),
  fc.constantFrom(8.64e15, 8.64e15 + 1, 4_102_444_800, 4_102_444_800_000, 946_684_799, 1e21),
);

/** Durations up to and far past a week (and 2^31 seconds); those over a week are dropped. */
const durationArb = fc.oneof(
  fc.integer({ min: -100, max: 100_000 }),
  fc.double({ noNaN: true, min: -1e6, max: 1e6 }),
  fc.constantFrom('00:01:05', '1:05', '99:59:59', '0', '-5', '1.5', 'abc', '12:60', ''),
  fc.integer({ min: 7 * 86_400 - 2, max: 7 * 86_400 + 2 }),
  fc.oneof(fc.integer({ min: 2 ** 31 - 2, max: 2 ** 53 }), fc.maxSafeNat(), fc.double()),
  fc.oneof(fc.bigInt({ min: 2n ** 31n - 2n, max: 10n ** 30n }), fc.bigInt()).map((n) => String(n)),
  fc.constantFrom(
    2 ** 31,
    2 ** 31 - 1,
    2 ** 32,
    -(2 ** 31) - 1,
    3e9,
    1e308,
    '3000000000',
    '2147483648',
    '596523:14:08',
    '99999999:59:59',
    '168:00:00',
    '168:00:01',
    '1e10',
    ' 9999999999 ',
  ),
);

/**
 * Values of every JSON type, plus hostile strings. Numbers stop short of 2^31 only where noted
 * below; elsewhere they go to the extremes.
 */
export const weirdValueArb: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: phoneArb, weight: 4 },
  { arbitrary: fc.string({ maxLength: 30 }), weight: 2 },
  { arbitrary: sqlMetaArb, weight: 2 },
  { arbitrary: unicodeArb, weight: 2 },
  { arbitrary: nulArb, weight: 1 },
  { arbitrary: timeArb, weight: 1 },
  { arbitrary: durationArb, weight: 1 },
  { arbitrary: fc.integer(), weight: 1 },
  {
    arbitrary: fc.constantFrom(0, -1, 1.5, 1e308, -1e308, 5e-324, 2 ** 53 + 1, 2 ** 31, -0),
    weight: 1,
  },
  { arbitrary: fc.boolean(), weight: 1 },
  { arbitrary: fc.constant(null), weight: 1 },
  { arbitrary: fc.constantFrom('None', 'null', 'undefined', ' ', 'NaN', 'Infinity'), weight: 1 },
  { arbitrary: fc.array(phoneArb, { maxLength: 3 }), weight: 1 },
  { arbitrary: fc.jsonValue({ maxDepth: 3 }), weight: 2 },
  {
    // A nested call whose fields are all phones (a phone under a duration key is a huge duration).
    arbitrary: fc.dictionary(fc.constantFrom(...KNOWN_FIELDS), phoneArb),
    weight: 1,
  },
);

/** Spellings of a known field that the normaliser treats as the same key. */
const keyArb: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.constantFrom(...KNOWN_FIELDS), weight: 8 },
  {
    arbitrary: fc
      .constantFrom(...KNOWN_FIELDS)
      .chain((k) => fc.constantFrom(k.toUpperCase(), ` ${k} `, `${k}\u0000`, `${k}%00`)),
    weight: 1,
  },
  { arbitrary: fc.oneof(fc.string({ maxLength: 12 }), unicodeArb, sqlMetaArb), weight: 1 },
  { arbitrary: fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString'), weight: 1 },
);

export type Pair = [string, unknown];

/** Key/value pairs of one call: duplicate keys and wrong types welcome. */
export const pairsArb: fc.Arbitrary<Pair[]> = fc
  .array(fc.tuple(keyArb, weirdValueArb), { maxLength: 12 })
  .map((pairs) => pairs as Pair[]);

/** Serialises pairs as a JSON object by hand, so duplicate keys survive. */
export function jsonObjectText(pairs: Pair[]): string {
  return `{${pairs.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v) ?? 'null'}`).join(',')}}`;
}

/** A call with wrapped layers: `{"data": {...}}`, a JSON string, or a wrapper of the wrong type. */
export const wrappedCallArb: fc.Arbitrary<string> = fc
  .tuple(
    pairsArb,
    pairsArb,
    fc.constantFrom(...WRAPPER_FIELDS),
    fc.integer({ min: 1, max: 5 }),
    fc.constantFrom('object', 'string', 'wrong'),
    weirdValueArb,
  )
  .map(([outer, inner, wrapper, depth, style, wrong]) => {
    let innerText = jsonObjectText(inner);
    for (let i = 1; i < depth; i++) innerText = `{"${wrapper}":${innerText}}`;
    const wrapped =
      style === 'object'
        ? innerText
        : style === 'string'
          ? JSON.stringify(innerText)
          : (JSON.stringify(wrong) ?? 'null');
    return jsonObjectText(outer).replace(
      /^\{/,
      `{"${wrapper}":${wrapped}${outer.length ? ',' : ''}`,
    );
  });

/**
 * A call that should be accepted: a phone, a unique call id and ordinary fields, its start time
 * and duration now and then implausible (those are then stored as absent).
 */
export const validCallArb: fc.Arbitrary<Record<string, unknown>> = fc.record({
  caller_id: phoneArb,
  callid: fc.uuid(),
  start_time: fc.oneof(
    { arbitrary: fc.constant('2026-11-20 11:11:21+05:30'), weight: 2 },
    { arbitrary: timeArb, weight: 1 },
  ),
  call_duration: fc.oneof(
    { arbitrary: fc.integer({ min: 0, max: 3600 }), weight: 2 },
    { arbitrary: durationArb, weight: 1 },
  ),
  agent_number: fc.constantFrom('+919700000201', 'Customer Missed#+919700000202', 'Welcome Sound'),
  knowlarity_number: fc.constant('+919600000301'),
  Call_Type: fc.constantFrom('0', '1', 'incoming'),
});

/**
 * Text from a seed, cheaply (fast-check shrinks the seed, not 64 KiB of data): `length` picks
 * from `alphabet`, whose entries may be whole characters of several UTF-16 units.
 */
function seededChars(seed: number, length: number, alphabet: string | readonly string[]): string {
  const symbols = typeof alphabet === 'string' ? [...alphabet] : alphabet;
  let x = seed | 1;
  const out: string[] = [];
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out.push(symbols[(x >>> 0) % symbols.length]);
  }
  return out.join('');
}
const BASE64_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
/** Characters of 1 to 11 UTF-8 bytes, a lone surrogate and escapes, for long non-ASCII values. */
const WIDE_ALPHABET = ['a', 'é', 'न', 'म', '😀', '👩‍👧', '\ud800', '%', '%2B', ' '];

const json = (text: string, kind: string): GeneratedBody => ({
  kind,
  bytes: Buffer.from(text),
  naturalType: 'application/json',
});

export const randomBytesBody: fc.Arbitrary<GeneratedBody> = fc
  .uint8Array({ maxLength: 4096 })
  .map((bytes) => ({ kind: 'random-bytes', bytes: Buffer.from(bytes) }));

export const truncatedJsonBody: fc.Arbitrary<GeneratedBody> = fc
  .oneof(
    validCallArb.map((c) => JSON.stringify(c)),
    pairsArb.map(jsonObjectText),
    wrappedCallArb,
  )
  .chain((text) => {
    const bytes = Buffer.from(text);
    return fc
      .integer({ min: 0, max: Math.max(0, bytes.length - 1) })
      .map((cut) => ({ kind: 'truncated-json', bytes: bytes.subarray(0, cut) }));
  })
  .map((body) => ({ ...body, naturalType: 'application/json' }));

/** The deepest nesting the service accepts in a body (deeper is 400 invalid_payload). */
export const MAX_ACCEPTED_DEPTH = 32;

/**
 * Nesting from a few levels (around the 32-level limit) to 32,000, with or without a customer
 * phone beside it, and as a JSON string in a `data` wrapper (which the depth check does not see).
 */
export const deepJsonBody: fc.Arbitrary<GeneratedBody> = fc
  .record({
    withPhone: fc.oneof({ arbitrary: fc.constant(true), weight: 3 }, fc.constant(false)),
    depth: fc.oneof(
      { arbitrary: fc.integer({ min: 1, max: 2 * MAX_ACCEPTED_DEPTH }), weight: 3 },
      { arbitrary: fc.integer({ min: 1, max: 2_000 }), weight: 1 },
      { arbitrary: fc.constantFrom(10_000, 20_000, 30_000), weight: 1 },
      { arbitrary: fc.integer({ min: 2_000, max: 32_000 }), weight: 1 },
    ),
    shape: fc.constantFrom('array', 'object', 'data-wrapper', 'mixed'),
    phone: phoneArb,
    closed: fc.oneof({ arbitrary: fc.constant(true), weight: 3 }, fc.constant(false)),
    inString: fc.oneof({ arbitrary: fc.constant(false), weight: 3 }, fc.constant(true)),
  })
  .map(({ withPhone, depth, shape, phone, closed, inString }) => {
    const open =
      shape === 'array'
        ? '['
        : shape === 'object'
          ? '{"a":'
          : shape === 'data-wrapper'
            ? '{"data":'
            : '[{"x":';
    const close = shape === 'array' ? ']' : shape === 'mixed' ? '}]' : '}';
    const nested = open.repeat(depth) + '1' + (closed ? close.repeat(depth) : '');
    const extra = inString ? `"data":${JSON.stringify(nested)}` : `"extra":${nested}`;
    const text = withPhone
      ? `{"caller_id":${JSON.stringify(phone)},${extra}}`
      : inString
        ? `{${extra}}`
        : nested;
    return json(text, `deep-json-${shape}${inString ? '-in-string' : ''}`);
  });

/** Bodies close to and above the size limit, compressible or not, in one field or many. */
export const hugeBody: fc.Arbitrary<GeneratedBody> = fc
  .record({
    size: fc.oneof(
      fc.integer({ min: MAX_BODY_BYTES - 300, max: MAX_BODY_BYTES + 300 }),
      fc.integer({ min: 1_000, max: MAX_BODY_BYTES }),
      fc.integer({ min: MAX_BODY_BYTES, max: 4 * MAX_BODY_BYTES }),
    ),
    field: fc.constantFrom(...KNOWN_FIELDS, 'pad'),
    seed: fc.integer(),
    compressible: fc.boolean(),
    withPhone: fc.boolean(),
  })
  .map(({ size, field, seed, compressible, withPhone }) => {
    const head = withPhone ? `{"caller_id":"9800000101","callid":"huge-${seed}",` : '{';
    const prefix = `${head}${JSON.stringify(field)}:"`;
    const fill = Math.max(0, size - prefix.length - 2);
    const filler = compressible ? 'x'.repeat(fill) : seededChars(seed, fill, BASE64_ALPHABET);
    return json(`${prefix}${filler}"}`, 'huge-string');
  });

/** The longest call id the service accepts (longer is 400 invalid_payload). */
export const MAX_CALL_ID_LENGTH = 128;

/**
 * Long values, ASCII or wide, in every stored field: call ids around the 128-character limit and
 * up to 60,000; names, numbers, labels and recording URLs (clipped or dropped) as long.
 */
export const longCallIdBody: fc.Arbitrary<GeneratedBody> = fc
  .record({
    length: fc.oneof(
      fc.integer({ min: MAX_CALL_ID_LENGTH - 4, max: MAX_CALL_ID_LENGTH + 4 }),
      fc.integer({ min: 100, max: 3_000 }),
      fc.integer({ min: 3_000, max: 60_000 }),
    ),
    seed: fc.integer(),
    wide: fc.boolean(),
    field: fc.constantFrom(
      'callid',
      'uuid',
      'call_uuid',
      'caller_name',
      'call_recording',
      'resource_url',
      'agent_number',
      'knowlarity_number',
      'dispnumber',
      'destination',
      'hangup_cause',
      'business_call_type',
      'call_status',
      'start_time',
    ),
    urlPrefix: fc.constantFrom('', 'https://recordings.example/', 'http%3A%2F%2Fr.example%2F'),
    agentPrefix: fc.constantFrom('', 'Customer Missed#', '#'),
    phone: phoneArb,
  })
  .map(({ length, seed, wide, field, urlPrefix, agentPrefix, phone }) => {
    const prefix = field.includes('recording') || field === 'resource_url' ? urlPrefix : '';
    // Wide characters take up to 11 bytes: long runs of them are shortened to stay mostly under
    // the body limit.
    const count = wide && length > 3_000 ? Math.ceil(length / 5) : length;
    const text = seededChars(seed, count, wide ? WIDE_ALPHABET : BASE64_ALPHABET);
    const value = field === 'agent_number' ? `${agentPrefix}${text}` : `${prefix}${text}`;
    return json(JSON.stringify({ caller_id: phone, [field]: value }), `long-field:${field}`);
  });

export const wrongTypesBody: fc.Arbitrary<GeneratedBody> = fc
  .oneof(pairsArb.map(jsonObjectText), wrappedCallArb)
  .map((text) => json(text, 'wrong-types'));

export const hostileStringsBody: fc.Arbitrary<GeneratedBody> = fc
  .tuple(
    phoneArb,
    fc.array(
      fc.tuple(
        fc.constantFrom(...KNOWN_FIELDS),
        fc.oneof(sqlMetaArb, unicodeArb, nulArb, loneSurrogateArb),
      ),
      { minLength: 1, maxLength: 8 },
    ),
    fc.boolean(),
  )
  .map(([phone, pairs, keepPhone]) =>
    json(
      jsonObjectText([...(keepPhone ? [['caller_id', phone] as Pair] : []), ...pairs]),
      'hostile-strings',
    ),
  );

export const duplicateKeysBody: fc.Arbitrary<GeneratedBody> = fc
  .tuple(
    fc.constantFrom('caller_id', 'customer_number', 'callid', 'uuid', 'call_duration', 'data'),
    fc.array(weirdValueArb, { minLength: 2, maxLength: 4 }),
    phoneArb,
  )
  .map(([key, values, phone]) =>
    json(
      jsonObjectText([
        ['caller_id', '1'],
        ...values.map((v): Pair => [key, v]),
        ['caller_id', phone],
      ]),
      'duplicate-keys',
    ),
  );

/** NUL as `\u0000` inside JSON strings, and as a raw 0x00 byte anywhere in the body. */
export const nulBody: fc.Arbitrary<GeneratedBody> = fc
  .tuple(validCallArb, fc.array(fc.nat(), { minLength: 1, maxLength: 4 }), fc.boolean())
  .map(([call, positions, escaped]) => {
    if (escaped) {
      const text = JSON.stringify({ ...call, caller_name: 'a\u0000b', '\u0000': '\u0000' });
      return json(text, 'nul-escaped');
    }
    const bytes = Buffer.from(JSON.stringify(call));
    const out: number[] = [...bytes];
    for (const p of positions) out.splice(p % (out.length + 1), 0, 0x00);
    return { kind: 'nul-raw', bytes: Buffer.from(out), naturalType: 'application/json' };
  });

/**
 * encodeURIComponent, except that a lone surrogate (which it refuses) is written as the three
 * bytes WTF-8 gives it (`%ED%A0%80`): invalid UTF-8 that a decoder must survive.
 */
export function percentEncode(text: string): string {
  return text.replace(/[\ud800-\udbff][\udc00-\udfff]|[\s\S]/g, (char) => {
    const unit = char.charCodeAt(0);
    if (char.length === 2 || unit < 0xd800 || unit > 0xdfff) return encodeURIComponent(char);
    const bytes = [0xe0 | (unit >> 12), 0x80 | ((unit >> 6) & 0x3f), 0x80 | (unit & 0x3f)];
    return bytes.map((b) => `%${b.toString(16).toUpperCase()}`).join('');
  });
}

function formEncode(pairs: Pair[], raw: boolean): string {
  return pairs
    .map(([k, v]) => {
      const value = typeof v === 'string' ? v : (JSON.stringify(v) ?? '');
      return raw ? `${k}=${value}` : `${percentEncode(k)}=${percentEncode(value)}`;
    })
    .join('&');
}

const brokenPercentArb = fc.constantFrom(
  '%ZZ',
  '%',
  '%E0%A4',
  '%00',
  '%ED%A0%80',
  '%%',
  '%2',
  '%u0041',
);

export const formBody: fc.Arbitrary<GeneratedBody> = fc
  .tuple(pairsArb, fc.boolean(), fc.array(brokenPercentArb, { maxLength: 3 }))
  .map(([pairs, raw, broken]) => ({
    kind: 'form',
    bytes: Buffer.from(formEncode(pairs, raw) + broken.join('')),
    naturalType: 'application/x-www-form-urlencoded',
  }));

export const markupBody: fc.Arbitrary<GeneratedBody> = fc
  .tuple(phoneArb, fc.constantFrom('xml', 'multipart'), fc.string({ maxLength: 20 }))
  .map(([phone, style, noise]) =>
    style === 'xml'
      ? {
          kind: 'xml',
          bytes: Buffer.from(
            `<?xml version="1.0"?><call><caller_id>${String(phone)}</caller_id><x>${noise}</x></call>`,
          ),
          naturalType: 'application/xml',
        }
      : {
          kind: 'multipart',
          bytes: Buffer.from(
            `--fuzzboundary\r\nContent-Disposition: form-data; name="caller_id"\r\n\r\n${String(phone)}\r\n--fuzzboundary--\r\n`,
          ),
          naturalType: 'multipart/form-data; boundary=fuzzboundary',
        },
  );

/** Any body from any category. */
export const anyBody: fc.Arbitrary<GeneratedBody> = fc.oneof(
  randomBytesBody,
  truncatedJsonBody,
  wrongTypesBody,
  hostileStringsBody,
  duplicateKeysBody,
  nulBody,
  formBody,
  markupBody,
  validCallArb.map((c) => json(JSON.stringify(c), 'valid')),
);

/** A GET query string (without `?`): fields with hostile values, broken escapes, long runs. */
const plainQueryArb: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.string({ unit: pathChar, maxLength: 200 }), weight: 2 },
  {
    arbitrary: fc
      .tuple(pairsArb, fc.boolean(), fc.array(brokenPercentArb, { maxLength: 4 }))
      .map(([pairs, raw, broken]) => {
        const text = formEncode(pairs, false) + broken.join('');
        // Raw values may hold characters Node refuses on the request line; those are escaped.
        return raw ? text.replace(/%2C|%3A|%2F|%24|%27/g, decodeURIComponent) : text;
      }),
    weight: 4,
  },
  {
    arbitrary: fc
      .tuple(phoneArb, fc.array(brokenPercentArb, { minLength: 1, maxLength: 6 }))
      .map(([phone, broken]) => `caller_id=${percentEncode(String(phone))}&${broken.join('&')}`),
    weight: 2,
  },
  {
    // Long, but under Node's 16 KiB header limit (the request line counts towards it).
    arbitrary: fc
      .tuple(fc.integer({ min: 1_000, max: 14_000 }), fc.integer(), phoneArb)
      .map(
        ([length, seed, phone]) =>
          `caller_id=${percentEncode(String(phone))}&pad=${seededChars(seed, length, 'abcXYZ019-_.~%')}`,
      ),
    weight: 1,
  },
);

/**
 * Queries as above, a third of them with empty segments: a leading or trailing `&`, `&&` in
 * between, or nothing but `&`s. A signature over the query covers them byte for byte.
 */
export const queryArb: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: plainQueryArb, weight: 2 },
  {
    arbitrary: fc
      .tuple(
        plainQueryArb,
        fc.constantFrom('leading', 'trailing', 'double', 'all', 'only'),
        fc.integer({ min: 1, max: 4 }),
      )
      .map(([query, where, n]) => {
        const amps = '&'.repeat(n);
        if (where === 'leading') return `${amps}${query}`;
        if (where === 'trailing') return `${query}${amps}`;
        if (where === 'double') return query.split('&').join(`&${amps}`);
        if (where === 'all') return `${amps}${query.split('&').join(`&${amps}`)}${amps}`;
        return amps;
      }),
    weight: 1,
  },
);

/** Percent-escapes that do not decode: in the URL path they make the whole URL unreadable. */
export const badPathEscapeArb = fc.constantFrom(
  '%ZZ',
  '%',
  '%E0%A4',
  '%ED%A0%80',
  '%%',
  '%2',
  '%u0041',
  '%C0%AF',
  '%FF',
  '%E0%A4%A',
);
