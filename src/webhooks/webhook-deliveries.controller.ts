import {
  Controller,
  Get,
  NotFoundException,
  Param,
  ParseIntPipe,
  Post,
  Query,
  Res,
  UseGuards,
} from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { InternalApiKeyGuard } from '../common/guards/internal-api-key.guard';
import { parseBody } from '../common/http/raw-body';
import { LeadSyncRepository, StoredDelivery } from '../database/lead-sync.repository';
import { ListDeliveriesQuery } from './dto/list-deliveries.query';
import { WebhookDeliveryService, WebhookResponseBody } from './webhook-delivery.service';
import { WebhookRequest } from './webhook-payload';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * What Knowlarity really sent: the stored deliveries (secrets were removed before storage), and
 * a replay that runs one through ingestion again, idempotent like any delivery.
 */
@Controller('webhooks/knowlarity/deliveries')
@UseGuards(InternalApiKeyGuard)
export class WebhookDeliveriesController {
  constructor(
    private readonly repository: LeadSyncRepository,
    private readonly deliveries: WebhookDeliveryService,
  ) {}

  @Get()
  async list(@Query() query: ListDeliveriesQuery) {
    const items = await this.repository.listDeliveries(query);
    return {
      items: items.map(present),
      nextBefore: items.length === query.limit ? items[items.length - 1].id : null,
    };
  }

  @Post(':id/replay')
  async replay(
    @Param('id', new ParseIntPipe({ errorHttpStatusCode: 400 })) id: number,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<WebhookResponseBody> {
    const stored = await this.repository.getDelivery(id);
    if (!stored)
      throw new NotFoundException({ code: 'delivery_not_found', message: `No delivery ${id}.` });
    if (stored.bodyStored === false) {
      throw new NotFoundException({
        code: 'delivery_body_not_stored',
        message: 'This delivery was too large to keep; it cannot be replayed.',
      });
    }
    const result = await this.deliveries.handle(
      toReplayRequest(stored, String(reply.request.id)),
      'replay',
      id,
    );
    void reply.status(result.status);
    return result.body;
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
    rawQuery: stored.query ?? '',
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
