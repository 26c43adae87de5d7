import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { clientKey } from '../common/address-matcher';
import { DomainError } from '../common/domain-error';
import { webhookSecurityConfig } from '../config';
import { CONFIGURED_SECRETS } from '../config/secrets';
import {
  AssignmentReason,
  DeliveryRecord,
  IngestOutcome,
  LeadSyncRepository,
} from '../database/lead-sync.repository';
import { StorageUnavailableError } from '../database/storage.errors';
import { ArrivalPath, CallEvent, maskPhone } from '../knowlarity';
import { CallNormalizer } from '../knowlarity/call-normalizer';
import { CallIngestService } from '../ingest/call-ingest.service';
import { RequestLog, RequestLogging } from '../logging/request-logging';
import { MetricsService } from '../metrics/metrics.service';
import { RecordOptions, toDeliveryRecord } from './delivery-record';
import { RefusalAdmission, RefusalBudget } from './refusal-budget';
import { tokenVerdictOf } from './token-verdict';
import { MethodNotAllowedError } from './webhook.errors';
import { decodeWebhookPayload, WebhookRequest } from './webhook-payload';

export type WebhookResponseBody =
  | {
      success: true;
      outcome: IngestOutcome;
      leadId: number | null;
      callId: string;
      assignedTo: string | null;
      assignmentReason: AssignmentReason | null;
    }
  | { success: true; outcome: 'duplicate_message'; leadId: null; callId: null }
  | { success: false; code: string; message: string };

export interface WebhookReply {
  status: number;
  body: WebhookResponseBody;
}

/** Why a delivery was refused, already in the edge's terms (status, stable code, message). */
export interface Refusal {
  status: number;
  code: string;
  message: string;
  /** False when the request never passed the address/token/signature checks. */
  authenticated: boolean;
}

/**
 * Turns one webhook request into a reply, and keeps the delivery: accepted deliveries are
 * stored by the ingest function in the same transaction as the call; refused ones are stored
 * with their error code (within the refusal budget when the sender is unknown). Every processed
 * outcome, duplicates included, is a 200 so the sender never retries a success; only a database
 * outage (503) asks it to retry. Knows nothing of HTTP exceptions: it takes requests and
 * refusals, and returns replies.
 */
@Injectable()
export class WebhookDeliveryService {
  private readonly log: RequestLog;
  private readonly recordOptions: RecordOptions;
  private readonly signed: boolean;
  private readonly ipv6Prefix: number;

  constructor(
    private readonly ingest: CallIngestService,
    private readonly normalizer: CallNormalizer,
    private readonly repository: LeadSyncRepository,
    private readonly metrics: MetricsService,
    private readonly budget: RefusalBudget,
    @Inject(webhookSecurityConfig.KEY) security: ConfigType<typeof webhookSecurityConfig>,
    @Inject(CONFIGURED_SECRETS) secrets: string[],
    logging: RequestLogging,
  ) {
    this.log = logging.forContext(WebhookDeliveryService.name);
    this.recordOptions = {
      secretHeaders: [security.signatureHeader],
      secrets,
      tokenVerdict: tokenVerdictOf(security),
    };
    this.signed = security.secrets.length > 0;
    this.ipv6Prefix = security.ipv6ClientPrefix;
  }

  async handle(
    request: WebhookRequest,
    arrivalPath: ArrivalPath = 'webhook',
    replayOf?: number,
  ): Promise<WebhookReply> {
    if (request.duplicateMessageId !== undefined) return this.duplicateMessage(request);
    const delivery = { ...toDeliveryRecord(request, this.recordOptions), replayOf };
    let fields: unknown;
    let call: CallEvent;
    try {
      if (request.method !== 'GET' && request.method !== 'POST') throw new MethodNotAllowedError();
      // A replay reads what was stored (it passed the checks then); a live signed POST, only
      // what the signature covers.
      fields = decodeWebhookPayload(request, this.signed && arrivalPath === 'webhook');
      call = this.normalizer.normalize(fields);
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      const refusal = { ...refusalOf(error), authenticated: true };
      return this.refuse(request, refusal, replayOf);
    }

    try {
      const result = await this.ingest.ingest(call, arrivalPath, fields, delivery);
      this.metrics.delivery(200, result.outcome);
      if (this.log.enabled('info')) {
        this.log.info(
          request.requestId,
          `Delivery ${request.requestId} via ${arrivalPath}: ${result.outcome}, call ${result.callId}, ` +
            `phone ${maskPhone(call.customerPhone)}, lead ${result.leadId ?? '-'}`,
        );
      }
      return {
        status: 200,
        body: {
          success: true,
          outcome: result.outcome,
          leadId: result.leadId,
          callId: result.callId,
          assignedTo: result.assignedTo ?? null,
          assignmentReason: result.assignmentReason ?? null,
        },
      };
    } catch (error) {
      if (error instanceof StorageUnavailableError) return this.unavailable(request, error);
      throw error;
    }
  }

  /**
   * Stores a refused delivery and builds its reply. A body the transport never read (the
   * request was refused before parsing: too large) is recorded by its size.
   * An unauthenticated refusal is kept as far as the refusal budget allows.
   */
  async refuse(
    request: WebhookRequest,
    refusal: Refusal,
    replayOf?: number,
  ): Promise<WebhookReply> {
    const reply: WebhookReply = {
      status: refusal.status,
      body: { success: false, code: refusal.code, message: refusal.message },
    };
    const unread = request.rawBody === undefined && declaredLength(request) > 0;
    let delivery: DeliveryRecord = {
      ...toDeliveryRecord(request, this.recordOptions),
      bodyStored: !unread,
      bodyBytes: unread ? declaredLength(request) : (request.rawBody?.length ?? 0),
      httpStatus: refusal.status,
      errorCode: refusal.code,
      replayOf,
    };
    let admission: RefusalAdmission = 'whole';
    if (!refusal.authenticated) {
      const client = clientKey(request.remoteAddress, this.ipv6Prefix);
      admission = this.budget.admit(client, storedBytes(delivery), refusal.status === 429);
      if (admission === 'counted') {
        this.metrics.delivery(refusal.status, refusal.code);
        return reply;
      }
      if (admission === 'metadata') delivery = metadataOnly(delivery);
    }
    const stored = await this.store(request, delivery);
    if (stored) return stored;
    this.metrics.delivery(refusal.status, refusal.code);
    this.log.warn(
      request.requestId,
      `Delivery ${request.requestId} rejected with ${refusal.status} ${refusal.code}`,
    );
    return reply;
  }

  /** A Standard Webhooks message seen before: recorded (metadata only), never ingested again. */
  private async duplicateMessage(request: WebhookRequest): Promise<WebhookReply> {
    const delivery = metadataOnly({
      ...toDeliveryRecord(request, this.recordOptions),
      bodyBytes: request.rawBody?.length ?? 0,
      httpStatus: 200,
      outcome: 'duplicate_message',
    });
    const unavailable = await this.store(request, delivery);
    if (unavailable) return unavailable;
    this.metrics.delivery(200, 'duplicate_message');
    this.log.info(
      request.requestId,
      `Delivery ${request.requestId}: duplicate_message, not ingested again`,
    );
    return {
      status: 200,
      body: { success: true, outcome: 'duplicate_message', leadId: null, callId: null },
    };
  }

  /** Stores one delivery row; the reply to send instead when the database is down. */
  private async store(
    request: WebhookRequest,
    delivery: DeliveryRecord,
  ): Promise<WebhookReply | null> {
    try {
      await this.repository.recordDelivery(delivery);
      return null;
    } catch (storageError) {
      if (storageError instanceof StorageUnavailableError)
        return this.unavailable(request, storageError);
      throw storageError;
    }
  }

  private unavailable(request: WebhookRequest, error: StorageUnavailableError): WebhookReply {
    this.metrics.delivery(503, error.code);
    this.log.error(
      request.requestId,
      `Delivery ${request.requestId} not stored: the database is unavailable`,
    );
    return {
      status: error.httpStatus,
      body: { success: false, code: error.code, message: error.message },
    };
  }
}

function refusalOf(error: DomainError): Omit<Refusal, 'authenticated'> {
  return { status: error.httpStatus, code: error.code, message: error.message };
}

/** The Content-Length the sender declared (0 when absent or not a number). */
function declaredLength(request: WebhookRequest): number {
  const value = Number(request.headers['content-length']);
  return Number.isFinite(value) && value > 0 ? value : 0;
}

/** What a row would cost beyond its fixed columns: body, query and headers. */
function storedBytes(delivery: DeliveryRecord): number {
  const body = delivery.rawBodyBase64 ? Math.floor((delivery.rawBodyBase64.length * 3) / 4) : 0;
  return body + (delivery.query?.length ?? 0) + JSON.stringify(delivery.headers).length;
}

/** Headers worth keeping about a request whose bytes are not kept. */
const METADATA_HEADERS = [
  'content-type',
  'content-length',
  'user-agent',
  'x-forwarded-for',
  'x-request-id',
  'webhook-id',
  'webhook-timestamp',
];
const METADATA_VALUE_CHARS = 200;

/** The row without its body, a long query cut short, and only a few headers, each cut short. */
function metadataOnly(delivery: DeliveryRecord): DeliveryRecord {
  const headers: Record<string, string> = {};
  for (const name of METADATA_HEADERS) {
    const value = delivery.headers[name];
    if (value !== undefined) headers[name] = value.slice(0, METADATA_VALUE_CHARS);
  }
  const query = delivery.query;
  return {
    ...delivery,
    headers,
    query:
      query && query.length > METADATA_VALUE_CHARS ? query.slice(0, METADATA_VALUE_CHARS) : query,
    rawBodyBase64: null,
    bodyStored: false,
  };
}
