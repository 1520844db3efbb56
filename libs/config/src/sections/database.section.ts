import { z } from 'zod';
import { defineSection, env } from '../define-section.js';

export const DEFAULT_DATABASE_URL = 'postgresql://postgres@127.0.0.1:5432/ais_gateway';

export const databaseSection = defineSection(
  'database',
  {
    DATABASE_URL: z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'expected a postgresql:// connection URL')
      .default(DEFAULT_DATABASE_URL),
    DATABASE_POOL_SIZE: env.int(10, 1, 200),
  },
  (v) => ({ url: v.DATABASE_URL, poolSize: v.DATABASE_POOL_SIZE }),
);
