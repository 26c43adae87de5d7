import fastifyHelmet from '@fastify/helmet';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { identifyApiKey } from '../guards/api-key';

/**
 * The API serves JSON only: nothing may load, frame it, or be submitted from it. The operator
 * console (a later page) gets its own policy on its own routes.
 */
const API_CSP = {
  defaultSrc: ["'none'"],
  frameAncestors: ["'none'"],
  baseUri: ["'none'"],
  formAction: ["'none'"],
};

/** Swagger UI: its own scripts, styles (some inline) and images, nothing from elsewhere. */
const DOCS_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
  "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; " +
  "form-action 'none'";

function isDocsPath(url: string, docsPath: string): boolean {
  return (
    url === `/${docsPath}` || url.startsWith(`/${docsPath}/`) || url.startsWith(`/${docsPath}-`)
  );
}

/**
 * Security headers on every answer through @fastify/helmet (nosniff, frame denial, no referrer,
 * HSTS, a strict CSP), the documentation pages excepted from the CSP's `'none'` so they render.
 */
export function registerSecurityHeaders(fastify: FastifyInstance, docsPath: string): void {
  void fastify.register(fastifyHelmet, {
    global: true,
    contentSecurityPolicy: { useDefaults: false, directives: API_CSP },
    crossOriginResourcePolicy: { policy: 'same-origin' },
  });
  fastify.addHook('onSend', async (request, reply, payload) => {
    if (isDocsPath(request.url, docsPath)) void reply.header('content-security-policy', DOCS_CSP);
    return payload;
  });
}

/**
 * Puts the documentation (Swagger UI, `/<docs>-json`) behind the internal API key, for
 * production deployments that opt into serving it (OPENAPI_ENABLED=true).
 */
export function requireApiKeyForDocs(
  fastify: FastifyInstance,
  docsPath: string,
  keys: readonly string[],
): void {
  fastify.addHook('onRequest', async (request: FastifyRequest, reply) => {
    if (!isDocsPath(request.url, docsPath) || identifyApiKey(request, keys) !== undefined) return;
    await reply.status(401).send({
      success: false,
      code: 'unauthorized',
      message: 'The API documentation needs an internal API key (x-api-key).',
    });
  });
}
