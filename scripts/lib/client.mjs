// @ais/client is generated from the gateway's OpenAPI document: the document by the gateway itself (Nest
// preview mode, no services: dist/apps/gateway/src/cli/openapi.js), the SDK by @hey-api/openapi-ts (typed
// request and response bodies, a fetch client). `npm run build` regenerates both; `npm test` fails when
// the committed ones differ from what the code generates (see checkClientDrift).
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { run } from './run.mjs';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
export const CLIENT_DIR = path.join(ROOT, 'libs/client');
const DOCUMENT = path.join(CLIENT_DIR, 'openapi.json');
const GENERATED = path.join(CLIENT_DIR, 'src/generated');

export async function generateClient() {
  const code = await run(process.execPath, [path.join(ROOT, 'dist/apps/gateway/src/cli/openapi.js'), DOCUMENT], {
    cwd: ROOT,
  });
  if (code !== 0) throw new Error('could not write the OpenAPI document');
  const { createClient } = await import('@hey-api/openapi-ts');
  rmSync(GENERATED, { recursive: true, force: true });
  await createClient({
    input: DOCUMENT,
    output: { path: GENERATED, importFileExtension: '.js' },
    plugins: ['@hey-api/client-fetch', '@hey-api/typescript', '@hey-api/sdk'],
    logs: { level: 'silent' },
  });
}

/** The client's committed files differ from the working tree (after a build regenerated them). */
export function clientDrift() {
  const out = execFileSync('git', ['status', '--porcelain', '--', 'libs/client'], { cwd: ROOT, encoding: 'utf8' });
  return out.trim();
}
