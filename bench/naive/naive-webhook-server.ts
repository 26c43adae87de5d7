/**
 * The naive baseline the service is compared with: the check-then-insert webhook handler most
 * integrations start as, on Fastify + pg. Per delivery: select the source; select the phone's
 * leads; insert a lead or a history row; call an increment function on the source's counters.
 * No transaction, no lock, no call row, no delivery row. It decodes the Hook API's shapes with the
 * service's own normaliser, so both sides do the same parsing work.
 *
 * Run by bench/service.bench.ts as its own process (like the service):
 *   PORT=... DATABASE_URL=... POOL_SIZE=10 KNOWLARITY_NUMBER_SOURCES=... node dist-bench/bench/naive/naive-webhook-server.js
 * The database holds the service's migrations plus NAIVE_SCHEMA (the increment function).
 */
import Fastify, { FastifyReply } from 'fastify';
import { Pool } from 'pg';
import { parseIngestConfig } from '../../src/config/ingest.config';
import { normalizeCall, parseFormOrQuery } from '../../src/knowlarity';

/** The counter update a CRM screen reads: one row per source, written by every new credit. */
export const NAIVE_SCHEMA = `
create or replace function naive_increment_source(p_source_id bigint) returns void
language sql as $$
  update sources set total_leads_count = total_leads_count + 1,
                     todays_leads_count = todays_leads_count + 1
  where id = p_source_id
$$;`;

const NORMALIZE = { defaultCountry: 'IN', timezone: 'Asia/Kolkata' };

async function main(): Promise<void> {
  const env = process.env;
  const rules = parseIngestConfig(env).rules;
  const pool = new Pool({ connectionString: env.DATABASE_URL, max: Number(env.POOL_SIZE ?? 10) });
  const app = Fastify({ logger: false });
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string' },
    (_request, body, done) => done(null, parseFormOrQuery(body as string)),
  );

  const handle = async (fields: unknown) => {
    const call = normalizeCall(fields, NORMALIZE);
    const sourceName =
      (call.srNumber && rules.numberSources[call.srNumber]) || rules.defaultSource.displayName;
    const sourceId = await findOrCreateSource(pool, sourceName, rules.defaultSource.sourceType);
    const { rows: leads } = await pool.query<{ id: string; source_id: string }>(
      'select id, source_id from leads_master where phone_number_normalized = $1 order by created_at desc, id desc',
      [call.customerPhone],
    );
    if (leads.length === 0) {
      await pool.query(
        `insert into leads_master (full_name, phone_number_normalized, source_id, external_lead_id, status, raw_payload, received_at)
         values ($1, $2, $3, $4, 'New', $5, $6)`,
        [
          `Knowlarity Lead ${call.customerPhone}`,
          call.customerPhone,
          sourceId,
          call.callId,
          JSON.stringify(fields),
          call.startedAt,
        ],
      );
      await pool.query('select naive_increment_source($1)', [sourceId]);
      return 'lead_created';
    }
    if (leads.some((lead) => Number(lead.source_id) === sourceId)) return 'same_source_duplicate';
    const { rows: credited } = await pool.query(
      'select 1 from lead_sources_history where lead_id = any($1::bigint[]) and source_id = $2 limit 1',
      [leads.map((lead) => lead.id), sourceId],
    );
    if (credited.length > 0) return 'same_source_duplicate';
    await pool.query(
      `insert into lead_sources_history (lead_id, source_id, external_id, raw_payload, received_at)
       values ($1, $2, $3, $4, $5)`,
      [leads[0].id, sourceId, call.callId, JSON.stringify(fields), call.startedAt],
    );
    await pool.query('select naive_increment_source($1)', [sourceId]);
    return 'cross_source_duplicate';
  };

  const route = async (fields: unknown, reply: FastifyReply) => {
    try {
      return { success: true, outcome: await handle(fields) };
    } catch (error) {
      void reply.code(500);
      return { success: false, code: 'error', message: (error as Error).message };
    }
  };
  app.get('/webhooks/knowlarity/*', async (request, reply) => route(request.query, reply));
  app.post('/webhooks/knowlarity/*', async (request, reply) => route(request.body, reply));
  app.get('/health/ready', async () => ({ status: 'ok' }));
  await app.listen({ port: Number(env.PORT), host: '127.0.0.1' });
  process.on('SIGTERM', () => {
    void app.close().then(() => pool.end());
  });
}

async function findOrCreateSource(pool: Pool, name: string, type: string): Promise<number> {
  const select = 'select id from sources where display_name = $1 and source_type = $2 limit 1';
  const { rows } = await pool.query<{ id: string }>(select, [name, type]);
  if (rows.length > 0) return Number(rows[0].id);
  await pool.query(
    'insert into sources (display_name, source_type) values ($1, $2) on conflict do nothing',
    [name, type],
  );
  return Number((await pool.query<{ id: string }>(select, [name, type])).rows[0].id);
}

// Imported by the bench for NAIVE_SCHEMA; runs only as its own process.
if (require.main === module) void main();
