import { z } from 'zod';
import { defineSection, env } from '../define-section.js';

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

const REDIS_URL_PATTERN = /^rediss?:\/\/[^,\s]+$/;

export const redisSection = defineSection(
  'redis',
  {
    /**
     * One Redis server, or with REDIS_CLUSTER=true one or more seed nodes of a Redis Cluster, comma-separated
     * (`redis://10.0.0.1:6379,redis://10.0.0.2:6379`): the client discovers the other nodes from them.
     */
    REDIS_URL: z
      .string()
      .default(DEFAULT_REDIS_URL)
      .refine((v) => v.split(',').every((u) => REDIS_URL_PATTERN.test(u.trim())), {
        message: 'expected a redis:// or rediss:// URL (several, comma-separated, only with REDIS_CLUSTER=true)',
      }),
    /** The Redis at REDIS_URL is a Redis Cluster: every key and queue is hash-tagged for it either way. */
    REDIS_CLUSTER: env.bool(false),
    /** Namespaces every key, queue and RPC channel, so several stacks (or test runs) can share one Redis. */
    REDIS_PREFIX: z
      .string()
      .regex(/^[a-zA-Z0-9_-]{1,40}$/, 'letters, digits, - and _ only')
      .default('ais'),
  },
  (v) => ({ url: v.REDIS_URL, prefix: v.REDIS_PREFIX, cluster: v.REDIS_CLUSTER }),
  (v) =>
    !v.REDIS_CLUSTER && v.REDIS_URL.includes(',')
      ? ['REDIS_URL: several URLs are the seed nodes of a cluster: set REDIS_CLUSTER=true']
      : [],
);
