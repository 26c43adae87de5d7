import type { RawBodyRequest } from '../common/http/raw-body';
import type { WebhookRequest } from './webhook-payload';

export const WEBHOOK_PATH = '/webhooks/knowlarity';
const TOKEN_PARAM = 'token';
const REDACTED_SEGMENT = '[redacted]';

/**
 * The Hook API routes (`/webhooks/knowlarity[/<token>]`), not the internal deliveries API. The
 * path is classified as the router sees it, after percent-decoding (`%64eliveries` is the
 * deliveries API); a path that does not decode is classified as sent.
 */
export function isWebhookReceivingPath(url: string): boolean {
  const path = safeDecode(url.split('?')[0]);
  return (
    path === WEBHOOK_PATH ||
    (path.startsWith(`${WEBHOOK_PATH}/`) && !path.startsWith(`${WEBHOOK_PATH}/deliveries`))
  );
}

interface WebhookHttpRequest extends RawBodyRequest {
  webhookRequest?: WebhookRequest;
  webhookToken?: string;
  /** Set once every guard let the request through. */
  webhookAuthenticated?: boolean;
}

/** Records that the request passed the address, rate, token and signature checks. */
export function markAuthenticated(request: RawBodyRequest): void {
  (request as WebhookHttpRequest).webhookAuthenticated = true;
}

/** Whether the request passed every check (a refusal after that is about its content). */
export function isAuthenticated(request: RawBodyRequest): boolean {
  return (request as WebhookHttpRequest).webhookAuthenticated === true;
}

/**
 * The transport-neutral view of a webhook request, with the URL secret already taken out of the
 * path (`/webhooks/knowlarity/<token>`) and the query (`?token=`): what follows (parsing,
 * signature over the query, storage, logs) never sees it. Computed once per request.
 */
export function webhookRequestOf(request: RawBodyRequest): WebhookRequest {
  const req = request as WebhookHttpRequest;
  if (!req.webhookRequest) extract(req);
  return req.webhookRequest!;
}

/** The URL secret the caller presented, if any (path segment first, then `?token=`). */
export function presentedToken(request: RawBodyRequest): string | undefined {
  const req = request as WebhookHttpRequest;
  if (!req.webhookRequest) extract(req);
  return req.webhookToken;
}

function extract(req: WebhookHttpRequest): void {
  const queryStart = req.url.indexOf('?');
  let path = queryStart === -1 ? req.url : req.url.slice(0, queryStart);
  const query = queryStart === -1 ? '' : req.url.slice(queryStart + 1);
  let token: string | undefined;

  if (path.startsWith(`${WEBHOOK_PATH}/`)) {
    token = safeDecode(path.slice(WEBHOOK_PATH.length + 1));
    path = `${WEBHOOK_PATH}/${REDACTED_SEGMENT}`;
  }
  // Drop token parameters from the raw query byte for byte, keeping the rest exactly as sent
  // (a signature over the query is computed on it).
  const kept: string[] = [];
  for (const part of query === '' ? [] : query.split('&')) {
    const separator = part.indexOf('=');
    const key = safeDecode(separator === -1 ? part : part.slice(0, separator));
    if (key === TOKEN_PARAM) {
      token ??= safeDecode(separator === -1 ? '' : part.slice(separator + 1).replace(/\+/g, ' '));
    } else {
      kept.push(part);
    }
  }

  req.webhookToken = token;
  req.webhookRequest = {
    requestId: String(req.id),
    method: req.method,
    path,
    contentType: req.originalContentType ?? req.headers['content-type'],
    headers:
      req.originalContentType === undefined
        ? req.headers
        : { ...req.headers, 'content-type': req.originalContentType },
    rawQuery: kept.join('&'),
    rawBody: req.rawBody,
    parsedBody: req.body,
    bodyParseError: req.bodyParseError,
    remoteAddress: req.ip,
  };
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
