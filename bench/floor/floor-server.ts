/**
 * The floor under the service's CPU per webhook: a server that answers the bench's webhook mix
 * with a reply shaped like the service's, doing nothing but what any Node server must (read the
 * request, parse its JSON or form body, write a JSON answer). Whatever the service costs above
 * this is its own; what this costs, no change to the service can remove.
 *
 *   FLOOR=http|fastify PORT=... node dist-bench/bench/floor/floor-server.js
 *
 * `http`: node:http alone. `fastify`: Fastify with its default JSON parser and a form parser,
 * the router and the reply serialiser (no schema), as a Fastify service starts.
 *
 * FLOOR_HOLD_MS (0): answers wait for a timer that releases every waiting answer at once, this
 * often, as the service's group commit releases a transaction's answers. Without it the floor
 * runs at ten times the service's request rate, where each wake-up and each syscall serves more
 * requests; with it (about the service's p50) the closed loop runs at the service's rate.
 * Run by bench/service.bench.ts's builds phase when BENCH_FLOOR names them.
 */
import { randomUUID } from 'node:crypto';
import { createServer, IncomingMessage, ServerResponse } from 'node:http';
import Fastify from 'fastify';

/** The service's answer to a new lead, same fields and about the same length. */
function answer(fields: unknown): Record<string, unknown> {
  const callId =
    (fields as Record<string, unknown> | undefined)?.uuid ??
    (fields as Record<string, unknown> | undefined)?.callid ??
    randomUUID();
  return {
    success: true,
    outcome: 'lead_created',
    leadId: 1,
    callId,
    assignedTo: null,
    assignmentReason: null,
  };
}

const HOLD_MS = Number(process.env.FLOOR_HOLD_MS ?? 0);
let held: (() => void)[] = [];

/** Runs `send` now, or with every other answer at the next release when answers are held. */
function release(send: () => void): void {
  if (HOLD_MS <= 0) return send();
  if (held.length === 0) setTimeout(releaseHeld, HOLD_MS);
  held.push(send);
}

function releaseHeld(): void {
  const sends = held;
  held = [];
  for (const send of sends) send();
}

function heldAnswer<T>(value: T): Promise<T> {
  return HOLD_MS <= 0
    ? Promise.resolve(value)
    : new Promise((resolve) => release(() => resolve(value)));
}

function formOrJson(contentType: string | undefined, body: string): unknown {
  if (contentType?.startsWith('application/x-www-form-urlencoded'))
    return Object.fromEntries(new URLSearchParams(body));
  return body.length === 0 ? undefined : JSON.parse(body);
}

async function bareHttp(port: number): Promise<void> {
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      let fields: unknown;
      const queryStart = request.url?.indexOf('?') ?? -1;
      try {
        fields =
          request.method === 'GET'
            ? Object.fromEntries(new URLSearchParams(request.url!.slice(queryStart + 1)))
            : formOrJson(request.headers['content-type'], Buffer.concat(chunks).toString('utf8'));
      } catch {
        response.writeHead(400, { 'content-type': 'application/json; charset=utf-8' });
        response.end('{"success":false,"code":"invalid_payload"}');
        return;
      }
      const body = JSON.stringify(answer(fields));
      release(() => {
        response.writeHead(200, {
          'content-type': 'application/json; charset=utf-8',
          'content-length': Buffer.byteLength(body),
        });
        response.end(body);
      });
    });
  });
  server.listen(port, '127.0.0.1');
  process.on('SIGTERM', () => server.close());
}

async function bareFastify(port: number): Promise<void> {
  const app = Fastify({ logger: false });
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string' },
    (_request, body, done) => done(null, Object.fromEntries(new URLSearchParams(body as string))),
  );
  app.get('/webhooks/knowlarity/*', async (request) => heldAnswer(answer(request.query)));
  app.post('/webhooks/knowlarity/*', async (request) => heldAnswer(answer(request.body)));
  app.get('/health/ready', async () => ({ status: 'ok' }));
  await app.listen({ port, host: '127.0.0.1' });
  process.on('SIGTERM', () => void app.close());
}

if (require.main === module) {
  const port = Number(process.env.PORT);
  const kind = process.env.FLOOR ?? 'fastify';
  if (kind === 'http') void bareHttp(port);
  else void bareFastify(port);
}
