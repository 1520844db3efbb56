import { z } from 'zod';
import { defineSection } from '../define-section.js';

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

export const redisSection = defineSection(
  'redis',
  {
    REDIS_URL: z
      .string()
      .regex(/^rediss?:\/\//, 'expected a redis:// or rediss:// URL')
      .default(DEFAULT_REDIS_URL),
    /** Namespaces every key, queue and RPC channel, so several stacks (or test runs) can share one Redis. */
    REDIS_PREFIX: z
      .string()
      .regex(/^[a-zA-Z0-9_-]{1,40}$/, 'letters, digits, - and _ only')
      .default('ais'),
  },
  (v) => ({ url: v.REDIS_URL, prefix: v.REDIS_PREFIX }),
);
