import type { GatewayUnderTest } from './gateway-harness.js';

interface Schema {
  $ref?: string;
  type?: string;
  nullable?: boolean;
  required?: string[];
  properties?: Record<string, Schema>;
  items?: Schema;
}
interface Operation {
  parameters?: Array<{ name: string; in: string; schema?: Schema & { minimum?: number; maximum?: number } }>;
  responses: Record<string, { content?: Record<string, { schema?: Schema }> }>;
}
interface Document {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema> };
}

/**
 * Each GET `path` of the served OpenAPI document is a list per the contract: query `limit` (1–500) and
 * `cursor`, and a 200 typed as a page, `{ data: Item[], nextCursor: string | null }`, whose items are a
 * declared schema.
 */
export async function expectTypedPages(gw: GatewayUnderTest, paths: string[]): Promise<void> {
  const doc = (await gw.request('GET', '/openapi.json')).body as Document;
  const resolve = (schema: Schema | undefined): Schema | undefined =>
    schema?.$ref ? doc.components.schemas[schema.$ref.replace('#/components/schemas/', '')] : schema;
  for (const path of paths) {
    const op = doc.paths[path]?.get;
    expect([path, Boolean(op)]).toEqual([path, true]);
    const query = (op.parameters ?? []).filter((p) => p.in === 'query');
    const limit = query.find((p) => p.name === 'limit');
    expect([path, limit?.schema]).toEqual([path, expect.objectContaining({ minimum: 1, maximum: 500 })]);
    expect([path, query.some((p) => p.name === 'cursor')]).toEqual([path, true]);
    const page = resolve(op.responses['200']?.content?.['application/json']?.schema);
    expect([path, page?.required]).toEqual([path, expect.arrayContaining(['data', 'nextCursor'])]);
    expect([path, page?.properties?.nextCursor]).toEqual([
      path,
      expect.objectContaining({ type: 'string', nullable: true }),
    ]);
    expect([path, page?.properties?.data?.type]).toEqual([path, 'array']);
    const item = resolve(page?.properties?.data?.items);
    expect([path, Object.keys(item?.properties ?? {}).length > 0]).toEqual([path, true]);
  }
}
