import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root, found from a module's URL whether it runs as source (Jest) or compiled (dist/, tmp/). */
export function repoRootFrom(moduleUrl: string): string {
  let dir = path.dirname(fileURLToPath(moduleUrl));
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'ais-gateway')
      return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`no ais-gateway package.json above ${moduleUrl}`);
    dir = parent;
  }
}
