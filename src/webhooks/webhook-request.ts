import type { RawBodyRequest } from '../common/http/raw-body';
import type { WebhookRequest } from './webhook-payload';

export const WEBHOOK_PATH = '/webhooks/knowlarity';
const DELIVERIES_PATH = `${WEBHOOK_PATH}/deliveries`;
/** Where the token was in the path, until the record says what it was (see TokenVerdict). */
export const TOKEN_SEGMENT = '[redacted]';

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/**
 * The Hook API routes (`/webhooks/knowlarity[/<token>]`), not the internal deliveries API. The
 * path is classified as the router sees it, after percent-decoding (`%64eliveries` is the
 * deliveries API); a path that does not decode is classified as sent.
 */
export function isWebhookReceivingPath(url: string): boolean {
  const queryStart = url.indexOf('?');
  const sent = queryStart === -1 ? url : url.slice(0, queryStart);
  // Asked of every request (logging, body reading): no decoding when nothing is encoded.
  const path = sent.includes('%') ? safeDecode(sent) : sent;
  return (
    path === WEBHOOK_PATH ||
    (path.startsWith(`${WEBHOOK_PATH}/`) &&
      path !== DELIVERIES_PATH &&
      !path.startsWith(`${DELIVERIES_PATH}/`))
  );
}

/** A path for logs: on the Hook API routes, the token's segment replaced whatever it holds. */
export function withoutWebhookToken(path: string): string {
  return isWebhookReceivingPath(path) && path.length > WEBHOOK_PATH.length
    ? `${WEBHOOK_PATH}/${TOKEN_SEGMENT}`
    : path;
}

/**
 * Whether a query parameter's name is the token's, in any spelling a client might use:
 * `token`, `TOKEN`, `token[]`, `token[0]`, percent-encoded or not.
 */
export function isTokenParameter(rawName: string): boolean {
  // Asked of every query parameter: a name that starts with neither `t` nor an escape cannot
  // decode to `token` (a `+` decodes to a space).
  const head = rawName.charCodeAt(0);
  if (head !== 0x74 && head !== 0x54 && head !== 0x25) return false;
  return /^token(?:\[[^\]]*\])?$/i.test(safeDecode(rawName.replace(/\+/g, ' ')));
}

/** The query split into token parameters and the rest, each part kept byte for byte. */
export function splitTokenParameters(query: string): { kept: string[]; tokens: string[] } {
  const kept: string[] = [];
  const tokens: string[] = [];
  for (const part of query === '' ? [] : query.split('&')) {
    const separator = part.indexOf('=');
    const name = separator === -1 ? part : part.slice(0, separator);
    if (!isTokenParameter(name)) kept.push(part);
    else
      tokens.push(
        separator === -1 ? '' : safeDecode(part.slice(separator + 1).replace(/\+/g, ' ')),
      );
  }
  return { kept, tokens };
}

interface WebhookHttpRequest extends RawBodyRequest {
  webhookRequest?: WebhookRequest;
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
 * The transport-neutral view of a webhook request, with the URL secret taken out of the path
 * (`/webhooks/knowlarity/<token>`) and the query (`?token=`, any case, `token[]=`): parsing, the
 * signature over the query, storage and logs never see it; only the token guard and the record
 * (which says whether it was right) read `token`. Computed once per request.
 */
export function webhookRequestOf(request: RawBodyRequest): WebhookRequest {
  const req = request as WebhookHttpRequest;
  req.webhookRequest ??= extract(req);
  return req.webhookRequest;
}

/** The URL secret the caller presented, if any (path segment first, then `?token=`). */
export function presentedToken(request: RawBodyRequest): string | undefined {
  return webhookRequestOf(request).token;
}

function extract(req: WebhookHttpRequest): WebhookRequest {
  const queryStart = req.url.indexOf('?');
  let path = queryStart === -1 ? req.url : req.url.slice(0, queryStart);
  const query = queryStart === -1 ? '' : req.url.slice(queryStart + 1);
  let token: string | undefined;
  let tokenIn: WebhookRequest['tokenIn'];

  if (path.startsWith(`${WEBHOOK_PATH}/`)) {
    const segment = path.slice(WEBHOOK_PATH.length + 1);
    token = segment.includes('%') ? safeDecode(segment) : segment;
    tokenIn = 'path';
    path = `${WEBHOOK_PATH}/${TOKEN_SEGMENT}`;
  }
  // Token parameters leave the raw query byte for byte, the rest stays exactly as sent (a
  // signature over the query is computed on it).
  const { kept, tokens } = splitTokenParameters(query);
  if (token === undefined && tokens.length > 0) {
    token = tokens[0];
    tokenIn = 'query';
  }

  return {
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
    token,
    tokenIn,
  };
}
