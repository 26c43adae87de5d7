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
  bad_request: HttpStatus.BAD_REQUEST,
  invalid_payload: HttpStatus.BAD_REQUEST,
  invalid_token: HttpStatus.UNAUTHORIZED,
  invalid_signature: HttpStatus.UNAUTHORIZED,
  signature_expired: HttpStatus.UNAUTHORIZED,
  ip_not_allowed: HttpStatus.FORBIDDEN,
  not_found: HttpStatus.NOT_FOUND,
  payload_too_large: HttpStatus.PAYLOAD_TOO_LARGE,
  unsupported_media_type: HttpStatus.UNSUPPORTED_MEDIA_TYPE,
  no_customer_phone: HttpStatus.UNPROCESSABLE_ENTITY,
  rate_limited: HttpStatus.TOO_MANY_REQUESTS,
  invalid_window: HttpStatus.BAD_REQUEST,
  sync_in_progress: HttpStatus.CONFLICT,
  sync_not_configured: HttpStatus.CONFLICT,
  recount_in_progress: HttpStatus.CONFLICT,
  knowlarity_credentials: HttpStatus.BAD_GATEWAY,
  knowlarity_unavailable: HttpStatus.BAD_GATEWAY,
  knowlarity_bad_response: HttpStatus.BAD_GATEWAY,
  storage_unavailable: HttpStatus.SERVICE_UNAVAILABLE,
};

export function statusOfDomainError(error: DomainError): number {
  return STATUS_BY_CODE[error.code] ?? HttpStatus.INTERNAL_SERVER_ERROR;
}

/** snake_case codes for Nest's own HTTP exceptions (404 for an unknown route, ...). */
export function codeOfHttpStatus(status: number): string {
  if (status === 429) return 'rate_limited';
  const name = HttpStatus[status] as string | undefined;
  return name ? name.toLowerCase() : 'http_error';
}

export interface DescribedError {
  status: number;
  body: { success: false; code: string; message: string };
}

/**
 * The status and body for any error: domain errors keep their code, HTTP exceptions their
 * status, and anything else becomes a 500 whose details only `logUnexpected` sees.
 */
export function describeException(
  exception: unknown,
  logUnexpected: (error: unknown) => void,
): DescribedError {
  if (exception instanceof DomainError) {
    const status = statusOfDomainError(exception);
    if (status >= 500 && status !== 503) logUnexpected(exception);
    return { status, body: { success: false, code: exception.code, message: exception.message } };
  }
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const response = exception.getResponse() as
      { code?: string; message?: string | string[] } | string;
    const code =
      typeof response === 'object' && response.code ? response.code : codeOfHttpStatus(status);
    // Nest's own 404 names the URL, which may hold a token: say nothing about it.
    if (status === 404 && code === 'not_found' && typeof response === 'object' && !response.code) {
      return { status, body: { success: false, code, message: 'No such endpoint.' } };
    }
    const message =
      typeof response === 'string'
        ? response
        : Array.isArray(response.message)
          ? response.message.join('; ')
          : (response.message ?? exception.message);
    return { status, body: { success: false, code, message } };
  }
  logUnexpected(exception);
  return {
    status: HttpStatus.INTERNAL_SERVER_ERROR,
    body: { success: false, code: 'internal_error', message: 'Something went wrong on our side.' },
  };
}

/**
 * Lets a family of routes answer errors raised before its controller runs (an oversized body,
 * say): returns the reply to send, or null to leave the error to the default handling.
 */
export type ExceptionResponder = (
  request: FastifyRequest,
  exception: unknown,
) => Promise<{ status: number; body: unknown }> | null;

/**
 * The one catch-all at the edge: every error leaves as `{success: false, code, message}`, and an
 * unexpected one is logged with its request id but never shown to the client.
 */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger(AllExceptionsFilter.name);

  constructor(private readonly responders: readonly ExceptionResponder[] = []) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const request = host.switchToHttp().getRequest<FastifyRequest>();
    const answered = this.responders.map((respond) => respond(request, exception)).find(Boolean);
    const fallback = () =>
      describeException(exception, (error) => {
        const err = error as Error;
        this.logger.error(
          `Request ${request.id} failed: ${err?.name}: ${err?.message}`,
          err?.stack,
        );
      });
    void (answered ?? Promise.resolve<{ status: number; body: unknown }>(fallback()))
      .catch(fallback)
      .then(({ status, body }) => reply.status(status).send(body));
  }
}
