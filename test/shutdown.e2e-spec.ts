/**
 * Graceful shutdown, against the built service as a real process on the PostgreSQL server:
 * SIGTERM in the middle of a burst of 200 concurrent deliveries loses none. Every delivery that
 * got a 200 is in the database; every one that is in the database got a 200 or, having got no
 * answer, is safe to re-send (it comes back as a duplicate of the same call).
 */
import { createServerDatabase, describeWithServer, TestDatabase } from './support/databases';
import { ensureBuilt, ServiceProcess, startServiceProcess } from './support/service-process';

const start = (database: TestDatabase): Promise<ServiceProcess> =>
  startServiceProcess({
    DATABASE_URL: database.url!,
    DATABASE_POOL_SIZE: '20',
    SHUTDOWN_TIMEOUT_SECONDS: '20',
  });

type Result = { callId: string; body: string; status: number | 'no answer' };

function deliver(url: string, callId: string, phone: string): Promise<Result> {
  const body = JSON.stringify({ caller_id: `+91${phone}`, callid: callId });
  return fetch(`${url}/webhooks/knowlarity`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  }).then(
    (response) => ({ callId, body, status: response.status }),
    () => ({ callId, body, status: 'no answer' as const }),
  );
}

describeWithServer('graceful shutdown (server)', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    ensureBuilt();
    ({ database } = await createServerDatabase());
  });
  afterAll(async () => database?.close());

  it('SIGTERM in a burst of 200 concurrent deliveries loses none', async () => {
    const { child, url, exited } = await start(database);
    let answered = 0;
    // 200 concurrent senders, staggered over ~2 s: when SIGTERM lands, some deliveries are
    // answered, some in flight, and some not sent yet.
    const burst = Array.from({ length: 200 }, async (_, i) => {
      await new Promise((resolve) => setTimeout(resolve, i * 10));
      return deliver(url, `shutdown-${i}`, `97${String(i).padStart(8, '0')}`).then((result) => {
        answered += 1;
        // Mid-burst: some deliveries answered, the rest in flight or not yet sent.
        if (answered === 40) child.kill('SIGTERM');
        return result;
      });
    });

    const results = await Promise.all(burst);
    const [exitCode, signal] = await exited;
    const stored = new Set(
      (
        await database.sql<{ call_id: string }>(
          "select call_id from knowlarity_calls where call_id like 'shutdown-%'",
        )
      ).map((row) => row.call_id),
    );

    const ok = results.filter((r) => r.status === 200);
    const notOk = results.filter((r) => r.status !== 200);
    // A clean shutdown ends by re-raising SIGTERM (no forced exit after the timeout).
    expect({ exitCode, signal }).toEqual({ exitCode: null, signal: 'SIGTERM' });
    // The signal landed mid-burst: the first 40 were answered 200, and some of the 200
    // deliveries were refused or never answered.
    expect(ok.length).toBeGreaterThanOrEqual(40);
    expect(notOk.length).toBeGreaterThan(0);
    // Every 200 is in the database.
    expect(ok.filter((r) => !stored.has(r.callId))).toEqual([]);
    // Anything else is a clean refusal or no answer at all: never a 5xx other than 503.
    expect(notOk.filter((r) => r.status !== 'no answer' && r.status !== 503)).toEqual([]);
    // Every stored delivery got a 200 or no answer: a 503 (retry later) was never stored.
    expect(
      results.filter((r) => stored.has(r.callId) && r.status !== 200 && r.status !== 'no answer'),
    ).toEqual([]);

    // Re-sending everything that got no 200 to a new instance: each is created once or
    // recognised as the same call, so the sender's retry loses nothing and doubles nothing.
    const restarted = await start(database);
    try {
      const retried = await Promise.all(
        notOk.map(async (r) => {
          const response = await fetch(`${restarted.url}/webhooks/knowlarity`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: r.body,
          });
          return {
            callId: r.callId,
            outcome: ((await response.json()) as { outcome: string }).outcome,
          };
        }),
      );
      for (const retry of retried) {
        expect(retry.outcome).toBe(stored.has(retry.callId) ? 'duplicate_call' : 'lead_created');
      }
      const [counts] = await database.sql<{ calls: number; leads: number }>(
        `select (select count(*)::int from knowlarity_calls where call_id like 'shutdown-%') as calls,
                (select count(*)::int from leads_master where phone_number_normalized like '97%') as leads`,
      );
      expect(counts).toEqual({ calls: 200, leads: 200 });
    } finally {
      restarted.child.kill('SIGTERM');
      await restarted.exited;
    }
  });
});
