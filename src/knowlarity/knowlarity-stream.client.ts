import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { streamConfig } from '../config';
import { KnowlarityCredentialsError } from './knowlarity-api.errors';

/** One server-sent event, as the SSE protocol assembled it (multi-line `data:` joined by \n). */
export interface StreamMessage {
  id: string | undefined;
  event: string | undefined;
  data: string;
}

/** Why an open stream ended (every end is followed by a reconnect unless credentials failed). */
export type StreamEndReason = 'closed' | 'silent' | 'aborted' | 'network' | 'http_status';

/** The stream ended or could not be opened; retried with back-off by the consumer. */
export class StreamEndedError extends Error {
  constructor(
    readonly reason: StreamEndReason,
    message: string,
    readonly status: number | null = null,
  ) {
    super(message);
  }
}

export interface StreamHandlers {
  /** The server answered 200 with an event stream. */
  onOpen(): void;
  onMessage(message: StreamMessage): void;
  /** A line the SSE parser could not read (counted, never fatal). */
  onInvalidLine(): void;
  /** The server's `retry:` field: its wish for the reconnect delay. */
  onRetry(ms: number): void;
}

export interface OpenStreamOptions {
  /** Sent as `Last-Event-ID` when the server gave ids. */
  lastEventId?: string;
  /** Aborting it closes the stream (the returned promise then rejects with reason `aborted`). */
  signal: AbortSignal;
}

/**
 * Knowlarity's live event stream (docs/knowlarity.md §3) over one HTTP connection. The SSE
 * framing is eventsource-parser's (any chunk split, comments, `retry:`, ids); the connection, the
 * silence watchdog and the errors are ours, so the consumer decides about reconnects and leases.
 */
@Injectable()
export class KnowlarityStreamClient {
  constructor(@Inject(streamConfig.KEY) private readonly config: ConfigType<typeof streamConfig>) {}

  get configured(): boolean {
    return this.config.url !== null;
  }

  /**
   * Opens the stream and reads it until it ends; never resolves normally. Rejects with
   * {@link KnowlarityCredentialsError} on 401/403 (retrying cannot help) and with
   * {@link StreamEndedError} for everything else.
   */
  async open(handlers: StreamHandlers, options: OpenStreamOptions): Promise<never> {
    if (!this.config.url) throw new KnowlarityCredentialsError(null);
    const watchdog = new AbortController();
    const signal = AbortSignal.any([options.signal, watchdog.signal]);
    let silent = false;
    let timer: NodeJS.Timeout | undefined;
    const alive = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        silent = true;
        watchdog.abort();
      }, this.config.silenceTimeoutMs);
    };
    const ended = (error: unknown): StreamEndedError => {
      if (error instanceof StreamEndedError) return error;
      if (silent)
        return new StreamEndedError(
          'silent',
          `no event or heartbeat for ${this.config.silenceTimeoutMs} ms`,
        );
      if (options.signal.aborted) return new StreamEndedError('aborted', 'closed by the service');
      return new StreamEndedError('network', `network error: ${(error as Error).message}`);
    };
    try {
      alive();
      const response = await fetch(this.config.url, {
        headers: {
          accept: 'text/event-stream',
          'cache-control': 'no-cache',
          ...(options.lastEventId ? { 'last-event-id': options.lastEventId } : {}),
        },
        signal,
      });
      if (response.status === 401 || response.status === 403) {
        await response.body?.cancel().catch(() => undefined);
        throw new KnowlarityCredentialsError(
          response.status,
          `Knowlarity refused the stream (HTTP ${response.status}): check KNOWLARITY_SR_API_KEY or KNOWLARITY_STREAM_URL.`,
        );
      }
      if (response.status !== 200 || !response.body) {
        await response.body?.cancel().catch(() => undefined);
        throw new StreamEndedError('http_status', `HTTP ${response.status}`, response.status);
      }
      handlers.onOpen();
      alive();
      await readEvents(response.body, handlers, alive);
      throw new StreamEndedError('closed', 'the server closed the stream');
    } catch (error) {
      if (error instanceof KnowlarityCredentialsError) throw error;
      throw ended(error);
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Feeds the body to the SSE reader, calling `alive` on every chunk (heartbeats included). */
async function readEvents(
  body: ReadableStream<Uint8Array>,
  handlers: StreamHandlers,
  alive: () => void,
): Promise<void> {
  const reader = createSseReader(handlers);
  // An explicit reader rather than `for await`: with the DOM's ReadableStream type in scope
  // (browser-test typings), the stream is not declared async-iterable.
  const chunks = body.getReader();
  for (;;) {
    const { done, value } = await chunks.read();
    if (done) break;
    alive();
    reader.feed(value);
  }
}

/**
 * Bytes in, events out: UTF-8 decoding that keeps a character split across chunks, then the SSE
 * parser. Exported for the framing tests (every split of a sample must give the same events).
 */
export function createSseReader(handlers: Omit<StreamHandlers, 'onOpen'>): {
  feed(chunk: Uint8Array): void;
} {
  const decoder = new TextDecoder();
  const parser = createParser({
    onEvent: (event: EventSourceMessage) =>
      handlers.onMessage({ id: event.id, event: event.event, data: event.data }),
    onRetry: (ms: number) => handlers.onRetry(ms),
    onError: () => handlers.onInvalidLine(),
  });
  return { feed: (chunk) => parser.feed(decoder.decode(chunk, { stream: true })) };
}
