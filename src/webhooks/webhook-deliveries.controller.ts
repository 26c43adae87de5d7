import {
  ConflictException,
  Controller,
  Get,
  Inject,
  Logger,
  NotFoundException,
  Param,
  ParseIntPipe,
  Post,
  Query,
  Res,
  UseGuards,
} from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { apiKeyNameOf, InternalApiKeyGuard } from '../common/guards/internal-api-key.guard';
import { found } from '../common/http/found';
import { parseBody } from '../common/http/raw-body';
import { scrubSecrets } from '../common/secret-scrubber';
import { CONFIGURED_SECRETS } from '../config/secrets';
import { LeadSyncRepository, StoredDelivery } from '../database/lead-sync.repository';
import { ListDeliveriesQuery, ReplayQuery } from './dto/list-deliveries.query';
import { WebhookDeliveryService, WebhookResponseBody } from './webhook-delivery.service';
import { WebhookRequest } from './webhook-payload';
import { splitTokenParameters } from './webhook-request';

/** Refusals that come after the address, token and signature checks passed: about content. */
const CONTENT_REFUSAL_CODES = new Set([
  'invalid_payload',
  'no_customer_phone',
  'unsupported_media_type',
  'method_not_allowed',
  'internal_error',
  'storage_unavailable',
]);

/** Whether a stored delivery passed authentication (accepted, or refused for its content). */
function passedAuthentication(delivery: StoredDelivery): boolean {
  const status = delivery.httpStatus ?? 0;
  return (status >= 200 && status < 300) || CONTENT_REFUSAL_CODES.has(delivery.errorCode ?? '');
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * What Knowlarity really sent: the stored deliveries (secrets were removed before storage, and
 * are removed again on the way out), and a replay that runs one through ingestion again,
 * idempotent like any delivery. A delivery refused for its token, address or signature may be
 * anyone's: it is replayed only with `?force=true`, and each forced replay is logged and its
 * row records which key asked (`x-replay-forced-by: key:<fingerprint>`).
 */
@Controller('webhooks/knowlarity/deliveries')
@UseGuards(InternalApiKeyGuard)
export class WebhookDeliveriesController {
  private readonly logger = new Logger(WebhookDeliveriesController.name);

  constructor(
    private readonly repository: LeadSyncRepository,
    private readonly deliveries: WebhookDeliveryService,
    @Inject(CONFIGURED_SECRETS) private readonly secrets: string[],
  ) {}

  @Get()
  async list(@Query() query: ListDeliveriesQuery) {
    const items = await this.repository.listDeliveries(query);
    return {
      items: items.map((item) => this.withoutSecrets(present(item))),
      nextBefore: items.length === query.limit ? items[items.length - 1].id : null,
    };
  }

  @Post(':id/replay')
  async replay(
    @Param('id', new ParseIntPipe({ errorHttpStatusCode: 400 })) id: number,
    @Query() query: ReplayQuery,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<WebhookResponseBody> {
    const stored = found(
      await this.repository.getDelivery(id),
      'delivery_not_found',
      `No delivery ${id}.`,
    );
    if (stored.bodyStored === false) {
      throw new NotFoundException({
        code: 'delivery_body_not_stored',
        message: 'This delivery was too large to keep; it cannot be replayed.',
      });
    }
    const request = toReplayRequest(stored, String(reply.request.id));
    if (!passedAuthentication(stored)) {
      if (query.force !== 'true') {
        throw new ConflictException({
          code: 'replay_needs_force',
          message:
            `Delivery ${id} was refused before authentication (${stored.errorCode}): it may not ` +
            'come from Knowlarity. Replay it with ?force=true if you know it is genuine.',
        });
      }
      const by = apiKeyNameOf(reply.request) ?? 'unknown';
      this.logger.warn(`Forced replay of delivery ${id} (refused ${stored.errorCode}) by ${by}`);
      request.headers = { ...request.headers, 'x-replay-forced-by': by };
    }
    const result = await this.deliveries.handle(request, 'replay', id);
    void reply.status(result.status);
    return result.body;
  }

  /** Any configured secret that reached a stored field (a legacy row, a body) is shown redacted. */
  private withoutSecrets<T>(item: T): T {
    return scrubDeep(item, this.secrets) as T;
  }
}

function toReplayRequest(stored: StoredDelivery, requestId: string): WebhookRequest {
  const rawBody = stored.rawBodyBase64 ? Buffer.from(stored.rawBodyBase64, 'base64') : undefined;
  const parsed = rawBody
    ? parseBody(stored.contentType ?? undefined, rawBody)
    : { body: undefined };
  return {
    requestId,
    method: stored.method,
    path: stored.path ?? '',
    contentType: stored.contentType ?? undefined,
    headers: stored.headers,
    // The stored query says what the token was (`token=[valid-token]`); it is no call field.
    rawQuery: splitTokenParameters(stored.query ?? '').kept.join('&'),
    rawBody,
    parsedBody: parsed.body,
    bodyParseError: parsed.error,
    remoteAddress: stored.remoteAddress ?? undefined,
  };
}

/** The body as text when it is UTF-8, else base64 (fuzzed or binary bodies stay inspectable). */
function present(delivery: StoredDelivery) {
  const { rawBodyBase64, ...rest } = delivery;
  const bytes = rawBodyBase64 ? Buffer.from(rawBodyBase64, 'base64') : null;
  let body: string | null = null;
  let bodyEncoding: 'utf8' | 'base64' | null = null;
  if (bytes) {
    try {
      body = utf8.decode(bytes);
      bodyEncoding = 'utf8';
    } catch {
      body = bytes.toString('base64');
      bodyEncoding = 'base64';
    }
  }
  return { ...rest, body, bodyEncoding };
}

function scrubDeep(value: unknown, secrets: readonly string[]): unknown {
  if (typeof value === 'string') return scrubSecrets(value, secrets);
  if (Array.isArray(value)) return value.map((item) => scrubDeep(item, secrets));
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [key, scrubDeep(item, secrets)]),
  );
}
