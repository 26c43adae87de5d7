import { Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { DomainError } from '../common/domain-error';
import { businessConfig, webhookSecurityConfig } from '../config';
import {
  DeliveryRecord,
  IngestOutcome,
  LeadSyncRepository,
} from '../database/lead-sync.repository';
import { StorageUnavailableError } from '../database/storage.errors';
import { ArrivalPath, CallEvent, maskPhone, normalizeCall, NormalizeOptions } from '../knowlarity';
import { CallIngestService } from '../leads/call-ingest.service';
import { MetricsService } from '../metrics/metrics.service';
import { toDeliveryRecord } from './delivery-record';
import { decodeWebhookPayload, WebhookRequest } from './webhook-payload';

export type WebhookResponseBody =
  | { success: true; outcome: IngestOutcome; leadId: number | null; callId: string }
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
 * Turns one webhook request into a reply, and keeps the delivery whatever happens: accepted
 * deliveries are stored by the ingest function in the same transaction as the call; refused
 * ones are stored with their error code. Every processed outcome, duplicates included, is a 200
 * so the sender never retries a success; only a database outage (503) asks it to retry.
 * Knows nothing of HTTP exceptions: it takes requests and refusals, and returns replies.
 */
@Injectable()
export class WebhookDeliveryService {
  private readonly logger = new Logger(WebhookDeliveryService.name);
  private readonly normalizeOptions: NormalizeOptions;
  private readonly secretHeaders: string[];

  constructor(
    private readonly ingest: CallIngestService,
    private readonly repository: LeadSyncRepository,
    private readonly metrics: MetricsService,
    @Inject(businessConfig.KEY) business: ConfigType<typeof businessConfig>,
    @Inject(webhookSecurityConfig.KEY) security: ConfigType<typeof webhookSecurityConfig>,
  ) {
    this.normalizeOptions = {
      defaultCountry: business.defaultCountry,
      timezone: business.timezone,
    };
    this.secretHeaders = [security.signatureHeader];
  }

  async handle(
    request: WebhookRequest,
    arrivalPath: ArrivalPath = 'webhook',
    replayOf?: number,
  ): Promise<WebhookReply> {
    const delivery = { ...toDeliveryRecord(request, this.secretHeaders), replayOf };
    let fields: unknown;
    let call: CallEvent;
    try {
      fields = decodeWebhookPayload(request);
      call = normalizeCall(fields, this.normalizeOptions);
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      const refusal = { ...refusalOf(error), authenticated: true };
      return this.refuse(request, refusal, replayOf);
    }

    try {
      const result = await this.ingest.ingest(call, arrivalPath, fields, delivery);
      this.metrics.delivery(200, result.outcome);
      this.logger.log(
        `Delivery ${request.requestId} via ${arrivalPath}: ${result.outcome}, call ${result.callId}, ` +
          `phone ${maskPhone(call.customerPhone)}, lead ${result.leadId ?? '-'}`,
      );
      return {
        status: 200,
        body: {
          success: true,
          outcome: result.outcome,
          leadId: result.leadId,
          callId: result.callId,
        },
      };
    } catch (error) {
      if (error instanceof StorageUnavailableError) return this.unavailable(request, error);
      throw error;
    }
  }

  /**
   * Stores a refused delivery and builds its reply. A body the transport never read (the
   * request was refused before parsing: too large, an unreadable URL) is recorded by its size.
   */
  async refuse(
    request: WebhookRequest,
    refusal: Refusal,
    replayOf?: number,
  ): Promise<WebhookReply> {
    const unread = request.rawBody === undefined && declaredLength(request) > 0;
    const delivery: DeliveryRecord = {
      ...toDeliveryRecord(request, this.secretHeaders),
      bodyStored: !unread,
      bodyBytes: unread ? declaredLength(request) : (request.rawBody?.length ?? 0),
      httpStatus: refusal.status,
      errorCode: refusal.code,
      replayOf,
    };
    try {
      await this.repository.recordDelivery(delivery);
    } catch (storageError) {
      if (storageError instanceof StorageUnavailableError)
        return this.unavailable(request, storageError);
      throw storageError;
    }
    this.metrics.delivery(refusal.status, refusal.code);
    this.logger.warn(
      `Delivery ${request.requestId} rejected with ${refusal.status} ${refusal.code}`,
    );
    return {
      status: refusal.status,
      body: { success: false, code: refusal.code, message: refusal.message },
    };
  }

  private unavailable(request: WebhookRequest, error: StorageUnavailableError): WebhookReply {
    this.metrics.delivery(503, error.code);
    this.logger.error(`Delivery ${request.requestId} not stored: the database is unavailable`);
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
