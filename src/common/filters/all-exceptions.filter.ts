import {
  ArgumentsHost,
  Catch,
  ExceptionFilter,
  HttpException,
  HttpStatus,
  Logger,
} from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from '../domain-error';

/** Stable HTTP statuses of the domain error codes that can reach a client. */
const STATUS_BY_CODE: Record<string, number> = {
  invalid_payload: HttpStatus.BAD_REQUEST,
  no_customer_phone: HttpStatus.UNPROCESSABLE_ENTITY,
  unsupported_media_type: HttpStatus.UNSUPPORTED_MEDIA_TYPE,
  storage_unavailable: HttpStatus.SERVICE_UNAVAILABLE,
};

export function statusOfDomainError(error: DomainError): number {
  return STATUS_BY_CODE[error.code] ?? HttpStatus.INTERNAL_SERVER_ERROR;
}

/** snake_case codes for Nest's own HTTP exceptions (404 for an unknown route, ...). */
function codeOfHttpStatus(status: number): string {
  const name = HttpStatus[status] as string | undefined;
  return name ? name.toLowerCase() : 'http_error';
}

/**
 * The one catch-all at the edge: every error leaves as `{success: false, code, message}`. Domain
 * errors keep their code; HTTP exceptions keep their status; anything else is a 500 whose details
 * go to the log, never to the client.
 */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger(AllExceptionsFilter.name);

  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const request = host.switchToHttp().getRequest<FastifyRequest>();
    const { status, body } = this.describe(exception, request);
    void reply.status(status).send(body);
  }

  private describe(exception: unknown, request: FastifyRequest) {
    if (exception instanceof DomainError) {
      const status = statusOfDomainError(exception);
      if (status >= 500 && status !== 503) this.logUnexpected(exception, request);
      return { status, body: { success: false, code: exception.code, message: exception.message } };
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const response = exception.getResponse() as
        { code?: string; message?: string | string[] } | string;
      const code =
        typeof response === 'object' && response.code ? response.code : codeOfHttpStatus(status);
      const message =
        typeof response === 'string'
          ? response
          : Array.isArray(response.message)
            ? response.message.join('; ')
            : (response.message ?? exception.message);
      return { status, body: { success: false, code, message } };
    }
    this.logUnexpected(exception, request);
    return {
      status: HttpStatus.INTERNAL_SERVER_ERROR,
      body: {
        success: false,
        code: 'internal_error',
        message: 'Something went wrong on our side.',
      },
    };
  }

  private logUnexpected(exception: unknown, request: FastifyRequest): void {
    const error = exception as Error;
    this.logger.error(
      `Request ${request.id} failed: ${error?.name}: ${error?.message}`,
      error?.stack,
    );
  }
}
