import { Agent, request as httpRequest } from 'node:http';

/** One request exactly as the fuzzer built it: no header or body is added behind its back. */
export interface RawRequest {
  method: string;
  /** Path and query as sent on the request line (bytes 0x21-0xFF only, as Node requires). */
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/**
 * A minimal HTTP/1.1 client over a keep-alive agent. Unlike fetch it sends no default
 * content-type, keeps the path byte for byte (invalid percent-encoding included) and reports a
 * connection reset or a hang as an error instead of retrying.
 */
export class RawHttpClient {
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 16 });
  private readonly host: string;
  private readonly port: number;

  constructor(
    baseUrl: string,
    private readonly timeoutMs = 10_000,
  ) {
    const url = new URL(baseUrl);
    this.host = url.hostname;
    this.port = Number(url.port);
  }

  send(request: RawRequest): Promise<RawResponse> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string> = { ...request.headers };
      if (request.body !== undefined) headers['content-length'] = String(request.body.length);
      const req = httpRequest(
        {
          host: this.host,
          port: this.port,
          method: request.method,
          path: request.path,
          headers,
          agent: this.agent,
          timeout: this.timeoutMs,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', reject);
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              text: Buffer.concat(chunks).toString('utf8'),
            }),
          );
        },
      );
      req.on('timeout', () =>
        req.destroy(new Error(`No response within ${this.timeoutMs} ms (a hang)`)),
      );
      req.on('error', reject);
      req.end(request.body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
