import { DomainError } from '../common/domain-error';

/**
 * Knowlarity refused the keys (HTTP 401/403), or none are configured. Retrying cannot help, so
 * this is raised on the first such answer; an operator has to fix KNOWLARITY_API_KEY /
 * KNOWLARITY_SR_API_KEY.
 */
export class KnowlarityCredentialsError extends DomainError {
  constructor(
    /** The HTTP status Knowlarity answered with; null when no request was made. */
    readonly status: number | null,
    message = `Knowlarity rejected the API keys (HTTP ${status ?? 'none'}): check KNOWLARITY_API_KEY and KNOWLARITY_SR_API_KEY.`,
  ) {
    super('knowlarity_credentials', message, 502);
  }
}

/** Why the last attempt against Knowlarity failed in a way worth retrying. */
export type KnowlarityFailureReason = 'network' | 'timeout' | 'rate_limited' | 'server_error';

const REASON_TEXT: Record<KnowlarityFailureReason, string> = {
  network: 'a network error',
  timeout: 'a timeout',
  rate_limited: 'rate limiting (HTTP 429)',
  server_error: 'a server error',
};

/**
 * Knowlarity could not be reached or kept failing (network errors, timeouts, 429, 5xx) until the
 * retries ran out. The message says which; the next poll is expected to try again.
 */
export class KnowlarityUnavailableError extends DomainError {
  constructor(
    readonly reason: KnowlarityFailureReason,
    readonly attempts: number,
    /** The HTTP status of the last attempt, when it got one. */
    readonly status: number | null = null,
    cause?: unknown,
  ) {
    super(
      'knowlarity_unavailable',
      `Knowlarity call-log API unavailable: ${attempts} attempt(s) failed, the last with ` +
        `${REASON_TEXT[reason]}${status === null ? '' : ` (HTTP ${status})`}.`,
      502,
    );
    if (cause !== undefined) {
      this.cause = cause;
    }
  }
}

/**
 * Knowlarity answered with something that is not a call-log page: a 4xx other than 401/403, a
 * redirect, a body that is not JSON or lacks `objects`. Never read as an empty page, which
 * would silently skip calls. The message describes the shape only, never the body (it may hold
 * phone numbers).
 */
export class KnowlarityResponseError extends DomainError {
  constructor(
    message: string,
    /** The HTTP status of the response. */
    readonly status: number | null = null,
  ) {
    super('knowlarity_bad_response', message, 502);
  }
}
