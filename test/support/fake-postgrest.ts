import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { TestDatabase } from './databases';

/** One HTTP request the stand-in received, whatever it was, and the status it answered. */
export interface ReceivedRequest {
  method: string;
  url: string;
  status: number;
}

/** A function's input parameters as `pg_proc` describes them. */
interface FunctionSignature {
  params: { name: string; type: string; required: boolean }[];
  returnsSet: boolean;
  returnsVoid: boolean;
}

/** PostgREST's error body. */
interface PostgrestError {
  code: string;
  message: string;
  details: string | null;
  hint: string | null;
}

/**
 * An HTTP stand-in for PostgREST's RPC endpoint: `POST /rest/v1/rpc/<fn>` with named arguments
 * as a JSON object, authenticated by the service key in `apikey` and `Authorization: Bearer`.
 * Like PostgREST, and independently of the service's own SQL drivers, it finds the function in
 * `pg_proc` by its name and the argument names sent, types each argument by the function's
 * signature (`json_to_record`), calls it with named arguments on a real test database, and answers
 * with the function's JSON result (200) or `{code, message, details, hint}` and an error status.
 * Every request it receives is recorded in `requests`, RPC or not, authorised or not.
 */
export class FakePostgrest {
  private server?: Server;
  readonly requests: ReceivedRequest[] = [];
  /** When true, answers 503 like PostgREST does when it cannot reach the database. */
  databaseDown = false;

  constructor(
    private readonly database: TestDatabase,
    readonly serviceKey: string,
  ) {}

  /** The base URL, once started. */
  url = '';

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      const entry: ReceivedRequest = { method: req.method ?? '', url: req.url ?? '', status: 0 };
      this.requests.push(entry);
      void this.handle(req).then(({ status, body }) => {
        entry.status = status;
        send(res, status, body);
      });
    });
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

  private async handle(req: IncomingMessage): Promise<{ status: number; body: string }> {
    const body = await readBody(req);
    const match = /^\/rest\/v1\/rpc\/([a-z0-9_]+)$/.exec(req.url ?? '');
    if (req.method !== 'POST' || !match) return failure(404, 'PGRST125', 'Invalid path');
    const key = req.headers.apikey;
    if (key !== this.serviceKey || req.headers.authorization !== `Bearer ${this.serviceKey}`) {
      return failure(401, 'PGRST301', 'JWT invalid');
    }
    if (this.databaseDown) return failure(503, 'PGRST001', 'Database client error');
    let args: unknown;
    try {
      args = body.length ? JSON.parse(body) : {};
    } catch {
      return failure(400, 'PGRST102', 'Invalid JSON body');
    }
    if (typeof args !== 'object' || args === null || Array.isArray(args)) {
      return failure(400, 'PGRST102', 'The body must be a JSON object of named arguments');
    }
    try {
      return await this.call(match[1], body.length ? body : '{}', Object.keys(args));
    } catch (err) {
      const e = err as { code?: string; message?: string };
      const code = e.code ?? 'XX000';
      return failure(statusOfSqlState(code), code, e.message ?? 'error');
    }
  }

  /** Finds the overload the argument names select, as PostgREST does, and calls it. */
  private async call(
    fn: string,
    json: string,
    keys: string[],
  ): Promise<{ status: number; body: string }> {
    const candidates = (await this.signatures(fn)).filter(
      (signature) =>
        keys.every((key) => signature.params.some((param) => param.name === key)) &&
        signature.params.every((param) => !param.required || keys.includes(param.name)),
    );
    if (candidates.length === 0) {
      return failure(
        404,
        'PGRST202',
        `Could not find the function public.${fn}(${[...keys].sort().join(', ')}) in the schema cache`,
      );
    }
    if (candidates.length > 1) {
      return failure(300, 'PGRST203', `Could not choose the best candidate function for ${fn}`);
    }
    const [signature] = candidates;
    if (signature.returnsSet) {
      return failure(501, 'STAND_IN', 'The stand-in does not serve set-returning functions');
    }
    const passed = signature.params.filter((param) => keys.includes(param.name));
    const columns = passed.map((param) => `${quoteIdent(param.name)} ${param.type}`).join(', ');
    const namedArgs = passed
      .map((param) => `${quoteIdent(param.name)} := _args.${quoteIdent(param.name)}`)
      .join(', ');
    const invocation = `public.${quoteIdent(fn)}(${namedArgs})`;
    const from = passed.length ? ` from json_to_record($1::json) as _args(${columns})` : '';
    const text = signature.returnsVoid
      ? `select ${invocation}, 'null' as body${from}`
      : `select coalesce(to_json(${invocation})::text, 'null') as body${from}`;
    const { rows } = await this.database.query(text, passed.length ? [json] : []);
    return { status: 200, body: String(rows[0].body) };
  }

  /** Every function named `fn` in the public schema, with its input parameters. */
  private async signatures(fn: string): Promise<FunctionSignature[]> {
    const { rows } = await this.database.query(
      `select p.pronargdefaults::int as defaults, p.proretset as returns_set,
              p.prorettype = 'void'::regtype as returns_void,
              coalesce(p.proargnames::text[], '{}') as names,
              coalesce(p.proargmodes::text[], '{}') as modes,
              array(select format_type(a.type, null)
                    from unnest(coalesce(p.proallargtypes, p.proargtypes::oid[]))
                         with ordinality as a(type, position)
                    order by a.position) as types
       from pg_proc p join pg_namespace n on n.oid = p.pronamespace
       where n.nspname = 'public' and p.proname = $1`,
      [fn],
    );
    return rows.map((row) => {
      const names = row.names as string[];
      const modes = row.modes as string[];
      const inputs = (row.types as string[])
        .map((type, index) => ({ type, name: names[index] ?? '', mode: modes[index] ?? 'i' }))
        .filter((param) => ['i', 'b', 'v'].includes(param.mode));
      // The last `pronargdefaults` input parameters have defaults and may be left out.
      const firstOptional = inputs.length - Number(row.defaults);
      return {
        params: inputs.map((param, index) => ({
          name: param.name,
          type: param.type,
          required: index < firstOptional,
        })),
        returnsSet: row.returns_set === true,
        returnsVoid: row.returns_void === true,
      };
    });
  }
}

/** The HTTP status PostgREST gives a SQLSTATE (its documented mapping, abridged). */
function statusOfSqlState(code: string): number {
  if (code === '42883' || code === '42P01') return 404;
  if (code === '42501') return 403;
  if (code === '23503' || code === '23505') return 409;
  if (/^(08|53)/.test(code)) return 503;
  if (/^(09|0L|0P|25|28|2D|38|39|3B|40|54|55|57|58|XX)/.test(code)) return 500;
  return 400;
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

function failure(status: number, code: string, message: string): { status: number; body: string } {
  const error: PostgrestError = { code, message, details: null, hint: null };
  return { status, body: JSON.stringify(error) };
}

function send(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', connection: 'close' });
  res.end(body);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
