import SwaggerParser from '@apidevtools/swagger-parser';
import { Ajv, type ValidateFunction } from 'ajv';

interface MediaType {
  schema?: unknown;
}
interface Response {
  description?: string;
  content?: Record<string, MediaType>;
}
interface Operation {
  responses: Record<string, Response>;
}
type Document = { paths: Record<string, Record<string, Operation>> };

/**
 * The gateway's published contract, checked against real answers: each response must be declared for its
 * operation and status (or the operation's `default`), and its body must match the declared schema with
 * no undeclared field (objects with declared properties are closed unless they say otherwise).
 */
export class ResponseContract {
  private readonly ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
  private readonly compiled = new Map<string, ValidateFunction>();
  private readonly routes: { template: string; pattern: RegExp }[];
  /** `METHOD template status` of every response checked, for coverage assertions. */
  readonly seen = new Set<string>();

  private constructor(private readonly doc: Document) {
    const params = (t: string) => t.split('{').length - 1;
    this.routes = Object.keys(doc.paths)
      .map((template) => ({
        template,
        pattern: new RegExp(
          `^${template
            .split(/\{[^}]+\}/)
            .map((part) => part.replace(/[.*+?^$()|[\]\\]/g, '\\$&'))
            .join('[^/]+')}$`,
        ),
      }))
      // Literal segments win: /v1/transactions/sync is not /v1/transactions/{id}.
      .sort((a, b) => params(a.template) - params(b.template));
  }

  /** The document as published (fetched from a running gateway), with its $refs resolved. */
  static async fetch(baseUrl: string): Promise<ResponseContract> {
    const raw = (await (await fetch(`${baseUrl}/openapi.json`)).json()) as Document;
    return new ResponseContract(
      (await SwaggerParser.dereference(structuredClone(raw) as never)) as unknown as Document,
    );
  }

  /** The template of the operation a concrete path belongs to. */
  template(pathname: string): string | undefined {
    return this.routes.find((r) => r.pattern.test(pathname))?.template;
  }

  /** What is wrong with this answer, by the contract ([] when it conforms). */
  check(method: string, url: string, status: number, contentType: string, text: string): string[] {
    const pathname = new URL(url, 'http://x').pathname;
    const template = this.template(pathname);
    const where = `${method} ${template ?? pathname} → ${status}`;
    // A URL no route serves (an empty id segment, say) is the router's 404 problem, not an operation's.
    if (!template)
      return status === 404 && contentType.startsWith('application/problem+json') && text.includes('route_not_found')
        ? []
        : [`${where}: no such path in the document`];
    const op = this.doc.paths[template][method.toLowerCase()];
    if (!op) return [`${where}: no such operation in the document`];
    const key = String(status);
    const response = op.responses[key] ?? op.responses[`${key[0]}XX`] ?? op.responses.default;
    if (!response) return [`${where}: status not declared`];
    this.seen.add(`${method.toUpperCase()} ${template} ${key}`);
    if (status === 204 || status === 304 || (status >= 300 && status < 400)) return [];
    const media = contentType.split(';')[0].trim().toLowerCase();
    if (!response.content) return text.length === 0 ? [] : [`${where}: a body the document does not declare`];
    const declared = response.content[media];
    if (!declared)
      return [`${where}: content type ${media} not declared (${Object.keys(response.content).join(', ')})`];
    if (!media.includes('json') || declared.schema === undefined) return [];
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return [`${where}: not JSON`];
    }
    const id = `${method} ${template} ${key} ${media}`;
    let validate = this.compiled.get(id);
    if (!validate) {
      validate = this.ajv.compile(jsonSchemaOf(declared.schema) as object);
      this.compiled.set(id, validate);
    }
    return validate(body)
      ? []
      : (validate.errors ?? [])
          .slice(0, 5)
          .map((e) => `${where}: ${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`);
  }
}

/** OpenAPI 3.0 → JSON Schema for ajv: nullable becomes a null alternative; declared objects are closed. */
export function jsonSchemaOf(schema: unknown, seen = new Map<object, unknown>()): unknown {
  if (Array.isArray(schema)) return schema.map((s) => jsonSchemaOf(s, seen));
  if (!schema || typeof schema !== 'object') return schema;
  if (seen.has(schema)) return seen.get(schema);
  const out: Record<string, unknown> = {};
  const s = schema as { nullable?: boolean; properties?: object; additionalProperties?: unknown };
  const result = s.nullable ? { anyOf: [{ type: 'null' }, out] } : out;
  seen.set(schema, result);
  for (const [k, v] of Object.entries(schema))
    if (k !== 'nullable' && k !== 'example' && k !== 'examples') out[k] = jsonSchemaOf(v, seen);
  if (s.properties && s.additionalProperties === undefined) out.additionalProperties = false;
  return result;
}
