/**
 * GET /leads?phone= on a database of 1,000,000 leads, 50 concurrent clients.
 *
 *   npm run bench:lookup   (tsc -p bench/tsconfig.json && node dist-bench/bench/lookup.bench.js)
 *
 * Creates a throwaway database on the PostgreSQL server (BENCH_DATABASE_URL, else
 * TEST_DATABASE_URL, else postgres://postgres@127.0.0.1:5432/test), migrates it, bulk-loads the
 * leads with generate_series, starts the real application (createApp, the postgres driver) in a
 * child process, and runs the clients from this one for BENCH_SECONDS (10) after a 2 s warm-up.
 * Every phone is sent in one of the formats callers use, so the normalisation is measured too.
 * First the same look-up runs through the repository alone (the SQL function and the pg pool),
 * to show what the database part costs. Prints p50/p90/p99/max latency, requests per second and
 * the machine's load average (other work on the machine skews any figure), then drops the
 * database.
 *
 * Knobs: BENCH_LEADS (1000000), BENCH_CLIENTS (50), BENCH_SECONDS (10), BENCH_POOL_SIZE (10,
 * the service's DATABASE_POOL_SIZE), BENCH_LOG_LEVEL (warn: per-request info logs off).
 */
import { ChildProcess, fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { join, resolve } from 'node:path';
import { Client, Pool } from 'pg';
import { createApp } from '../src/bootstrap';
import { PostgresRepository } from '../src/database/drivers/postgres.repository';
import { migratePool } from '../src/database/migration-sessions';
import { loadAverage } from './support/report';

const ROOT = resolve(__dirname, '../..');
const SERVER_URL =
  process.env.BENCH_DATABASE_URL ??
  process.env.TEST_DATABASE_URL ??
  'postgres://postgres@127.0.0.1:5432/test';
const LEADS = Number(process.env.BENCH_LEADS ?? 1_000_000);
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 50);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const WARM_UP_SECONDS = 2;
const POOL_SIZE = process.env.BENCH_POOL_SIZE ?? '10';
const API_KEY = `bench-${randomBytes(16).toString('hex')}`;
/** One lead in ten shares its phone with another (the CRM keeps a lead per branch). */
const PHONES = Math.round(LEADS * 0.9);
const FIRST_PHONE = 7_000_000_000;

async function main(): Promise<void> {
  if (process.argv[2] === 'serve') return serve();

  const name = `kls_bench_${randomBytes(4).toString('hex')}`;
  const url = new URL(SERVER_URL);
  await admin(`create database ${name}`);
  url.pathname = `/${name}`;
  let server: ChildProcess | undefined;
  try {
    const databaseUrl = url.toString();
    await load(databaseUrl);
    report(await throughRepository(databaseUrl));
    const started = await startServer(databaseUrl);
    server = started.child;
    report(await overHttp(started.port));
  } finally {
    server?.kill('SIGTERM');
    await admin(`drop database if exists ${name} with (force)`);
  }
}

async function admin(sql: string): Promise<void> {
  const client = new Client({ connectionString: SERVER_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** Migrates through the service's own migrator, then loads the leads in one statement. */
async function load(databaseUrl: string): Promise<void> {
  // The compiled migrator looks for supabase/migrations two levels above itself.
  cpSync(join(ROOT, 'supabase/migrations'), join(__dirname, '../supabase/migrations'), {
    recursive: true,
  });
  const pool = new Pool({ connectionString: databaseUrl, max: 1 });
  const started = Date.now();
  try {
    await migratePool(pool);
    await pool.query(`insert into sources (display_name, source_type)
      select 'Bench source ' || g, 'knowlarity_call' from generate_series(1, 5) g`);
    await pool.query(
      `insert into leads_master (full_name, phone_number_normalized, source_id, status, external_lead_id,
                                 received_at, created_at, updated_at)
       select 'Lead ' || g, ($2::bigint + g % $3)::text, 1 + g % 5,
              (array['New', 'Contacted', 'Qualified', 'Lost'])[1 + g % 4], 'bench-' || g,
              t, t, t
       from generate_series(1, $1::integer) g,
            lateral (select now() - make_interval(secs => ($1::integer - g) * 30) as t) times`,
      [LEADS, FIRST_PHONE, PHONES],
    );
    await pool.query('vacuum analyze leads_master');
    await pool.query('analyze sources');
  } finally {
    await pool.end();
  }
  console.log(`Loaded ${LEADS.toLocaleString('en')} leads in ${(Date.now() - started) / 1000} s`);
}

/** The real application in its own process, so the clients do not share its event loop. */
function startServer(databaseUrl: string): Promise<{ child: ChildProcess; port: number }> {
  const child = fork(__filename, ['serve'], {
    env: {
      ...process.env,
      NODE_ENV: 'development',
      DATABASE_DRIVER: 'postgres',
      DATABASE_URL: databaseUrl,
      DATABASE_POOL_SIZE: POOL_SIZE,
      INTERNAL_API_KEYS: API_KEY,
      LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn',
      SOURCE_COUNTS_REFRESH_SECONDS: '0',
    },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  return new Promise((resolvePort, reject) => {
    child.once('message', (message: { port: number }) =>
      resolvePort({ child, port: message.port }),
    );
    child.once('exit', (code) => reject(new Error(`The server exited with code ${code}`)));
  });
}

async function serve(): Promise<void> {
  const app = await createApp();
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as { port: number };
  process.send?.({ port });
  process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));
}

/** The ways callers write one number; the API must find the same leads for all of them. */
function format(phone: string, variant: number): string {
  switch (variant % 4) {
    case 0:
      return phone;
    case 1:
      return `+91 ${phone.slice(0, 5)}-${phone.slice(5)}`;
    case 2:
      return `0${phone.slice(0, 5)} ${phone.slice(5)}`;
    default:
      return `0091${phone}`;
  }
}

interface Results {
  label: string;
  latenciesMs: number[];
  errors: number;
  notFound: number;
  seconds: number;
}

type Outcome = 'found' | 'not_found' | 'error';

/**
 * CLIENTS closed loops calling `once` back to back: a warm-up, then SECONDS measured. Loops are
 * bounded by the clock, so the run always ends.
 */
async function measure(label: string, once: (phone: string, variant: number) => Promise<Outcome>) {
  const latenciesMs: number[] = [];
  let errors = 0;
  let notFound = 0;
  let measuring = false;
  const end = Date.now() + (WARM_UP_SECONDS + SECONDS) * 1000;
  const timer = setTimeout(() => (measuring = true), WARM_UP_SECONDS * 1000);
  const loop = async (id: number) => {
    for (let i = 0; Date.now() < end; i += 1) {
      const phone = String(FIRST_PHONE + Math.floor(Math.random() * PHONES));
      const started = process.hrtime.bigint();
      const outcome = await once(phone, id + i).catch((): Outcome => 'error');
      const elapsed = Number(process.hrtime.bigint() - started) / 1e6;
      if (!measuring) continue;
      latenciesMs.push(elapsed);
      if (outcome === 'error') errors += 1;
      if (outcome === 'not_found') notFound += 1;
    }
  };
  const began = Date.now();
  await Promise.all(Array.from({ length: CLIENTS }, (_, id) => loop(id)));
  clearTimeout(timer);
  const seconds = (Date.now() - began) / 1000 - WARM_UP_SECONDS;
  return { label, latenciesMs, errors, notFound, seconds } satisfies Results;
}

/** GET /leads?phone= over HTTP keep-alive connections, one per client. */
async function overHttp(port: number): Promise<Results> {
  const agent = new Agent({ keepAlive: true, maxSockets: CLIENTS });
  const get = (path: string) =>
    new Promise<{ status: number; body: string }>((resolveReply, reject) => {
      const req = request(
        { host: '127.0.0.1', port, path, agent, headers: { 'x-api-key': API_KEY } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () =>
            resolveReply({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }),
          );
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end();
    });
  try {
    return await measure('GET /leads?phone= (HTTP, the whole service)', async (phone, variant) => {
      const reply = await get(`/leads?phone=${encodeURIComponent(format(phone, variant))}`);
      if (reply.status !== 200) return 'error';
      return reply.body.includes(`"phone":"${phone}"`) ? 'found' : 'not_found';
    });
  } finally {
    agent.destroy();
  }
}

/** The same look-up through the repository alone: the SQL function and the pg pool. */
async function throughRepository(databaseUrl: string): Promise<Results> {
  const repository = PostgresRepository.connect(databaseUrl, Number(POOL_SIZE));
  try {
    return await measure('findLeads (repository only, no HTTP)', async (phone) => {
      const page = await repository.findLeads({ phone, limit: 50 });
      return page.items.length > 0 ? 'found' : 'not_found';
    });
  } finally {
    await repository.close();
  }
}

function report({ label, latenciesMs, errors, notFound, seconds }: Results): void {
  const sorted = Float64Array.from(latenciesMs).sort();
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  const ms = (value: number) => `${value.toFixed(2)} ms`;
  console.log(
    [
      `${label}: ${LEADS.toLocaleString('en')} leads, ${CLIENTS} clients, ${seconds.toFixed(1)} s`,
      `  requests ${sorted.length} (${(sorted.length / seconds).toFixed(0)}/s), errors ${errors}, not found ${notFound}`,
      `  p50 ${ms(at(0.5))}  p90 ${ms(at(0.9))}  p99 ${ms(at(0.99))}  max ${ms(sorted[sorted.length - 1])}`,
      `  load average ${loadAverage()}`,
    ].join('\n'),
  );
}

main().catch((error: Error) => {
  console.error(error);
  process.exitCode = 1;
});
