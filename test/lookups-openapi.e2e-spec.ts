/**
 * The OpenAPI document at /docs: every look-up, every error code, the API-key security schemes,
 * and a Swagger UI whose assets are served locally.
 */
import { expect } from '@jest/globals';
import { RunningApp, startApp } from './support/app';
import { createPgliteDatabase, TestDatabase } from './support/databases';
import { readJson } from './support/http';

const API_KEY = 'lookup-test-key-0123456789abcdef';

/** An error response's schema: the shared envelope, then this route's `code` values. */
interface ErrorSchema {
  allOf: [unknown, { properties: { code: { enum?: string[] } } }];
}

type Operation = {
  security?: Array<Record<string, string[]>>;
  responses: Record<string, { content?: Record<string, { schema: ErrorSchema }> }>;
  parameters?: Array<{ name: string; in: string }>;
};

/** The parts of the OpenAPI document these tests read. */
interface OpenApiDocument {
  paths: Record<string, Record<string, Operation>>;
  components: {
    securitySchemes: Record<string, unknown>;
    schemas: Record<string, { properties: Record<string, unknown> }>;
  };
}

describe('OpenAPI at /docs', () => {
  let database: TestDatabase;
  let running: RunningApp;
  let document: OpenApiDocument;

  beforeAll(async () => {
    const created = await createPgliteDatabase();
    database = created.database;
    running = await startApp({
      repository: created.repository,
      env: { INTERNAL_API_KEYS: API_KEY },
    });
    document = await readJson<OpenApiDocument>(await fetch(`${running.url}/docs-json`));
  });
  afterAll(async () => {
    await running?.close();
    await database?.close();
  });

  const operation = (path: string, method: string): Operation => document.paths[path][method];
  /** The `code` values an error response documents. */
  const codes = (op: Operation, status: number): string[] =>
    op.responses[String(status)]?.content?.['application/json'].schema.allOf[1].properties.code
      .enum ?? [];

  it('serves Swagger UI and its assets without the network', async () => {
    const page = await fetch(`${running.url}/docs`);
    const html = await page.text();
    const bundle = await fetch(`${running.url}/docs/swagger-ui-bundle.js`);
    // Read to the end: an unread response keeps its connection busy and the app from closing.
    const bundleBytes = (await bundle.arrayBuffer()).byteLength;
    const init = await (await fetch(`${running.url}/docs/swagger-ui-init.js`)).text();

    expect(page.status).toBe(200);
    expect(html).toContain('swagger-ui');
    expect(html).not.toMatch(/src="https?:\/\//);
    expect(bundle.status).toBe(200);
    expect(bundleBytes).toBeGreaterThan(100_000);
    expect(init).toContain('"validatorUrl": null');
  });

  it('declares both ways of sending the internal API key', () => {
    expect(document.components.securitySchemes).toEqual({
      'api-key': expect.objectContaining({ type: 'apiKey', in: 'header', name: 'x-api-key' }),
      bearer: expect.objectContaining({ type: 'http', scheme: 'bearer' }),
    });
  });

  const lookups: Array<[string, string, number[]]> = [
    ['/leads', 'get', [200, 400, 401, 503]],
    ['/leads/{id}', 'get', [200, 400, 401, 404, 503]],
    ['/calls', 'get', [200, 400, 401, 503]],
    ['/calls/{callId}', 'get', [200, 401, 404, 503]],
    ['/sources', 'get', [200, 401, 503]],
    ['/sources/{id}', 'get', [200, 400, 401, 404, 503]],
    ['/sources', 'post', [201, 400, 401, 409, 503]],
  ];

  it.each(lookups)('%s %s: secured, with every status it answers', (path, method, statuses) => {
    const op = operation(path, method);

    expect(op.security).toEqual([{ 'api-key': [] }, { bearer: [] }]);
    expect(Object.keys(op.responses).map(Number).sort()).toEqual(statuses);
    expect(codes(op, 401)).toEqual(['unauthorized']);
  });

  it('names each error code', () => {
    expect(codes(operation('/leads', 'get'), 400)).toEqual(['bad_request', 'invalid_cursor']);
    expect(codes(operation('/calls', 'get'), 400)).toEqual(['bad_request', 'invalid_cursor']);
    expect(codes(operation('/leads/{id}', 'get'), 404)).toEqual(['lead_not_found']);
    expect(codes(operation('/calls/{callId}', 'get'), 404)).toEqual(['call_not_found']);
    expect(codes(operation('/sources/{id}', 'get'), 404)).toEqual(['source_not_found']);
    expect(codes(operation('/sources', 'post'), 409)).toEqual(['source_exists']);
  });

  it('documents the Hook API routes, served outside Nest, with every refusal they answer', () => {
    for (const path of ['/webhooks/knowlarity', '/webhooks/knowlarity/{token}']) {
      for (const method of ['get', 'post']) {
        const op = operation(path, method);

        expect([path, method, op.security]).toEqual([path, method, undefined]);
        expect(Object.keys(op.responses).map(Number).sort()).toEqual([
          200, 400, 401, 403, 405, 413, 415, 422, 429, 503,
        ]);
      }
    }
    expect(codes(operation('/webhooks/knowlarity/{token}', 'post'), 401)).toEqual([
      'invalid_token',
      'invalid_signature',
      'signature_expired',
    ]);
    expect(codes(operation('/webhooks/knowlarity', 'get'), 429)).toEqual(['rate_limited']);
  });

  it('documents the query parameters and response models from the DTOs', () => {
    const names = (op: Operation) => (op.parameters ?? []).map((p) => `${p.in}:${p.name}`).sort();

    expect(names(operation('/leads', 'get'))).toEqual(
      [
        'query:createdFrom',
        'query:createdTo',
        'query:cursor',
        'query:limit',
        'query:phone',
        'query:q',
        'query:sourceId',
        'query:status',
      ].sort(),
    );
    expect(names(operation('/calls', 'get'))).toEqual(
      [
        'query:cursor',
        'query:direction',
        'query:from',
        'query:leadId',
        'query:limit',
        'query:phone',
        'query:status',
        'query:to',
      ].sort(),
    );
    expect(names(operation('/sources/{id}', 'get'))).toEqual(['path:id', 'query:days']);
    expect(Object.keys(document.components.schemas)).toEqual(
      expect.arrayContaining([
        'LeadPageDto',
        'LeadDto',
        'LeadDetailDto',
        'LeadSourceEntryDto',
        'CallDto',
        'CallPageDto',
        'SourceDto',
        'SourceDetailDto',
        'DayCountDto',
        'CreateSourceBody',
        'ErrorResponseDto',
      ]),
    );
    expect(document.components.schemas.LeadDetailDto.properties.calls).toEqual({
      type: 'array',
      description: expect.any(String),
      items: { $ref: '#/components/schemas/CallDto' },
    });
  });
});
