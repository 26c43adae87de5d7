/**
 * The supabase driver end to end, through the PostgREST stand-in that runs the real SQL: boot by
 * configuration, the schema-version gate, webhooks, and 503 when the database is unreachable.
 */
import { expect } from '@jest/globals';
import { readJson, WebhookBody } from './support/http';
import { openRepository } from '../src/database/database.module';
import { parseDatabaseConfig } from '../src/config/database.config';
import { LeadSyncRepository } from '../src/database/lead-sync.repository';
import { RunningApp, startApp } from './support/app';
import { freshPhone } from './support/calls';
import { createPgliteDatabase, TestDatabase } from './support/databases';
import { FakePostgrest } from './support/fake-postgrest';

const SERVICE_KEY = 'test-service-role-key-not-a-real-jwt';

async function standIn(migrated: boolean) {
  const { database } = await createPgliteDatabase({ migrated });
  const postgrest = new FakePostgrest(database, SERVICE_KEY);
  const url = await postgrest.start();
  return { database, postgrest, url };
}

describe('supabase driver', () => {
  let database: TestDatabase;
  let postgrest: FakePostgrest;
  let repository: LeadSyncRepository;
  let running: RunningApp;

  beforeAll(async () => {
    let url: string;
    ({ database, postgrest, url } = await standIn(true));
    // The same factory main.ts uses, chosen by configuration alone.
    const config = parseDatabaseConfig({
      SUPABASE_URL: url,
      SUPABASE_SERVICE_ROLE_KEY: SERVICE_KEY,
    });
    expect(config.driver).toBe('supabase');
    repository = await openRepository(config);
    running = await startApp({ repository });
  });
  afterAll(async () => {
    await running?.close();
    await postgrest?.stop();
    await database?.close();
  });

  it('processes a webhook through rpc calls only', async () => {
    const phone = freshPhone();
    postgrest.requests.length = 0;

    const response = await fetch(`${running.url}/webhooks/knowlarity`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ caller_id: phone, callid: `sb-${phone}` }),
    });

    expect(await readJson(response)).toMatchObject({ success: true, outcome: 'lead_created' });
    // Every request the stand-in saw, RPC or not: one ingest call, answered 200, and nothing else.
    expect(postgrest.requests).toEqual([
      { method: 'POST', url: '/rest/v1/rpc/knowlarity_ingest_call', status: 200 },
    ]);
    const leads = await database.sql(
      'select id from leads_master where phone_number_normalized = $1',
      [phone],
    );
    expect(leads).toHaveLength(1);
  });

  it('answers 503 storage_unavailable while the database is unreachable, and recovers', async () => {
    const body = JSON.stringify({ caller_id: freshPhone(), callid: `down-${Date.now()}` });
    const send = () =>
      fetch(`${running.url}/webhooks/knowlarity`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });

    postgrest.databaseDown = true;
    const during = await send();
    postgrest.databaseDown = false;
    const after = await send();

    expect(during.status).toBe(503);
    expect(await readJson(during)).toEqual({
      success: false,
      code: 'storage_unavailable',
      message: expect.any(String),
    });
    expect(after.status).toBe(200);
    expect((await readJson<WebhookBody>(after)).outcome).toBe('lead_created');
  });

  it('refuses to start on a database whose schema is behind, saying how to migrate', async () => {
    const behind = await standIn(false);
    try {
      const config = parseDatabaseConfig({
        SUPABASE_URL: behind.url,
        SUPABASE_SERVICE_ROLE_KEY: SERVICE_KEY,
      });

      await expect(openRepository(config)).rejects.toThrow(
        /schema is at version 0.*npm run db:migrate/s,
      );
    } finally {
      await behind.postgrest.stop();
      await behind.database.close();
    }
  });

  it('treats a wrong service key as an error, not as an empty result', async () => {
    const config = parseDatabaseConfig({
      SUPABASE_URL: postgrest.url,
      SUPABASE_SERVICE_ROLE_KEY: 'wrong-key',
    });

    await expect(openRepository(config)).rejects.toMatchObject({ code: 'storage_error' });
  });
});
