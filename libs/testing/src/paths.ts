import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
/** ../shared beside the repository (specs, seeds). */
export const sharedDir = path.resolve(repoRoot, '..', 'shared');
