import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { buildFunctionCall } from '../../src/database/drivers/sql-function-call';
import { TestDatabase } from './databases';

/**
 * An HTTP stand-in for PostgREST's RPC endpoint: `POST /rest/v1/rpc/<fn>` with named arguments
 * as a JSON object, authenticated by the service key in `apikey` and `Authorization: Bearer`.
 * It runs the real SQL function on a real test database and answers the way PostgREST does:
 * the function's JSON result with 200, or `{code, message, details, hint}` with an error status.
 */
export class FakePostgrest {
  private server?: Server;
  readonly calls: string[] = [];
  /** When true, answers 503 like PostgREST does when it cannot reach the database. */
  databaseDown = false;

  constructor(
    private readonly database: TestDatabase,
    readonly serviceKey: string,
  ) {}

  /** The base URL, once started. */
  url = '';

  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    const closed = new Promise<void>((resolve) => this.server!.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const match = /^\/rest\/v1\/rpc\/([a-z0-9_]+)$/.exec(req.url ?? '');
    if (req.method !== 'POST' || !match) return send(res, 404, error('PGRST125', 'Invalid path'));
    const key = req.headers.apikey;
    if (key !== this.serviceKey || req.headers.authorization !== `Bearer ${this.serviceKey}`) {
      return send(res, 401, error('PGRST301', 'JWT invalid'));
    }
    if (this.databaseDown) return send(res, 503, error('PGRST001', 'Database client error'));
    const body = await readBody(req);
    let args: Record<string, unknown>;
    try {
      args = body.length ? (JSON.parse(body) as Record<string, unknown>) : {};
    } catch {
      return send(res, 400, error('PGRST102', 'Invalid JSON body'));
    }
    this.calls.push(match[1]);
    try {
      const { text, values } = buildFunctionCall(match[1], args);
      const { rows } = await this.database.query(text, values);
      send(res, 200, rows[0].result ?? null);
    } catch (err) {
      const e = err as { code?: string; message?: string };
      const status = e.code === '42883' ? 404 : e.code?.startsWith('42501') ? 403 : 400;
      send(res, status, error(e.code ?? 'XX000', e.message ?? 'error'));
    }
  }
}

function error(code: string, message: string) {
  return { code, message, details: null, hint: null };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', connection: 'close' });
  res.end(JSON.stringify(body));
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
