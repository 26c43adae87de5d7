import { Inject, Injectable, Logger } from '@nestjs/common';
import { setTimeout as delay } from 'node:timers/promises';
import { Clock } from '../common/clock';
import { KnowlarityApiConfig, knowlarityApiConfig } from '../config/knowlarity-api.config';
import {
  KnowlarityCredentialsError,
  KnowlarityFailureReason,
  KnowlarityResponseError,
  KnowlarityUnavailableError,
} from './knowlarity-api.errors';
import { formatIst } from './times';
import { isPlainObject } from './values';

/** One call-log request: calls that started within [from, to], `limit` of them from `offset`. */
export interface CallLogPageRequest {
  from: Date;
  to: Date;
  limit: number;
  offset: number;
}

/** One page as Knowlarity returned it; `totalCount` is null when `meta.total_count` is absent. */
export interface CallLogPage {
  records: Record<string, unknown>[];
  totalCount: number | null;
}

/** A page yielded by {@link KnowlarityClient.iterateCallLog}, with the offset it was read at. */
export interface CallLogPageAt extends CallLogPage {
  offset: number;
}

export interface CallLogWindow {
  from: Date;
  to: Date;
  /** Records asked for per request; defaults to KNOWLARITY_PAGE_SIZE. */
  pageSize?: number;
}

const BACKOFF_BASE_MS = 500;
const BACKOFF_CAP_MS = 30_000;
/** A longer Retry-After is cut to this, so one poll never stalls for minutes. */
export const MAX_RETRY_AFTER_MS = 60_000;
/** Far beyond any real day of calls; reaching it means the server never says "done". */
export const MAX_PAGES = 100_000;

type Attempt =
  | { ok: true; page: CallLogPage }
  | {
      ok: false;
      reason: KnowlarityFailureReason;
      status: number | null;
      retryAfterMs: number | null;
      cause?: unknown;
    };

/**
 * The Knowlarity call-log API (docs/knowlarity.md §1), the polling source of truth. Sends the keys the
 * way Knowlarity wants them (raw SR key in `Authorization`, no `Bearer`), retries what can
 * recover (network errors, timeouts, 429, 5xx) with capped exponential back-off and full
 * jitter, and fails fast on rejected keys and on bodies that are not a call-log page.
 *
 * `sleep` and `random` are protected so tests can run the retry schedule without waiting.
 */
@Injectable()
export class KnowlarityClient {
  private readonly logger = new Logger(KnowlarityClient.name);

  constructor(
    @Inject(knowlarityApiConfig.KEY) private readonly config: KnowlarityApiConfig,
    private readonly clock: Clock,
  ) {}

  /**
   * One page of the call log.
   *
   * @throws KnowlarityCredentialsError on 401/403, or when no keys are configured.
   * @throws KnowlarityUnavailableError when every attempt failed with a retryable error.
   * @throws KnowlarityResponseError on any other error status or a malformed body.
   * @throws RangeError for an invalid window, limit or offset (a caller bug).
   */
  async fetchCallLogPage(request: CallLogPageRequest): Promise<CallLogPage> {
    const { apiKey, srApiKey } = this.config;
    if (!apiKey || !srApiKey) {
      throw new KnowlarityCredentialsError(
        null,
        'Knowlarity API keys are not configured (KNOWLARITY_API_KEY, KNOWLARITY_SR_API_KEY).',
      );
    }
    const url = this.callLogUrl(request);
    const headers = {
      'x-api-key': apiKey,
      Authorization: srApiKey,
      channel: this.config.channel,
      Accept: 'application/json',
    };

    const attempts = this.config.maxRetries + 1;
    for (let attempt = 1; ; attempt++) {
      const result = await this.attempt(url, headers);
      if (result.ok) {
        return result.page;
      }
      if (attempt >= attempts) {
        throw new KnowlarityUnavailableError(result.reason, attempt, result.status, result.cause);
      }
      const waitMs = result.retryAfterMs ?? this.backoffMs(attempt);
      this.logger.warn(
        `Knowlarity call-log request failed with ${describeFailure(result)}; ` +
          `retry ${attempt} of ${attempts - 1} in ${waitMs} ms.`,
      );
      await this.sleep(waitMs);
    }
  }

  /**
   * Every page of calls that started within [from, to], in order, until `offset` reaches
   * `total_count` or a page comes back empty. The offset advances by the records actually
   * returned, so a server that caps the page size below `pageSize` is still read completely.
   * Records are passed on as sent: the same call can appear on two pages, so dedupe by call id.
   */
  async *iterateCallLog(window: CallLogWindow): AsyncGenerator<CallLogPageAt, void, undefined> {
    const limit = window.pageSize ?? this.config.pageSize;
    let offset = 0;
    for (let pages = 0; pages < MAX_PAGES; pages++) {
      const page = await this.fetchCallLogPage({ from: window.from, to: window.to, limit, offset });
      if (page.records.length === 0) {
        return;
      }
      yield { records: page.records, offset, totalCount: page.totalCount };
      offset += page.records.length;
      if (page.totalCount !== null && offset >= page.totalCount) {
        return;
      }
    }
    throw new KnowlarityResponseError(
      `The Knowlarity call log did not end after ${MAX_PAGES} pages; stopped reading.`,
    );
  }

  /** Waits between retries; overridden in tests. */
  protected sleep(ms: number): Promise<void> {
    return delay(ms);
  }

  /** A number in [0, 1) for the back-off jitter; overridden in tests. */
  protected random(): number {
    return Math.random();
  }

  /** Full jitter: uniform in [0, min(cap, base · 2^(attempt-1))). */
  private backoffMs(attempt: number): number {
    const ceiling = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** (attempt - 1));
    return Math.floor(this.random() * ceiling);
  }

  private callLogUrl({ from, to, limit, offset }: CallLogPageRequest): URL {
    if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime())) {
      throw new RangeError('The call-log window needs valid dates');
    }
    if (from.getTime() > to.getTime()) {
      throw new RangeError('The call-log window starts after it ends');
    }
    if (!Number.isSafeInteger(limit) || limit < 1) {
      throw new RangeError('The call-log limit must be a positive integer');
    }
    if (!Number.isSafeInteger(offset) || offset < 0) {
      throw new RangeError('The call-log offset must be a non-negative integer');
    }
    const url = new URL(`${this.config.baseUrl}/${this.config.channel}/v1/account/calllog`);
    // URLSearchParams encodes the `+` of `+05:30` as %2B; a literal `+` would read as a space.
    url.search = new URLSearchParams({
      // Knowlarity sends and expects times in IST with an explicit offset.
      start_time: formatIst(from),
      end_time: formatIst(to),
      limit: String(limit),
      offset: String(offset),
    }).toString();
    return url;
  }

  private async attempt(url: URL, headers: Record<string, string>): Promise<Attempt> {
    let response: Response;
    let text: string;
    try {
      // Redirects are not followed: they would carry the keys to another address.
      response = await fetch(url, {
        headers,
        redirect: 'manual',
        signal: AbortSignal.timeout(this.config.timeoutMs),
      });
    } catch (error) {
      return transportFailure(error, null);
    }

    const { status } = response;
    if (status === 401 || status === 403) {
      await discardBody(response);
      throw new KnowlarityCredentialsError(status);
    }
    if (status === 429 || status >= 500) {
      await discardBody(response);
      return {
        ok: false,
        reason: status === 429 ? 'rate_limited' : 'server_error',
        status,
        retryAfterMs: parseRetryAfter(
          response.headers.get('retry-after'),
          this.clock.now().getTime(),
        ),
      };
    }
    if (status < 200 || status >= 300) {
      await discardBody(response);
      throw new KnowlarityResponseError(
        `Knowlarity answered the call-log request with HTTP ${status}.`,
        status,
      );
    }

    try {
      text = await response.text();
    } catch (error) {
      return transportFailure(error, status);
    }
    return { ok: true, page: parsePage(text, status) };
  }
}

/**
 * `Retry-After` as milliseconds to wait: delta seconds or an HTTP-date, capped at
 * {@link MAX_RETRY_AFTER_MS}; null when absent or unreadable (the back-off applies then).
 */
export function parseRetryAfter(value: string | null, nowMs: number): number | null {
  const text = value?.trim();
  if (!text) {
    return null;
  }
  let ms: number;
  if (/^\d+$/.test(text)) {
    ms = Number(text) * 1000;
  } else {
    const at = Date.parse(text);
    if (Number.isNaN(at)) {
      return null;
    }
    ms = Math.max(0, at - nowMs);
  }
  return Math.min(ms, MAX_RETRY_AFTER_MS);
}

/** Reads a 2xx body as `{meta: {...}, objects: [{...}, ...]}` or throws. */
function parsePage(text: string, status: number): CallLogPage {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new KnowlarityResponseError('The Knowlarity call-log response is not JSON.', status);
  }
  if (!isPlainObject(body)) {
    throw new KnowlarityResponseError('The Knowlarity call-log response is not an object.', status);
  }
  if (!isPlainObject(body.meta)) {
    throw new KnowlarityResponseError(
      'The Knowlarity call-log response has no meta object.',
      status,
    );
  }
  const { objects } = body;
  if (!Array.isArray(objects)) {
    throw new KnowlarityResponseError(
      'The Knowlarity call-log response has no objects array.',
      status,
    );
  }
  if (!objects.every(isPlainObject)) {
    throw new KnowlarityResponseError(
      'The Knowlarity call-log response has an entry in objects that is not an object.',
      status,
    );
  }
  return { records: objects, totalCount: parseCount(body.meta.total_count) };
}

function parseCount(value: unknown): number | null {
  const count = typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : value;
  return typeof count === 'number' && Number.isSafeInteger(count) && count >= 0 ? count : null;
}

function transportFailure(error: unknown, status: number | null): Attempt {
  // Checked by name: the DOMException from AbortSignal.timeout may come from another realm.
  const timedOut =
    typeof error === 'object' &&
    error !== null &&
    (error as { name?: unknown }).name === 'TimeoutError';
  return {
    ok: false,
    reason: timedOut ? 'timeout' : 'network',
    status,
    retryAfterMs: null,
    cause: error,
  };
}

/** Frees the connection without reading a body that is not needed (and may hold secrets). */
async function discardBody(response: Response): Promise<void> {
  try {
    await response.body?.cancel();
  } catch {
    // The connection is going away anyway.
  }
}

function describeFailure(failure: Extract<Attempt, { ok: false }>): string {
  switch (failure.reason) {
    case 'timeout':
      return 'a timeout';
    case 'network':
      return 'a network error';
    default:
      return `HTTP ${failure.status}`;
  }
}
