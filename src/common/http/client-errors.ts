import type { FastifyInstance, FastifyRequest } from 'fastify';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';

export type AbandonReason = 'timeout' | 'aborted';

const timedOut = new WeakSet<Socket>();
const observers = new WeakMap<object, (reason: AbandonReason) => void>();

/** Who hears of requests that never arrived whole (the metrics), per Fastify instance. */
export function observeAbandonedRequests(
  fastify: FastifyInstance,
  observer: (reason: AbandonReason) => void,
): void {
  observers.set(fastify, observer);
}

/** Tells of one abandoned request, once. */
export function reportAbandoned(fastify: object, reason: AbandonReason): void {
  observers.get(fastify)?.(reason);
}

/**
 * Fastify's `clientErrorHandler`, as its default (a 408 for a request that overran
 * HTTP_REQUEST/HEADERS_TIMEOUT, 431, 400), plus: a timeout is counted, and its socket marked, so
 * the error the unfinished request then raises is recognised and neither stored nor logged.
 */
export function handleClientError(
  this: FastifyInstance,
  error: Error & { code?: string },
  socket: Socket,
): void {
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    timedOut.add(socket);
    reportAbandoned(this, 'timeout');
  }
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const status =
    error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? 408
      : error.code === 'HPE_HEADER_OVERFLOW'
        ? 431
        : 400;
  const body = JSON.stringify({
    success: false,
    code: status === 408 ? 'request_timeout' : status === 431 ? 'headers_too_large' : 'bad_request',
    message: STATUS_CODES[status],
  });
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `Content-Type: application/json\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}

/**
 * Whether the client is gone before an answer could be sent: its upload timed out, or it hung
 * up (null otherwise). Such a request gets no reply, no stored row and no error log line.
 */
export function abandonment(request: FastifyRequest): AbandonReason | null {
  const socket = request.raw.socket as Socket | null;
  if (socket && timedOut.has(socket)) return 'timeout';
  // The request stream itself is destroyed after every complete body; only the socket tells.
  if (socket?.destroyed) return 'aborted';
  return null;
}
