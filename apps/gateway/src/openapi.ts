import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';

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
  return SwaggerModule.createDocument(app, config);
}

export function serveOpenApi(app: NestFastifyApplication, document: OpenAPIObject): void {
  SwaggerModule.setup('docs', app, document, {
    jsonDocumentUrl: 'openapi.json',
    yamlDocumentUrl: 'openapi.yaml',
    customSiteTitle: 'AIS Gateway API',
  });
}
