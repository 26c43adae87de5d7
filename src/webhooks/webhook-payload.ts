import { FORM_TYPE, JSON_TYPE } from '../common/http/raw-body';
import { InvalidPayloadError, parseFormOrQuery } from '../knowlarity';
import { isPlainObject } from '../knowlarity/values';
import { UnsupportedMediaTypeError } from './webhook.errors';

/** A webhook request as the transport received it, before any interpretation. */
export interface WebhookRequest {
  requestId: string;
  method: string;
  path: string;
  contentType?: string;
  headers: Record<string, string | string[] | undefined>;
  /** The raw query string without the leading `?` (and without the URL token). */
  rawQuery: string;
  rawBody?: Buffer;
  /** The body as the transport's parser left it: an object for JSON and forms. */
  parsedBody?: unknown;
  bodyParseError?: string;
  remoteAddress?: string;
}

const TEXT_TYPE = /^text\/plain\b/i;

/**
 * Reads the call fields out of a webhook request in any of the ways Knowlarity sends them: a GET
 * query string, a form body, JSON, or JSON sent as text/plain. Query parameters are kept beneath
 * body fields, so a POST that carries some fields in its URL loses nothing.
 *
 * @throws InvalidPayloadError for a body that cannot be parsed.
 * @throws UnsupportedMediaTypeError for any other content type.
 */
export function decodeWebhookPayload(request: WebhookRequest): unknown {
  const queryFields = parseFormOrQuery(request.rawQuery);
  if (request.method === 'GET' || !request.rawBody || request.rawBody.length === 0) {
    return queryFields;
  }
  const body = bodyOf(request);
  if (depthOf(body) > MAX_DEPTH) {
    throw new InvalidPayloadError(`The body is nested deeper than ${MAX_DEPTH} levels.`);
  }
  return isPlainObject(body) ? { ...queryFields, ...body } : body;
}

/** A call is a flat record, at most wrapped a few times; deeper nesting is not call data. */
const MAX_DEPTH = 32;

/** Nesting depth of parsed JSON, measured without recursion (the input may be adversarial). */
function depthOf(value: unknown): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [item, depth] = stack.pop()!;
    if (item === null || typeof item !== 'object') continue;
    deepest = Math.max(deepest, depth + 1);
    if (deepest > MAX_DEPTH) return deepest;
    for (const child of Object.values(item)) stack.push([child, depth + 1]);
  }
  return deepest;
}

function bodyOf(request: WebhookRequest): unknown {
  const contentType = request.contentType ?? '';
  if (JSON_TYPE.test(contentType) || FORM_TYPE.test(contentType)) {
    if (request.bodyParseError) throw new InvalidPayloadError('The body is not valid JSON.');
    return request.parsedBody;
  }
  if (TEXT_TYPE.test(contentType) || contentType === '') {
    return parseText(request.rawBody!.toString('utf8'));
  }
  throw new UnsupportedMediaTypeError();
}

/** Some accounts send JSON (or a form body) as text/plain or with no content type at all. */
function parseText(text: string): unknown {
  const trimmed = text.trim();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    try {
      return JSON.parse(trimmed);
    } catch {
      throw new InvalidPayloadError('The body looks like JSON but does not parse.');
    }
  }
  if (/^[^=&\s]+=/.test(trimmed)) return parseFormOrQuery(trimmed);
  throw new InvalidPayloadError('The body is neither JSON nor a form body.');
}
