import { z } from 'zod';
import { defineSection } from '../define-section.js';

export const runtimeSection = defineSection(
  'runtime',
  {
    NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(0).default(10_000),
  },
  (v) => ({ nodeEnv: v.NODE_ENV, logLevel: v.LOG_LEVEL, shutdownTimeoutMs: v.SHUTDOWN_TIMEOUT_MS }),
);
