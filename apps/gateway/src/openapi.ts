import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import {
  DocumentBuilder,
  SwaggerModule,
  type OpenAPIObject,
  type OperationObject,
  type ResponseObject,
  type SchemaObject,
} from '@nestjs/swagger';
import type { ErrorCode } from '@ais/domain';
import { PROBLEM_CONTENT_TYPE, PROBLEM_TYPE_BASE, describeCode } from '@ais/http-kit';

/** The OpenAPI document is generated from the controllers and DTOs; served at /openapi.json, UI at /docs. */
export function buildOpenApi(app: NestFastifyApplication, publicUrl: string): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('AIS Gateway API')
    .setDescription(
      'One REST API over UK OBIE 3.1, Bahrain and Berlin Group NextGenPSD2 banks: consents, accounts, balances, ' +
        'transactions, a change feed and signed webhooks. Errors are application/problem+json (RFC 9457). ' +
        'Money is a decimal string with the currency’s minor units; never a JSON number.',
    )
    .setVersion('1.0')
    .addServer(publicUrl)
    .addBearerAuth(
      { type: 'http', scheme: 'bearer', description: 'API key (sk_…) or access token from POST /v1/oauth/token' },
      'tenant',
    )
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'Operator token (ADMIN_TOKEN)' }, 'admin')
    .build();
  return withProblems(
    SwaggerModule.createDocument(app, config, {
      // Stable, readable operation ids (the SDK's function names): `consents_create` → consentsCreate.
      operationIdFactory: (controller: string, method: string) =>
        `${controller.replace(/Controller$/, '').replace(/^./, (c) => c.toLowerCase())}_${method}`,
    }),
  );
}

const PROBLEM_SCHEMA: SchemaObject = {
  type: 'object',
  description:
    'RFC 9457 problem details. Some problems carry extension members (e.g. retryAfterSeconds, nextAllowedAt): ' +
    'see docs/api.md.',
  required: ['type', 'title', 'status', 'detail', 'code', 'requestId'],
  properties: {
    type: { type: 'string', format: 'uri', example: `${PROBLEM_TYPE_BASE}validation_failed` },
    title: { type: 'string' },
    status: { type: 'integer', minimum: 400, maximum: 599 },
    detail: { type: 'string' },
    code: { type: 'string', description: 'Stable machine-readable code (docs/api.md lists them).' },
    requestId: { type: 'string' },
    errors: {
      type: 'array',
      items: {
        type: 'object',
        required: ['field', 'message'],
        properties: { field: { type: 'string' }, message: { type: 'string' } },
        additionalProperties: false,
      },
    },
  },
  additionalProperties: true,
};

function problemResponse(description: string, code: ErrorCode, detail: string): ResponseObject {
  const { status, title } = describeCode(code);
  return {
    description,
    content: {
      [PROBLEM_CONTENT_TYPE]: {
        schema: { $ref: '#/components/schemas/Problem' },
        example: { type: `${PROBLEM_TYPE_BASE}${code}`, title, status, detail, code, requestId: 'req_01JD8Z4Q' },
      },
    },
  };
}

/**
 * Every operation's error answers, from what the gateway does to every request: problem+json with the
 * Problem schema for each status an operation can answer (400 when it takes input, 401/403/429 when it
 * needs a credential, 404 when its path names an object) and `default` for the rest (5xx included).
 * Statuses a controller declares itself keep their description and get the schema.
 */
export function withProblems(doc: OpenAPIObject): OpenAPIObject {
  doc.components = { ...doc.components, schemas: { ...doc.components?.schemas, Problem: PROBLEM_SCHEMA } };
  for (const [path, item] of Object.entries(doc.paths))
    for (const method of ['get', 'put', 'post', 'patch', 'delete'] as const) {
      const op = (item as Record<string, OperationObject | undefined>)[method];
      if (!op) continue;
      const responses = op.responses as Record<string, ResponseObject>;
      const secured = (op.security ?? []).length > 0;
      const tenant = (op.security ?? []).some((s) => 'tenant' in s);
      const takesInput = (op.parameters ?? []).length > 0 || op.requestBody !== undefined;
      const add = (status: string, response: ResponseObject) => {
        const declared = responses[status];
        // A status the controller declared keeps its words and headers (Retry-After…) and gets the schema.
        responses[status] = declared
          ? {
              ...declared,
              description: declared.description || response.description,
              content: declared.content ?? response.content,
            }
          : response;
      };
      if (takesInput)
        add('400', problemResponse('Invalid input', 'validation_failed', 'limit must not be greater than 500'));
      if (secured) add('401', problemResponse('Missing or invalid credential', 'unauthorized', 'Invalid credentials.'));
      if (tenant)
        add('403', problemResponse('The tenant is suspended', 'tenant_suspended', 'The tenant is suspended.'));
      if (path.includes('{'))
        add('404', problemResponse('No such object (or another tenant’s)', 'not_found', 'Consent not found'));
      if (tenant || path === '/v1/oauth/token')
        add(
          '429',
          problemResponse('Rate limited: Retry-After says when to try again', 'rate_limited', 'Rate limit exceeded.'),
        );
      for (const [status, response] of Object.entries(responses))
        if (Number(status) >= 400 && !response.content)
          add(status, problemResponse(response.description, codeFor(Number(status)), response.description));
      responses.default = problemResponse(
        'Any other error, as problem+json',
        'internal_error',
        'An unexpected error occurred.',
      );
    }
  return doc;
}

function codeFor(status: number): ErrorCode {
  const codes: Record<number, ErrorCode> = {
    400: 'validation_failed',
    401: 'unauthorized',
    403: 'forbidden',
    404: 'not_found',
    409: 'conflict',
    429: 'rate_limited',
    503: 'provider_unavailable',
  };
  return codes[status] ?? 'internal_error';
}

export function serveOpenApi(app: NestFastifyApplication, document: OpenAPIObject): void {
  SwaggerModule.setup('docs', app, document, {
    jsonDocumentUrl: 'openapi.json',
    yamlDocumentUrl: 'openapi.yaml',
    customSiteTitle: 'AIS Gateway API',
  });
}
