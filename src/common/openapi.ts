import { applyDecorators, INestApplication, Type } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiExtraModels,
  ApiOkResponse,
  ApiOperation,
  ApiProperty,
  ApiResponse,
  ApiSecurity,
  DocumentBuilder,
  getSchemaPath,
  OpenAPIObject,
  SwaggerModule,
} from '@nestjs/swagger';

/** Security scheme names in the document: the same internal API key, sent either way. */
export const API_KEY_SCHEME = 'api-key';
export const BEARER_SCHEME = 'bearer';

/** Where the interactive documentation is served; the JSON document is at `/docs-json`. */
export const DOCS_PATH = 'docs';

/** The body of every error response (AllExceptionsFilter). */
export class ErrorResponseDto {
  @ApiProperty({ enum: [false] })
  success!: false;

  @ApiProperty({ description: 'Stable, machine-readable error code.', example: 'bad_request' })
  code!: string;

  @ApiProperty({
    description: 'What went wrong, for people. Names the offending field; never echoes its value.',
  })
  message!: string;
}

/**
 * Documents one error status and the codes it can carry (as an enum on `code`), e.g.
 * `ApiErrorResponse(404, 'Not found', 'lead_not_found')`.
 */
export function ApiErrorResponse(
  status: number,
  description: string,
  ...codes: string[]
): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ApiExtraModels(ErrorResponseDto),
    ApiResponse({
      status,
      description: `${description} (code: ${codes.join(' | ')})`,
      schema: {
        allOf: [
          { $ref: getSchemaPath(ErrorResponseDto) },
          { properties: { code: { type: 'string', enum: codes } } },
        ],
      },
    }),
  );
}

/** One documented error: its status, what causes it, and the codes it can carry. */
export type ApiError = [status: number, description: string, ...codes: string[]];

/** Documents an endpoint: what it does, the body of its 200, and the errors it can answer with. */
export function ApiEndpoint(
  summary: string,
  type: Type | [Type],
  ...errors: ApiError[]
): MethodDecorator {
  return applyDecorators(
    ApiOperation({ summary }),
    ApiOkResponse({ type }),
    ...errors.map((error) => ApiErrorResponse(...error)),
  );
}

/** Documents a keyset-paged listing: a bad filter, limit or cursor is a 400. */
export function ApiPagedList(summary: string, type: Type, filters = 'filter'): MethodDecorator {
  return ApiEndpoint(summary, type, [
    400,
    `A bad ${filters}, limit or cursor`,
    'bad_request',
    'invalid_cursor',
  ]);
}

/**
 * Documents an endpoint family behind InternalApiKeyGuard: either security scheme satisfies it,
 * and a missing or wrong key is a 401. (The guard itself is applied with `@UseGuards`.)
 */
export function ApiInternalKey(): ClassDecorator & MethodDecorator {
  return applyDecorators(
    ApiSecurity(API_KEY_SCHEME),
    ApiBearerAuth(BEARER_SCHEME),
    ApiErrorResponse(401, 'No internal API key, or not a valid one', 'unauthorized'),
    ApiErrorResponse(503, 'The database is unavailable; retry later', 'storage_unavailable'),
  );
}

/** Adds what Nest's generator cannot see (routes registered on Fastify directly). */
export type DocumentExtension = (document: OpenAPIObject) => OpenAPIObject;

/**
 * The OpenAPI document, generated from the controllers and DTOs of a (built) application, then
 * given to each extension.
 */
export function buildOpenApiDocument(
  app: INestApplication,
  extensions: readonly DocumentExtension[] = [],
): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('knowlarity-lead-sync')
    .setDescription(
      'Turns Knowlarity calls into CRM leads. The look-ups (leads, calls, sources) need an ' +
        'internal API key, as `x-api-key` or `Authorization: Bearer`. Errors are ' +
        '`{success: false, code, message}`. Times are ISO 8601 in UTC; date filters also take ' +
        'plain dates (YYYY-MM-DD), read in the business time zone.',
    )
    .setVersion('1')
    .addApiKey(
      { type: 'apiKey', in: 'header', name: 'x-api-key', description: 'An INTERNAL_API_KEYS key' },
      API_KEY_SCHEME,
    )
    .addBearerAuth(
      { type: 'http', scheme: 'bearer', description: 'An INTERNAL_API_KEYS key' },
      BEARER_SCHEME,
    )
    .build();
  const document = SwaggerModule.createDocument(app, config, { extraModels: [ErrorResponseDto] });
  return extensions.reduce((built, extend) => extend(built), document);
}

const served = new WeakSet<INestApplication>();

/**
 * Serves Swagger UI at `/docs` and the document at `/docs-json` (`/docs-yaml`). The UI's assets
 * come from the swagger-ui-dist package through @fastify/static, nothing from the network; the
 * online spec validator is switched off for the same reason. The document is built on its first
 * request, once every module is initialised. Calling it twice on one app does nothing.
 */
export function setupOpenApi<T extends INestApplication>(
  app: T,
  extensions: readonly DocumentExtension[] = [],
): T {
  if (served.has(app)) return app;
  served.add(app);
  SwaggerModule.setup(DOCS_PATH, app, () => buildOpenApiDocument(app, extensions), {
    customSiteTitle: 'knowlarity-lead-sync API',
    swaggerOptions: { validatorUrl: null },
  });
  return app;
}
