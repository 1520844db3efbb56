import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import SwaggerParser from '@apidevtools/swagger-parser';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import YAML from 'yaml';
import { specsDir } from '@ais/testing';

type Json = Record<string, any>;

/** OpenAPI 3.0 schema → JSON Schema for ajv: nullable becomes a null type, doc-only keywords go. */
function toJsonSchema(schema: unknown, seen = new Map<object, unknown>()): unknown {
  if (Array.isArray(schema)) return schema.map((s) => toJsonSchema(s, seen));
  if (!schema || typeof schema !== 'object') return schema;
  if (seen.has(schema)) return seen.get(schema);
  const out: Json = {};
  seen.set(schema, out);
  for (const [k, v] of Object.entries(schema as Json)) {
    if (
      [
        'example',
        'examples',
        'xml',
        'externalDocs',
        'discriminator',
        'deprecated',
        'readOnly',
        'writeOnly',
        'nullable',
      ].includes(k)
    )
      continue;
    out[k] =
      k === 'properties' || k === 'patternProperties'
        ? Object.fromEntries(Object.entries(v as Json).map(([pk, pv]) => [pk, toJsonSchema(pv, seen)]))
        : toJsonSchema(v, seen);
  }
  // OpenAPI 3.0 keeps draft-4 boolean exclusiveMinimum/Maximum; JSON Schema 2019+ wants the bound itself.
  if (out.exclusiveMinimum === true && typeof out.minimum === 'number') {
    out.exclusiveMinimum = out.minimum;
    delete out.minimum;
  } else if (typeof out.exclusiveMinimum === 'boolean') delete out.exclusiveMinimum;
  if (out.exclusiveMaximum === true && typeof out.maximum === 'number') {
    out.exclusiveMaximum = out.maximum;
    delete out.maximum;
  } else if (typeof out.exclusiveMaximum === 'boolean') delete out.exclusiveMaximum;
  if ((schema as Json).nullable === true) {
    if (typeof out.type === 'string') out.type = [out.type, 'null'];
    else if (!out.type) out.anyOf = [{ ...out }, { type: 'null' }];
  }
  return out;
}

export interface Violation {
  where: string;
  errors: string[];
}

/**
 * One bank's view of an official spec: a test-time copy whose path keys carry the bank's base path
 * (the spec's servers entry cannot express /allstar/open-banking/v3.1/aisp), dereferenced, with an
 * ajv validator per schema.
 */
export class Contract {
  private readonly ajv: Ajv;
  private readonly cache = new Map<unknown, ValidateFunction>();
  private constructor(
    readonly name: string,
    private readonly api: Json,
  ) {
    // unicodeRegExp off: the Berlin Group spec's patterns are ECMA-262 without the u flag
    // (cardAcceptorPhone escapes "-", which a unicode RegExp refuses).
    this.ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true, unicodeRegExp: false });
    (addFormatsModule as unknown as (a: Ajv) => void)(this.ajv);
    for (const f of ['int32', 'int64', 'url', 'JWT', 'OBClientRegistration1', 'byte'])
      if (!this.ajv.formats[f]) this.ajv.addFormat(f, true);
  }

  static async load(file: string, name: string, prefix: (p: string) => string): Promise<Contract> {
    const doc = YAML.parse(readFileSync(path.join(specsDir, file), 'utf8')) as Json;
    doc.paths = Object.fromEntries(Object.entries(doc.paths as Json).map(([p, v]) => [prefix(p), v]));
    const dir = path.join(tmpdir(), 'sandbox-contract');
    mkdirSync(dir, { recursive: true });
    const copy = path.join(dir, `${name}.json`);
    writeFileSync(copy, JSON.stringify(doc));
    const api = (await SwaggerParser.dereference(copy)) as Json;
    return new Contract(name, api);
  }

  /** The operation for a concrete path; literal segments win over templates (/v1/consents/{id}/status vs /v1/{service}/…). */
  operation(method: string, urlPath: string): Json | undefined {
    const m = method.toLowerCase();
    const candidates = Object.entries(this.api.paths as Json)
      .filter(
        ([p, item]) =>
          item[m] &&
          new RegExp(`^${p.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\\{[^}]+\\\}|\{[^}]+\}/g, '[^/]+')}$`).test(
            urlPath,
          ),
      )
      .sort(([a], [b]) => (a.match(/\{/g)?.length ?? 0) - (b.match(/\{/g)?.length ?? 0));
    const found = candidates[0];
    if (!found) return undefined;
    const [, item] = found;
    return { ...item[m], parameters: [...(item.parameters ?? []), ...(item[m].parameters ?? [])] };
  }

  private validator(schema: unknown): ValidateFunction {
    let v = this.cache.get(schema);
    if (!v) {
      v = this.ajv.compile(toJsonSchema(schema) as object);
      this.cache.set(schema, v);
    }
    return v;
  }

  validate(schema: unknown, value: unknown): ErrorObject[] {
    const v = this.validator(schema);
    return v(value) ? [] : [...(v.errors ?? [])];
  }

  /** Problems with a response: undocumented status, body against the schema, required headers. */
  checkResponse(
    method: string,
    url: string,
    status: number,
    headers: Headers,
    body: unknown,
    allow: (e: ErrorObject) => boolean = () => false,
  ): string[] {
    const urlPath = new URL(url).pathname;
    const op = this.operation(method, urlPath);
    if (!op) return [`${method} ${urlPath}: not in ${this.name}`];
    const res = op.responses[String(status)] ?? op.responses.default;
    if (!res) return [`${method} ${urlPath}: status ${status} not documented`];
    const problems: string[] = [];
    for (const [name, h] of Object.entries((res.headers ?? {}) as Json)) {
      if (h.required && !headers.get(name))
        problems.push(`${method} ${urlPath} ${status}: required header ${name} missing`);
    }
    const content = res.content as Json | undefined;
    if (!content) {
      if (body !== undefined && body !== '') problems.push(`${method} ${urlPath} ${status}: the spec defines no body`);
      return problems;
    }
    const media =
      content['application/json'] ?? content['application/json; charset=utf-8'] ?? Object.values(content)[0];
    for (const e of this.validate(media.schema, body).filter((x) => !allow(x)))
      problems.push(
        `${method} ${urlPath} ${status}: ${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`,
      );
    return problems;
  }

  /** Problems with a request the bank accepted: required parameters, parameter formats, body schema. */
  checkRequest(method: string, url: string, headers: Record<string, string>, body?: unknown): string[] {
    const u = new URL(url);
    const op = this.operation(method, u.pathname);
    if (!op) return [`${method} ${u.pathname}: not in ${this.name}`];
    const problems: string[] = [];
    const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
    for (const p of op.parameters as Json[]) {
      const value =
        p.in === 'header'
          ? lower[String(p.name).toLowerCase()]
          : p.in === 'query'
            ? (u.searchParams.get(p.name) ?? undefined)
            : p.in === 'path'
              ? 'x'
              : undefined;
      if (p.name === 'Authorization' || p.in === 'path') continue;
      if (value === undefined) {
        if (p.required) problems.push(`${method} ${u.pathname}: required ${p.in} parameter ${p.name} missing`);
        continue;
      }
      const coerced =
        p.schema?.type === 'integer' ? Number(value) : p.schema?.type === 'boolean' ? value === 'true' : value;
      for (const e of this.validate(p.schema ?? {}, coerced))
        problems.push(`${method} ${u.pathname}: parameter ${p.name} ${e.message}`);
    }
    if (op.requestBody && body !== undefined) {
      const content = op.requestBody.content as Json;
      const media = content['application/json'] ?? Object.values(content)[0];
      for (const e of this.validate(media.schema, body))
        problems.push(`${method} ${u.pathname}: body ${e.instancePath || '/'} ${e.message}`);
    }
    return problems;
  }

  /** True when the spec's request-body schema rejects this body. */
  forbidsBody(method: string, url: string, body: unknown): boolean {
    const op = this.operation(method, new URL(url).pathname);
    const content = op?.requestBody?.content as Json;
    const media = content['application/json'] ?? Object.values(content)[0];
    return this.validate(media.schema, body).length > 0;
  }
}
