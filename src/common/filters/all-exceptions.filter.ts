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
import { abandonment, reportAbandoned } from '../http/client-errors';

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
 * The status and body for any error: domain errors keep their code and their own status, HTTP
 * exceptions their status, a framework error its 4xx (a static file refused, say), and anything
 * else becomes a 500 whose details only `logUnexpected` sees.
 */
export function describeException(
  exception: unknown,
  logUnexpected: (error: unknown) => void,
): DescribedError {
  if (exception instanceof DomainError) {
    const status = exception.httpStatus;
    if (status >= 500 && status !== 503) logUnexpected(exception);
    return { status, body: { success: false, code: exception.code, message: exception.message } };
  }
  if (exception instanceof HttpException) return describeHttpException(exception);
  const clientStatus = clientErrorStatusOf(exception);
  if (clientStatus !== undefined) {
    // Framework messages may name the path (and so a token): say only what kind of refusal.
    const code = codeOfHttpStatus(clientStatus);
    return { status: clientStatus, body: { success: false, code, message: `Refused: ${code}.` } };
  }
  logUnexpected(exception);
  return {
    status: HttpStatus.INTERNAL_SERVER_ERROR,
    body: { success: false, code: 'internal_error', message: 'Something went wrong on our side.' },
  };
}

function describeHttpException(exception: HttpException): DescribedError {
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

/** A 4xx carried by a framework error (`statusCode` from Fastify, `status` from `send`). */
function clientErrorStatusOf(exception: unknown): number | undefined {
  if (typeof exception !== 'object' || exception === null) return undefined;
  const { statusCode, status } = exception as { statusCode?: unknown; status?: unknown };
  const value = typeof statusCode === 'number' ? statusCode : status;
  return typeof value === 'number' && value >= 400 && value < 500 ? value : undefined;
}

/**
 * Lets a family of routes answer errors on its own (the webhook routes store every refusal):
 * returns the reply to send, or null to leave the error to the default handling.
 */
export type ExceptionResponder = (
  request: FastifyRequest,
  exception: unknown,
) => Promise<{ status: number; body: unknown }> | null;

/**
 * The one catch-all at the edge: every error leaves as `{success: false, code, message}`, and an
 * unexpected one is logged with its request id but never shown to the client. Errors Fastify
 * raises before routing (an unreadable URL) are handed to `answer` too, so a route family's
 * responder sees every error on its paths, whenever it happened.
 */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger(AllExceptionsFilter.name);

  constructor(private readonly responders: readonly ExceptionResponder[] = []) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    this.answer(http.getRequest<FastifyRequest>(), http.getResponse<FastifyReply>(), exception);
  }

  answer(request: FastifyRequest, reply: FastifyReply, exception: unknown): void {
    // A client that hung up or overran its time gets no answer, no stored row, no error line.
    const abandoned = abandonment(request);
    if (abandoned !== null) {
      if (abandoned === 'aborted') reportAbandoned(request.server, 'aborted');
      return;
    }
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
