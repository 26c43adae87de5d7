import fastifyHelmet from '@fastify/helmet';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
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

const HELMET_OPTIONS = {
  global: true,
  contentSecurityPolicy: { useDefaults: false, directives: API_CSP },
  crossOriginResourcePolicy: { policy: 'same-origin' as const },
};

/**
 * The headers @fastify/helmet sets with our options (nosniff, frame denial, no referrer, HSTS, a
 * strict CSP, ...), read once from a private Fastify instance. Registered on the service itself,
 * the plugin builds helmet's middleware anew for every request and writes each header through
 * Node's `setHeader` (about 8% of the CPU per webhook); the headers do not depend on the request,
 * so they are computed once, by helmet, and set in one call.
 */
export async function securityHeaders(): Promise<Record<string, string>> {
  const probe = Fastify();
  let headers: Record<string, string> = {};
  await probe.register(fastifyHelmet, HELMET_OPTIONS);
  probe.get('/', (_request, reply) => {
    // Helmet writes on the raw response; Fastify's own headers are not written yet.
    const set = reply.raw.getHeaders();
    headers = Object.fromEntries(Object.entries(set).map(([name, value]) => [name, String(value)]));
    return '';
  });
  await probe.inject({ url: '/' });
  await probe.close();
  return headers;
}

/**
 * Security headers (see {@link securityHeaders}) on every answer, the documentation pages excepted
 * from the CSP's `'none'` so they render. A route may still set its own (the console's CSP).
 */
export function registerSecurityHeaders(
  fastify: FastifyInstance,
  docsPath: string,
  headers: Readonly<Record<string, string>>,
): void {
  fastify.addHook('onRequest', (_request, reply, done) => {
    void reply.headers(headers);
    done();
  });
  fastify.addHook('onSend', (request, reply, payload, done) => {
    if (isDocsPath(request.url, docsPath)) void reply.header('content-security-policy', DOCS_CSP);
    done(null, payload);
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
