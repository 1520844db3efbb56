// Per-project timeouts: Jest ignores `testTimeout` inside a project's config, so set it here.
import { jest } from '@jest/globals';

jest.setTimeout(240_000);
