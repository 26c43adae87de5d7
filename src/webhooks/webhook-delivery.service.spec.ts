import { Logger } from '@nestjs/common';
import { pinoHttp } from 'pino-http';
import { DeliveryRecord, IngestResult } from '../database/lead-sync.repository';
import { StorageUnavailableError } from '../database/storage.errors';
import { CallEvent } from '../knowlarity';
import { CallNormalizer } from '../knowlarity/call-normalizer';
import { RequestLogging } from '../logging/request-logging';
import { MetricsService } from '../metrics/metrics.service';
import { parseBusinessConfig } from '../config/business.config';
import { parseWebhookSecurityConfig } from '../config/webhook-security.config';
import { Clock } from '../common/clock';
import { RefusalBudget } from './refusal-budget';
import { WebhookDeliveryService } from './webhook-delivery.service';
import { WebhookRequest } from './webhook-payload';

/** Stand-ins for the ingest door and the repository: they record what they were given. */
class FakeIngest {
  calls: { call: CallEvent; delivery?: DeliveryRecord }[] = [];
  async ingest(call: CallEvent, _path: string, _raw: unknown, delivery?: DeliveryRecord) {
    this.calls.push({ call, delivery });
    const result: IngestResult = {
      outcome: 'lead_created',
      leadId: 7,
      callId: call.callId,
      sourceId: null,
      deliveryId: 1,
      assignedTo: null,
      assignmentReason: null,
    };
    return result;
  }
}

class FakeRepository {
  recorded: DeliveryRecord[] = [];
  failWith?: Error;
  async recordDelivery(delivery: DeliveryRecord) {
    if (this.failWith) throw this.failWith;
    this.recorded.push(delivery);
    return { deliveryId: this.recorded.length };
  }
}

function setup(env: Record<string, string> = {}) {
  const ingest = new FakeIngest();
  const repository = new FakeRepository();
  const clock = new Clock();
  const metrics = new MetricsService(clock);
  const security = parseWebhookSecurityConfig(env);
  const service = new WebhookDeliveryService(
    ingest as never,
    new CallNormalizer(parseBusinessConfig({})),
    repository as never,
    metrics,
    new RefusalBudget(security, clock, metrics),
    security,
    [],
    new RequestLogging(pinoHttp({ enabled: false }), () => true),
  );
  return { ingest, repository, service };
}

function request(overrides: Partial<WebhookRequest> = {}): WebhookRequest {
  return {
    requestId: 'req-1',
    method: 'GET',
    path: '/webhooks/knowlarity',
    headers: {},
    rawQuery: 'caller_id=%2B919800000101&callid=unit-1',
    ...overrides,
  };
}

describe('WebhookDeliveryService', () => {
  beforeAll(() => {
    Logger.overrideLogger(false);
  });
  afterAll(() => {
    Logger.overrideLogger(['log', 'error', 'warn']);
  });

  it('hands a readable call to the ingest door with its delivery record, and answers 200', async () => {
    const { ingest, repository, service } = setup();

    const reply = await service.handle(request());

    expect(reply).toEqual({
      status: 200,
      body: {
        success: true,
        outcome: 'lead_created',
        leadId: 7,
        callId: 'unit-1',
        assignedTo: null,
        assignmentReason: null,
      },
    });
    expect(ingest.calls).toHaveLength(1);
    expect(ingest.calls[0].call.customerPhone).toBe('9800000101');
    expect(ingest.calls[0].delivery).toMatchObject({ method: 'GET', requestId: 'req-1' });
    expect(repository.recorded).toEqual([]);
  });

  it('returns a content refusal as a result, stored with its code, without ingesting', async () => {
    const { ingest, repository, service } = setup();

    const reply = await service.handle(request({ rawQuery: 'callid=no-phone' }));

    expect(reply.status).toBe(422);
    expect(reply.body).toMatchObject({ success: false, code: 'no_customer_phone' });
    expect(ingest.calls).toEqual([]);
    expect(repository.recorded).toEqual([
      expect.objectContaining({ httpStatus: 422, errorCode: 'no_customer_phone' }),
    ]);
  });

  it('records a refusal whose body was never read by its declared size', async () => {
    const { repository, service } = setup();

    const reply = await service.refuse(
      request({ method: 'POST', headers: { 'content-length': '5000' }, rawQuery: '' }),
      { status: 413, code: 'payload_too_large', message: 'Too large.', authenticated: false },
    );

    expect(reply).toEqual({
      status: 413,
      body: { success: false, code: 'payload_too_large', message: 'Too large.' },
    });
    expect(repository.recorded[0]).toMatchObject({
      bodyStored: false,
      bodyBytes: 5000,
      rawBodyBase64: null,
    });
  });

  it('answers 503 when a refusal cannot be stored because the database is down', async () => {
    const { repository, service } = setup();
    repository.failWith = new StorageUnavailableError();

    const reply = await service.refuse(request(), {
      status: 401,
      code: 'invalid_token',
      message: 'No.',
      authenticated: false,
    });

    expect([reply.status, reply.body]).toEqual([
      503,
      expect.objectContaining({ code: 'storage_unavailable' }),
    ]);
  });

  it('keeps an unauthenticated refusal whole within the budget, then its metadata only', async () => {
    const { repository, service } = setup({
      WEBHOOK_REFUSED_BYTES_PER_HOUR: '3000',
      WEBHOOK_REFUSED_BYTES_PER_CLIENT_PER_HOUR: '3000',
    });
    const body = Buffer.alloc(1000, 'x');
    const refusal = { status: 401, code: 'invalid_token', message: 'No.', authenticated: false };

    for (let i = 0; i < 4; i++) {
      await service.refuse(
        request({ method: 'POST', rawBody: body, remoteAddress: '203.0.113.9' }),
        refusal,
      );
    }

    expect(repository.recorded.map((row) => row.bodyStored)).toEqual([true, true, false, false]);
    expect(repository.recorded.every((row) => row.bodyBytes === 1000)).toBe(true);
  });

  it('stores one 429 per client per hour and only counts the rest', async () => {
    const { repository, service } = setup();
    const limited = { status: 429, code: 'rate_limited', message: 'Slow.', authenticated: false };

    const replies = [];
    for (let i = 0; i < 3; i++) replies.push(await service.refuse(request(), limited));

    expect(replies.map((reply) => reply.status)).toEqual([429, 429, 429]);
    expect(repository.recorded).toHaveLength(1);
  });

  it('refuses HEAD (and any method but GET and POST) without ingesting', async () => {
    const { ingest, service } = setup();

    const reply = await service.handle(request({ method: 'HEAD' }));

    expect([reply.status, reply.body]).toEqual([
      405,
      expect.objectContaining({ code: 'method_not_allowed' }),
    ]);
    expect(ingest.calls).toEqual([]);
  });
});
