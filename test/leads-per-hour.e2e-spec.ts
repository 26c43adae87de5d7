/**
 * knowlarity_leads_per_hour on every driver: each source's leads bucketed by local clock hour,
 * checked against buckets computed here with Intl from the rows' own times, and each day's total
 * against knowlarity_get_source's leadsPerDay; a day that repeats an hour (DST end) included.
 */
import { TestDatabase } from './support/databases';
import { describeOnEveryTarget } from './support/targets';

interface Credit {
  source: 'A' | 'B';
  at: string;
  /** A lead with no received_at is credited at its created_at. */
  kind?: 'lead' | 'lead_without_received_at' | 'history';
}

/** YYYY-MM-DD and hour of `at` in `timeZone`, computed without the database. */
function localHour(at: string, timeZone: string): { date: string; hour: number } {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-CA', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      hourCycle: 'h23',
    })
      .formatToParts(new Date(at))
      .map((part) => [part.type, part.value]),
  );
  return { date: `${parts.year}-${parts.month}-${parts.day}`, hour: Number(parts.hour) };
}

async function arrange(database: TestDatabase, credits: Credit[]) {
  const [a] = await database.sql<{ id: number }>(
    "insert into sources (display_name, source_type) values ('Hourly A', 'test') returning id::int as id",
  );
  const [b] = await database.sql<{ id: number }>(
    "insert into sources (display_name, source_type) values ('Hourly B', 'test') returning id::int as id",
  );
  await database.sql(
    "insert into sources (display_name, source_type) values ('Hourly idle', 'test')",
  );
  const ids = { A: a.id, B: b.id };
  const [anchor] = await database.sql<{ id: number }>(
    `insert into leads_master (full_name, phone_number_normalized, source_id, status, created_at, received_at)
     values ('anchor', '+910000000000', $1, 'New', '2020-01-01T00:00:00Z', '2020-01-01T00:00:00Z')
     returning id::int as id`,
    [ids.A],
  );
  for (const [index, credit] of credits.entries()) {
    const kind = credit.kind ?? 'lead';
    if (kind === 'history') {
      await database.sql(
        'insert into lead_sources_history (lead_id, source_id, received_at) values ($1, $2, $3)',
        [anchor.id, ids[credit.source], credit.at],
      );
    } else {
      await database.sql(
        `insert into leads_master (full_name, phone_number_normalized, source_id, status, created_at, received_at)
         values ($1, $2, $3, 'New', $4, $5)`,
        [
          `lead ${index}`,
          `+91900000${String(index).padStart(4, '0')}`,
          ids[credit.source],
          credit.at,
          kind === 'lead' ? credit.at : null,
        ],
      );
    }
  }
  return ids;
}

const CASES = [
  {
    name: 'yesterday and today in Asia/Kolkata',
    timeZone: 'Asia/Kolkata',
    now: '2026-11-30T06:30:00Z',
    days: ['2026-11-29', '2026-11-30'],
    credits: [
      { source: 'A', at: '2026-11-30T03:40:00Z' },
      { source: 'A', at: '2026-11-30T03:59:59Z' },
      { source: 'A', at: '2026-11-29T18:30:00Z' }, // 00:00 today
      { source: 'A', at: '2026-11-29T18:29:59Z' }, // 23:59:59 yesterday
      { source: 'A', at: '2026-11-29T10:00:00Z', kind: 'lead_without_received_at' },
      { source: 'B', at: '2026-11-30T05:10:00Z', kind: 'history' },
      { source: 'B', at: '2026-11-28T18:29:00Z' }, // the day before yesterday: left out
      { source: 'B', at: '2026-11-30T18:30:00Z' }, // tomorrow: left out
    ] as Credit[],
  },
  {
    name: 'the day New York repeats 01:00 (DST ends)',
    timeZone: 'America/New_York',
    now: '2026-11-01T20:00:00Z',
    days: ['2026-10-31', '2026-11-01'],
    credits: [
      { source: 'A', at: '2026-11-01T05:30:00Z' }, // 01:30 EDT
      { source: 'A', at: '2026-11-01T06:30:00Z' }, // 01:30 EST
      { source: 'B', at: '2026-10-31T12:00:00Z', kind: 'history' },
    ] as Credit[],
  },
];

describeOnEveryTarget(
  'leads per hour',
  (db) => {
    for (const example of CASES) {
      it(`buckets by local hour: ${example.name}`, async () => {
        const ids = await arrange(db.database, example.credits);
        const now = new Date(example.now);

        const result = await db.repository.leadsPerHour(example.timeZone, now, 2);

        expect(result.timezone).toBe(example.timeZone);
        expect(result.days).toEqual(example.days);
        const inWindow = example.credits.filter((credit) =>
          example.days.includes(localHour(credit.at, example.timeZone).date),
        );
        const withLeads = (['A', 'B'] as const).filter((s) => inWindow.some((c) => c.source === s));
        expect(result.sources.map((source) => source.id)).toEqual(withLeads.map((s) => ids[s]));
        for (const name of withLeads) {
          const source = result.sources.find((entry) => entry.id === ids[name])!;
          const detail = await db.repository.getSource(ids[name], example.timeZone, now, 2);
          for (const [index, date] of example.days.entries()) {
            const hours = Array.from({ length: 24 }, () => 0);
            for (const credit of inWindow.filter((c) => c.source === name)) {
              const local = localHour(credit.at, example.timeZone);
              if (local.date === date) hours[local.hour] += 1;
            }
            const total = hours.reduce((sum, count) => sum + count, 0);
            expect(source.days[index]).toEqual({ date, total, hours });
            expect(detail!.leadsPerDay![index]).toEqual({ date, leads: total });
          }
        }
      });
    }
  },
  { freshFor: 'test', openTimeout: 240_000 },
);
