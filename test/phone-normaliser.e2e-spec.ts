/**
 * The SQL phone normaliser behind the alternate-number index (knowlarity_private.national_phone)
 * against the service's own (normalizePhone), on PGlite and the PostgreSQL server: the same
 * national number, or null for both, for a table of the forms people type and for generated ones.
 */
import fc from 'fast-check';
import { normalizePhone } from '../src/knowlarity/phone';
import {
  createPgliteDatabase,
  createServerDatabase,
  serverUrl,
  TestDatabase,
} from './support/databases';

const FORMS = [
  // The forms a sales team types for 98765 43210.
  '9876543210',
  '98765 43210',
  '98765-43210',
  '+919876543210',
  '+91 98765 43210',
  '+91-98765-43210',
  '+91 (0) 98765 43210',
  '(+91) 98765.43210',
  '919876543210',
  '09876543210',
  '098765-43210',
  '0091 98765 43210',
  '00919876543210',
  ' 98765 43210 ',
  '\t+91\u00a098765\u00a043210',
  // Toll-free, other countries, international prefixes.
  '1800 123 4567',
  '+91 1800 123 4567',
  '+1 415 555 0100',
  '0044 20 7946 0958',
  '+44 20 7946 0958',
  '14155550100',
  // Nothing to match: too short or long, bad national parts, letters, several numbers.
  '98765',
  '1234567',
  '+91 98765 4321',
  '+91 08765 43210',
  '0000000000',
  '+0 98765 43210',
  '1234567890123456',
  '98765 43210 / 91234 56789',
  '98765 43210, 91234 56789',
  'ext 9876543210',
  '9876543210a',
  '++919876543210',
  '',
  '   ',
];

const targets: Array<{ name: string; available: boolean; open: () => Promise<TestDatabase> }> = [
  { name: 'pglite', available: true, open: async () => (await createPgliteDatabase()).database },
  {
    name: 'postgres',
    available: !!serverUrl,
    open: async () => (await createServerDatabase()).database,
  },
];

for (const target of targets) {
  (target.available ? describe : describe.skip)(`phone normaliser on ${target.name}`, () => {
    let database: TestDatabase;
    beforeAll(async () => {
      database = await target.open();
    });
    afterAll(async () => database?.close());

    /** The SQL normaliser's answer for each input, in order. */
    const inSql = async (inputs: string[]): Promise<Array<string | null>> => {
      const rows = await database.sql<{ national: string | null }>(
        `select knowlarity_private.national_phone(x) as national
         from unnest($1::text[]) with ordinality as t(x, n) order by n`,
        [inputs],
      );
      return rows.map((row) => row.national);
    };
    const inTypeScript = (inputs: string[]) =>
      inputs.map((input) => normalizePhone(input, 'IN')?.national ?? null);

    it('agrees with normalizePhone on the forms people type', async () => {
      const sql = await inSql(FORMS);

      expect(FORMS.map((form, i) => [form, sql[i]])).toEqual(
        FORMS.map((form, i) => [form, inTypeScript(FORMS)[i]]),
      );
      // The table covers both answers: matches and refusals.
      expect(sql.filter((national) => national === '9876543210').length).toBeGreaterThan(10);
      expect(sql.filter((national) => national === null).length).toBeGreaterThan(10);
    });

    it('agrees with normalizePhone on generated numbers with prefixes and punctuation', async () => {
      const piece = fc.oneof(
        fc.constantFrom(
          '+',
          '+91',
          '91',
          '0',
          '00',
          '0091',
          '(0)',
          '1800',
          ' ',
          '-',
          '.',
          '(',
          ')',
        ),
        fc.stringMatching(/^[0-9]{1,5}$/),
      );
      const inputs = fc.sample(
        fc.array(piece, { minLength: 1, maxLength: 8 }).map((parts) => parts.join('')),
        { numRuns: 3000, seed: 15 },
      );

      const sql = await inSql(inputs);
      const ts = inTypeScript(inputs);

      const disagreements = inputs.filter((_, i) => sql[i] !== ts[i]);
      expect(disagreements).toEqual([]);
      expect(ts.filter((national) => national !== null).length).toBeGreaterThan(300);
    });

    it('does not decode percent-encoding (only URLs carry it), where normalizePhone does', async () => {
      const [sql] = await inSql(['%2B919876543210']);

      expect(sql).toBeNull();
      expect(normalizePhone('%2B919876543210')?.national).toBe('9876543210');
    });
  });
}
