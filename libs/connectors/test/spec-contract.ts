import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import SwaggerParser from '@apidevtools/swagger-parser';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import YAML from 'yaml';
import type { HttpExchange } from '../src/index.js';

/**
 * The official specs, vendored in the repository at specs/ (see specs/README.md). Read only: copies are
 * built at test time. Resolved here rather than taken from @ais/testing, which connectors may not import.
 */
export const SPECS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../specs');

type Json = Record<string, any>;

const DOC_ONLY = new Set([
  'example',
  'examples',
  'xml',
  'externalDocs',
  'discriminator',
  'deprecated',
  'readOnly',
  'writeOnly',
  'nullable',
]);

/** An OpenAPI 3.0 schema object as JSON Schema for ajv: `nullable` as a null type, draft-4 boolean exclusive bounds. */
function toJsonSchema(schema: unknown, seen = new Map<object, unknown>()): unknown {
  if (Array.isArray(schema)) return schema.map((s) => toJsonSchema(s, seen));
  if (!schema || typeof schema !== 'object') return schema;
  if (seen.has(schema)) return seen.get(schema);
  const out: Json = {};
  seen.set(schema, out);
  for (const [k, v] of Object.entries(schema as Json)) {
    if (DOC_ONLY.has(k)) continue;
    out[k] =
      k === 'properties' || k === 'patternProperties'
        ? Object.fromEntries(Object.entries(v as Json).map(([pk, pv]) => [pk, toJsonSchema(pv, seen)]))
        : toJsonSchema(v, seen);
  }
  for (const [flag, bound] of [
    ['exclusiveMinimum', 'minimum'],
    ['exclusiveMaximum', 'maximum'],
  ] as const) {
    if (out[flag] === true && typeof out[bound] === 'number') {
      out[flag] = out[bound];
      delete out[bound];
    } else if (typeof out[flag] === 'boolean') delete out[flag];
  }
  if ((schema as Json).nullable === true) {
    if (typeof out.type === 'string') out.type = [out.type, 'null'];
    else if (!out.type) out.anyOf = [{ ...out }, { type: 'null' }];
  }
  return out;
}

/** A deviation a bank documents and the connector is built to absorb: allowed only where it is listed. */
export interface DocumentedQuirk {
  path: RegExp;
  keyword: string;
  why: string;
}

/**
 * One bank's view of an official spec: a test-time copy with the bank's base path prefixed to every
 * path key (a `servers` entry cannot express /allstar/open-banking/v3.1/aisp), dereferenced, with
 * ajv validators for its schemas. The spec file itself is never written.
 */
export class SpecContract {
  private readonly ajv: Ajv;
  private readonly cache = new Map<unknown, ValidateFunction>();

  private constructor(
    readonly name: string,
    readonly api: Json,
  ) {
    this.ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true });
    (addFormatsModule as unknown as (a: Ajv) => void)(this.ajv);
    // OpenAPI format names that are not JSON Schema formats: documentation only.
    for (const f of ['int32', 'int64', 'url', 'JWT', 'byte', 'OBClientRegistration1'])
      if (!this.ajv.formats[f]) this.ajv.addFormat(f, true);
  }

  static async load(file: string, name: string, prefix: (specPath: string) => string): Promise<SpecContract> {
    const doc = YAML.parse(readFileSync(path.join(SPECS_DIR, file), 'utf8')) as Json;
    doc.paths = Object.fromEntries(Object.entries(doc.paths as Json).map(([p, v]) => [prefix(p), v]));
    const dir = mkdtempSync(path.join(tmpdir(), 'connector-conformance-'));
    const copy = path.join(dir, `${name}.json`);
    writeFileSync(copy, JSON.stringify(doc));
    return new SpecContract(name, await SwaggerParser.dereference(copy));
  }

  /** The operation of a concrete path: literal segments win over templates. */
  operation(method: string, urlPath: string): Json | undefined {
    const m = method.toLowerCase();
    const escape = (p: string) => p.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{[^}]+\\?\}/g, '[^/]+');
    const found = Object.entries(this.api.paths as Json)
      .filter(([p, item]) => item[m] && new RegExp(`^${escape(p.trim())}$`).test(urlPath))
      .sort(([a], [b]) => (a.match(/\{/g)?.length ?? 0) - (b.match(/\{/g)?.length ?? 0))[0];
    if (!found) return undefined;
    const [, item] = found;
    return { ...item[m], parameters: [...(item.parameters ?? []), ...(item[m].parameters ?? [])] };
  }

  schema(name: string): unknown {
    return this.api.components.schemas[name];
  }

  validate(schema: unknown, value: unknown): ErrorObject[] {
    let v = this.cache.get(schema);
    if (!v) {
      v = this.ajv.compile(toJsonSchema(schema) as object);
      this.cache.set(schema, v);
    }
    return v(value) ? [] : [...(v.errors ?? [])];
  }

  /**
   * Problems with a request as sent: unknown operation, missing or malformed parameters, body schema.
   * `bankLink`: the URL is one the bank handed out (a next-page link), so its query is the bank's.
   */
  checkRequest(
    method: string,
    url: string,
    headers: Record<string, string>,
    body: unknown,
    bankLink = false,
  ): string[] {
    const u = new URL(url);
    const where = `${method} ${u.pathname}`;
    const op = this.operation(method, u.pathname);
    if (!op) return [`${where}: no such operation in ${this.name}`];
    const problems: string[] = [];
    const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
    for (const p of op.parameters as Json[]) {
      if (p.in === 'path' || p.in === 'cookie') continue;
      const raw = p.in === 'header' ? lower[String(p.name).toLowerCase()] : (u.searchParams.get(p.name) ?? undefined);
      if (raw === undefined) {
        if (p.required) problems.push(`${where}: required ${p.in} parameter ${p.name} missing`);
        continue;
      }
      if (p.name === 'Authorization') continue;
      const value =
        p.schema?.type === 'integer' || p.schema?.type === 'number'
          ? Number(raw)
          : p.schema?.type === 'boolean'
            ? raw === 'true'
            : raw;
      for (const e of this.validate(p.schema ?? {}, value))
        problems.push(`${where}: ${p.in} parameter ${p.name} ${e.message}`);
    }
    for (const q of bankLink ? [] : u.searchParams.keys()) {
      if (!(op.parameters as Json[]).some((p) => p.in === 'query' && p.name === q))
        problems.push(`${where}: query parameter ${q} is not in the spec`);
    }
    if (body !== undefined) {
      const content = op.requestBody?.content as Json | undefined;
      if (!content) problems.push(`${where}: the spec defines no request body`);
      else {
        const media = content['application/json'] ?? Object.values(content)[0];
        for (const e of this.validate(media.schema, body))
          problems.push(`${where}: body ${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`);
      }
    } else if (op.requestBody?.required) problems.push(`${where}: request body required`);
    return problems;
  }

  /** Problems with a response: undocumented status, body against the schema, minus documented quirks. */
  checkResponse(method: string, url: string, status: number, body: unknown, quirks: DocumentedQuirk[] = []): string[] {
    const urlPath = new URL(url).pathname;
    const where = `${method} ${urlPath} → ${status}`;
    const op = this.operation(method, urlPath);
    if (!op) return [`${where}: no such operation in ${this.name}`];
    const res = op.responses[String(status)] ?? op.responses.default;
    if (!res) return [`${where}: status not documented`];
    const content = res.content as Json | undefined;
    if (!content) return body === undefined ? [] : [`${where}: the spec defines no body`];
    const media =
      content['application/json'] ?? content['application/json; charset=utf-8'] ?? Object.values(content)[0];
    return this.validate(media.schema, body)
      .filter((e) => !quirks.some((q) => q.keyword === e.keyword && q.path.test(e.instancePath)))
      .map((e) => `${where}: ${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`);
  }
}

export function parseBody(text: string | undefined): unknown {
  if (text === undefined || text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** The exchanges a contract covers, checked: the request always, the response when the connector accepted it. */
export function checkExchanges(
  exchanges: HttpExchange[],
  route: (e: HttpExchange) => { contract: SpecContract; quirks?: DocumentedQuirk[] } | null,
): { problems: string[]; checked: number } {
  const problems: string[] = [];
  let checked = 0;
  const linked = new Set<string>();
  const pathAndQuery = (href: string, base: string) => {
    const u = new URL(href, base);
    return `${u.pathname}${u.search}`;
  };
  for (const e of exchanges) {
    const target = route(e);
    if (!target) continue;
    checked++;
    problems.push(
      ...target.contract.checkRequest(
        e.method,
        e.url,
        e.requestHeaders,
        parseBody(e.requestBody),
        linked.has(pathAndQuery(e.url, e.url)),
      ),
    );
    // Next-page links the bank hands out (OBIE Links.Next, Berlin Group _links.next).
    const body = parseBody(e.responseBody) as
      | {
          Links?: { Next?: string };
          _links?: { next?: { href?: string } };
          transactions?: { _links?: { next?: { href?: string } } };
        }
      | undefined;
    for (const next of [body?.Links?.Next, body?._links?.next?.href, body?.transactions?._links?.next?.href])
      if (typeof next === 'string') linked.add(pathAndQuery(next, e.url));
    if (e.status >= 200 && e.status < 300)
      problems.push(
        ...target.contract.checkResponse(e.method, e.url, e.status, parseBody(e.responseBody), target.quirks),
      );
  }
  return { problems, checked };
}
