import { LeadSyncRepository } from '../../src/database/lead-sync.repository';
import { TestDatabase } from './databases';

export const ZONE = 'Asia/Kolkata';

export interface Figures {
  totalLeads: number;
  todaysLeads: number;
  lastLeadAt: string | null;
}

/** The calendar day of `at` in IST, as YYYY-MM-DD. */
function istDay(at: Date): string {
  return new Intl.DateTimeFormat('en-CA', {
    timeZone: ZONE,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(at);
}

/** Every source's figures at `now`, counted in JavaScript from the rows that credit it. */
export async function expectedFigures(
  database: TestDatabase,
  now: Date,
): Promise<Map<number, Figures>> {
  const rows = await database.sql<{ source_id: number; at: Date | null }>(
    `select source_id::int as source_id, coalesce(received_at, created_at) as at
       from leads_master where source_id is not null
     union all
     select source_id::int, received_at from lead_sources_history where source_id is not null`,
  );
  const sources = await database.sql<{ id: number }>('select id::int as id from sources');
  const figures = new Map<number, Figures>(
    sources.map((s) => [s.id, { totalLeads: 0, todaysLeads: 0, lastLeadAt: null }]),
  );
  const today = istDay(now);
  for (const row of rows) {
    const entry = figures.get(row.source_id);
    if (!entry) continue;
    entry.totalLeads += 1;
    if (row.at === null) continue;
    const at = new Date(row.at);
    if (istDay(at) === today) entry.todaysLeads += 1;
    if (entry.lastLeadAt === null || at.toISOString() > entry.lastLeadAt) {
      entry.lastLeadAt = at.toISOString();
    }
  }
  return figures;
}

/** The figures the repository answers (GET /sources' SQL function). */
export async function listedFigures(
  repository: LeadSyncRepository,
  now: Date,
): Promise<Map<number, Figures>> {
  const sources = await repository.listSources(ZONE, now);
  return new Map(
    sources.map((s) => [
      s.id,
      { totalLeads: s.totalLeads, todaysLeads: s.todaysLeads, lastLeadAt: s.lastLeadAt },
    ]),
  );
}

/** Runs the recount (or build) in the database to its end; returns the last step. */
export async function recountToEnd(repository: LeadSyncRepository, now: Date, batchRows = 10000) {
  let step = await repository.recountSourceCounts(ZONE, now, batchRows, true);
  while (!step.done) step = await repository.recountSourceCounts(ZONE, now, batchRows, false);
  return step;
}
