import { HttpException, Inject, Injectable, Logger } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { ConfigType } from '@nestjs/config';
import { DomainError } from '../common/domain-error';
import { describeException } from '../common/filters/all-exceptions.filter';
import { businessConfig, webhookSecurityConfig } from '../config';
import {
  AssignmentReason,
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
import { isWebhookReceivingPath, webhookRequestOf } from './webhook-request';

export type WebhookResponseBody =
  | {
      success: true;
      outcome: IngestOutcome;
      leadId: number | null;
      callId: string;
      assignedTo: string | null;
      assignmentReason: AssignmentReason | null;
    }
  | { success: false; code: string; message: string };

export interface WebhookReply {
  status: number;
  body: WebhookResponseBody;
}

/**
 * Turns one webhook request into a reply, and keeps the delivery whatever happens: accepted
 * deliveries are stored by the ingest function in the same transaction as the call; rejected
 * ones are stored with their error code. Every processed outcome, duplicates included, is a 200
 * so the sender never retries a success; only a database outage (503) asks it to retry.
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
      if (error instanceof DomainError) return this.reject(request, error, { replayOf });
      throw error;
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
   * Stores a delivery that was refused (by a guard, a limit, or its content) and builds the
   * reply for it. `bodyStored: false` keeps an oversized body out of the database.
   */
  async reject(
    request: WebhookRequest,
    error: unknown,
    options: { bodyStored?: boolean; replayOf?: number } = {},
  ): Promise<WebhookReply> {
    const { status, body } = describeException(error, (unexpected) =>
      this.logger.error(`Delivery ${request.requestId} failed: ${(unexpected as Error)?.message}`),
    );
    const bodyStored = options.bodyStored ?? true;
    const delivery: DeliveryRecord = {
      ...toDeliveryRecord(
        bodyStored ? request : { ...request, rawBody: undefined },
        this.secretHeaders,
      ),
      bodyStored,
      bodyBytes: bodyStored ? (request.rawBody?.length ?? 0) : contentLength(request),
      httpStatus: status,
      errorCode: body.code,
      replayOf: options.replayOf,
    };
    try {
      await this.repository.recordDelivery(delivery);
    } catch (storageError) {
      if (storageError instanceof StorageUnavailableError)
        return this.unavailable(request, storageError);
      throw storageError;
    }
    this.metrics.delivery(status, body.code);
    this.logger.warn(`Delivery ${request.requestId} rejected with ${status} ${body.code}`);
    return { status, body };
  }

  /**
   * For the global exception filter: errors raised on a webhook route before its controller ran
   * (an oversized body) are stored like any refusal, without the body. Null for other routes.
   */
  readonly respondBeforeRouting = (request: FastifyRequest, exception: unknown) => {
    if (!isWebhookReceivingPath(request.url)) return null;
    const tooLarge = exception instanceof HttpException && exception.getStatus() === 413;
    const error = tooLarge
      ? new DomainError('payload_too_large', `The body is larger than this endpoint accepts.`)
      : exception;
    return this.reject(webhookRequestOf(request), error, {
      bodyStored: !tooLarge,
    });
  };

  private unavailable(request: WebhookRequest, error: StorageUnavailableError): WebhookReply {
    this.metrics.delivery(503, error.code);
    this.logger.error(`Delivery ${request.requestId} not stored: the database is unavailable`);
    return { status: 503, body: { success: false, code: error.code, message: error.message } };
  }
}

function contentLength(request: WebhookRequest): number | null {
  const value = Number(request.headers['content-length']);
  return Number.isFinite(value) ? value : null;
}
