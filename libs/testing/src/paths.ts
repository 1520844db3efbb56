import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
/** specs/ in the repository: the official OpenAPI documents, byte-for-byte copies (specs/README.md). Never edited. */
export const specsDir = path.join(repoRoot, 'specs');
