/**
 * Chaos, on the PostgreSQL server with the built service as a real process: 5,000 simulated
 * calls arrive as webhooks (10% dropped, 10% duplicated, all reordered) while the test kills the
 * service's database connections at random moments and SIGKILLs the service mid-stream. Then one
 * poll runs. Exactly one call row per call, the leads and history rows the CRM rules imply, exact
 * counts, and no 5xx but 503 during outages.
 */
import { Client } from 'pg';
import { generateCalls, mulberry32 } from '../../tools/simulator/call-generator';
import { KnowlaritySimulator } from '../../tools/simulator/simulator-server';
import { planWebhookDeliveries, PlannedWebhook } from '../../tools/simulator/webhook-sender';
import { expectedCrmRows } from '../support/crm-rules';
import {
  createServerDatabase,
  describeWithServer,
  serverUrl,
  TestDatabase,
} from '../support/databases';
import { ensureBuilt, ServiceProcess, startServiceProcess } from '../support/service-process';

const CALLS = 5000;
const CONCURRENCY = 32;
const API_KEY = 'internal-key-for-chaos-tests-01';
const META_SR = '+919600000302';
const sourceOf = (sr: string) => (sr === META_SR ? 'Meta' : 'Knowlarity');

type Outcome = number | 'no answer';

describeWithServer('chaos (server)', () => {
  let database: TestDatabase;
  let simulator: KnowlaritySimulator;
  let admin: Client;
  let service: ServiceProcess | undefined;

  beforeAll(async () => {
    ensureBuilt();
    ({ database } = await createServerDatabase());
    simulator = new KnowlaritySimulator({ maxPageSize: 1000 });
    await simulator.start();
    admin = new Client({ connectionString: serverUrl });
    await admin.connect();
  });
  afterAll(async () => {
    service?.child.kill('SIGKILL');
    await admin?.end();
    await simulator?.stop();
    await database?.close();
  });

  const start = () =>
    startServiceProcess(
      {
        DATABASE_URL: database.url!,
        DATABASE_POOL_SIZE: '16',
        INTERNAL_API_KEYS: API_KEY,
        WEBHOOK_RATE_LIMIT_PER_MINUTE: '1000000',
        KNOWLARITY_NUMBER_SOURCES: `${META_SR}=Meta`,
        KNOWLARITY_API_KEY: simulator.apiKey,
        KNOWLARITY_SR_API_KEY: simulator.srApiKey,
        KNOWLARITY_BASE_URL: simulator.baseUrl,
        KNOWLARITY_PAGE_SIZE: '1000',
        KNOWLARITY_POLL_ENABLED: 'false',
        KNOWLARITY_POLL_START: new Date(Date.now() - 7 * 3600_000).toISOString(),
      },
      // The restart boots (and checks every migration) while connections are being cut.
      { readyTimeoutMs: 60_000 },
    );

  /** Sends one planned webhook to whichever service is up now; never throws. */
  async function send(request: PlannedWebhook): Promise<Outcome> {
    const target = new URL(request.url);
    const base = new URL(service!.url);
    target.host = base.host;
    try {
      const response = await fetch(target, {
        method: request.method,
        headers: request.headers,
        body: request.body,
        signal: AbortSignal.timeout(10_000),
      });
      await response.arrayBuffer();
      return response.status;
    } catch {
      return 'no answer';
    }
  }

  it('leaves exactly one call row per call and exactly the implied leads', async () => {
    const records = generateCalls({
      count: CALLS,
      seed: 99,
      from: new Date(Date.now() - 6 * 3600_000),
      to: new Date(Date.now() - 10 * 60_000),
      phonePoolSize: 1500,
    });
    simulator.setCalls(records);
    service = await start();
    const plan = planWebhookDeliveries(records, {
      url: `${service.url}/webhooks/knowlarity`,
      dropFraction: 0.1,
      duplicateFraction: 0.1,
      shuffle: true,
      seed: 5,
    });

    const outcomes: Outcome[] = [];
    let next = 0;
    let restarted = false;
    const random = mulberry32(17);
    let chaos = true;
    let booting = false;
    // (a) Cut the service's database connections at random moments.
    const cutter = (async () => {
      let cuts = 0;
      while (chaos) {
        await new Promise((resolve) => setTimeout(resolve, 150 + random() * 400));
        if (!chaos) break;
        // A replacement service must get through its boot (migrations, schema check) once.
        if (booting) continue;
        await admin.query(
          "select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and application_name = 'knowlarity-lead-sync'",
          [new URL(database.url!).pathname.slice(1)],
        );
        cuts += 1;
      }
      return cuts;
    })();
    // (b) SIGKILL the service when 40% is sent, and start a new one: no graceful anything.
    const restartAt = Math.floor(plan.requests.length * 0.4);
    const worker = async () => {
      while (next < plan.requests.length) {
        const index = next++;
        if (index === restartAt && !restarted) {
          restarted = true;
          service!.child.kill('SIGKILL');
          await service!.exited;
          booting = true;
          service = await start();
          booting = false;
        }
        outcomes.push(await send(plan.requests[index]));
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    chaos = false;
    const cuts = await cutter;

    // (c) One poll repairs whatever was dropped, refused or lost with the killed process.
    const poll = await fetch(`${service.url}/sync/knowlarity/run`, {
      method: 'POST',
      headers: { 'x-api-key': API_KEY },
    });
    const pollBody = (await poll.json()) as { status: string };

    const statuses = new Map<string, number>();
    for (const outcome of outcomes)
      statuses.set(String(outcome), (statuses.get(String(outcome)) ?? 0) + 1);
    expect(cuts).toBeGreaterThan(5);
    expect(restarted).toBe(true);
    expect(outcomes).toHaveLength(plan.requests.length);
    // No 5xx but 503 during outages, and no 4xx: every delivery was well-formed.
    expect(
      [...statuses.keys()].filter((status) => !['200', '503', 'no answer'].includes(status)),
    ).toEqual([]);
    expect(statuses.get('200')).toBeGreaterThan(plan.requests.length * 0.5);
    expect(pollBody.status).toBe('succeeded');

    const expected = expectedCrmRows(records, sourceOf);
    const [rows] = await database.sql<Record<string, number>>(`select
      (select count(*)::int from knowlarity_calls) as calls,
      (select count(distinct call_id)::int from knowlarity_calls) as distinct_calls,
      (select count(*)::int from leads_master) as leads,
      (select count(distinct phone_number_normalized)::int from leads_master) as lead_phones,
      (select count(*)::int from lead_sources_history) as history`);
    expect(rows).toEqual({
      calls: CALLS,
      distinct_calls: CALLS,
      leads: expected.leads,
      lead_phones: expected.leads,
      history: expected.history,
    });
    const stored = await database.sql<{ call_id: string }>('select call_id from knowlarity_calls');
    expect(new Set(stored.map((r) => r.call_id))).toEqual(new Set(records.map((r) => r.uuid)));
    const counts = await database.sql<{ display_name: string; total: number }>(
      `select s.display_name, (c->>'totalLeads')::int as total
       from jsonb_array_elements(knowlarity_source_lead_counts('Asia/Kolkata')) c
       join sources s on s.id = (c->>'sourceId')::bigint`,
    );
    expect(Object.fromEntries(counts.map((c) => [c.display_name, c.total]))).toEqual(
      expected.perSource,
    );
  }, 170_000);
});
