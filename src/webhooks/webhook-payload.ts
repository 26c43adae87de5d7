import { isTooDeep, MAX_JSON_DEPTH } from '../common/http/json-depth';
import { FORM_TYPE, JSON_TYPE } from '../common/http/raw-body';
import { InvalidPayloadError, parseFormOrQuery } from '../knowlarity';
import { isPlainObject } from '../knowlarity/values';
import type { TokenVerdict } from './delivery-record';
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
  /** The URL token as presented: for the token check and its verdict, never stored or logged. */
  token?: string;
  tokenIn?: 'path' | 'query';
  /** Set by the token check: what `token` was, so the record need not compare it again. */
  tokenVerdict?: TokenVerdict;
  /** Set by the signature check: a Standard Webhooks message id already delivered. */
  duplicateMessageId?: string;
}

const TEXT_TYPE = /^text\/plain\b/i;

/**
 * Reads the call fields out of a webhook request in any of the ways Knowlarity sends them: a GET
 * query string, a form body, JSON, or JSON sent as text/plain. Query parameters are kept beneath
 * body fields, so a POST that carries some fields in its URL loses nothing, unless `bodyOnly`
 * (the body is signed and the query is not: only what is signed is read).
 *
 * @throws InvalidPayloadError for a body that cannot be parsed.
 * @throws UnsupportedMediaTypeError for any other content type.
 */
export function decodeWebhookPayload(request: WebhookRequest, bodyOnly = false): unknown {
  if (request.method === 'GET') return parseFormOrQuery(request.rawQuery);
  const queryFields = bodyOnly || request.rawQuery === '' ? {} : parseFormOrQuery(request.rawQuery);
  if (!request.rawBody || request.rawBody.length === 0) return queryFields;
  const body = bodyOf(request);
  if (isTooDeep(body)) {
    throw new InvalidPayloadError(`The body is nested deeper than ${MAX_JSON_DEPTH} levels.`);
  }
  if (!isPlainObject(body)) return body;
  // A POST carries its fields in the body alone, as a rule: no copy then.
  return Object.keys(queryFields).length === 0 ? body : { ...queryFields, ...body };
}

function bodyOf(request: WebhookRequest): unknown {
  const contentType = request.contentType ?? '';
  if (JSON_TYPE.test(contentType) || FORM_TYPE.test(contentType)) {
    if (request.bodyParseError) throw new InvalidPayloadError(request.bodyParseError);
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
