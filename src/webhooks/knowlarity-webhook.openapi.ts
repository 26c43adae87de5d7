import { getSchemaPath, OpenAPIObject } from '@nestjs/swagger';
import { ErrorResponseDto } from '../common/openapi';
import { INGEST_OUTCOMES } from '../database/lead-sync.types';
import { WEBHOOK_PATH } from './webhook-request';

type PathItem = OpenAPIObject['paths'][string];
type Operation = NonNullable<PathItem['get']>;

/** Every refusal the Hook API routes answer with: status, cause, codes. */
const REFUSALS: [status: number, description: string, ...codes: string[]][] = [
  [
    400,
    'Unreadable body or URL, or a signed POST without a body',
    'invalid_payload',
    'empty_body',
    'bad_request',
  ],
  [
    401,
    'Wrong or missing URL token or signature',
    'invalid_token',
    'invalid_signature',
    'signature_expired',
  ],
  [403, 'The client address is not in KNOWLARITY_WEBHOOK_IP_ALLOWLIST', 'ip_not_allowed'],
  [405, 'Neither GET nor POST', 'method_not_allowed'],
  [413, 'The body is larger than the limit', 'payload_too_large'],
  [415, 'A content type other than JSON, a form or text/plain', 'unsupported_media_type'],
  [422, 'No customer phone number in the payload (a dashboard test ping)', 'no_customer_phone'],
  [429, 'Over WEBHOOK_RATE_LIMIT_PER_MINUTE for this client', 'rate_limited'],
  [503, 'The database is unavailable; the sender should retry', 'storage_unavailable'],
];

const ACCEPTED = {
  description:
    'Processed (also a duplicate, which must not be retried). Refusals are stored too, with ' +
    'their code.',
  content: {
    'application/json': {
      schema: {
        type: 'object',
        properties: {
          success: { type: 'boolean', enum: [true] },
          outcome: {
            type: 'string',
            enum: [...INGEST_OUTCOMES, 'duplicate_message'],
          },
          leadId: { type: 'integer', nullable: true },
          callId: { type: 'string', nullable: true },
          assignedTo: { type: 'string', nullable: true },
          assignmentReason: {
            type: 'string',
            nullable: true,
            enum: ['answering_agent', 'number_owner', 'already_assigned', 'unassigned'],
          },
        },
      },
    },
  },
};

function operation(summary: string, withToken: boolean, post: boolean): Operation {
  const responses: Operation['responses'] = { 200: ACCEPTED };
  for (const [status, description, ...codes] of REFUSALS) {
    responses[status] = {
      description: `${description} (code: ${codes.join(' | ')})`,
      content: {
        'application/json': {
          schema: {
            allOf: [
              { $ref: getSchemaPath(ErrorResponseDto) },
              { properties: { code: { type: 'string', enum: codes } } },
            ],
          },
        },
      },
    };
  }
  return {
    tags: ['webhooks'],
    summary,
    description:
      "Knowlarity's Hook API. Protected by a URL token (`KNOWLARITY_WEBHOOK_TOKEN`, as the last " +
      'path segment or `?token=`), an HMAC-SHA256 signature over the raw body or, for GET, the ' +
      'query (`KNOWLARITY_WEBHOOK_SECRETS`), and an address allowlist, whichever are configured.',
    parameters: withToken
      ? [{ name: 'token', in: 'path', required: true, schema: { type: 'string' } }]
      : [{ name: 'token', in: 'query', required: false, schema: { type: 'string' } }],
    ...(post
      ? {
          requestBody: {
            required: true,
            content: {
              'application/json': { schema: { type: 'object' } },
              'application/x-www-form-urlencoded': { schema: { type: 'object' } },
              'text/plain': { schema: { type: 'string', description: 'JSON sent as text' } },
            },
          },
        }
      : {}),
    responses,
  };
}

/**
 * The Hook API routes in the OpenAPI document. They are plain Fastify routes
 * (KnowlarityWebhookRoutes), which Nest's document generator does not see.
 */
export function documentKnowlarityWebhook(document: OpenAPIObject): OpenAPIObject {
  for (const withToken of [false, true]) {
    document.paths[withToken ? `${WEBHOOK_PATH}/{token}` : WEBHOOK_PATH] = {
      get: operation('Receive one call as a query string', withToken, false),
      post: operation('Receive one call as JSON or a form body', withToken, true),
    };
  }
  return document;
}
