import { z } from 'zod';
import { defineSection, env } from '../define-section.js';

export const gatewaySection = defineSection(
  'gateway',
  {
    GATEWAY_PORT: env.port(3000),
    GATEWAY_HOST: z.string().default('127.0.0.1'),
    PUBLIC_URL: z.url({ message: 'expected an absolute URL such as http://localhost:3000' }).optional(),
    ADMIN_TOKEN: z
      .string({ message: 'required: the bearer token operators use on /admin' })
      .min(24, 'must be at least 24 characters'),
    ACCESS_TOKEN_TTL_SECONDS: env.int(900, 60, 86_400),
    SIGNING_KEY_ROTATION_DAYS: env.int(30, 1, 365),
    DEFAULT_RATE_LIMIT_PER_MINUTE: env.int(600, 1, 1_000_000),
    TRUST_PROXY: env.bool(false),
  },
  (v) => ({
    port: v.GATEWAY_PORT,
    host: v.GATEWAY_HOST,
    publicUrl: (v.PUBLIC_URL ?? `http://localhost:${v.GATEWAY_PORT}`).replace(/\/$/, ''),
    adminToken: v.ADMIN_TOKEN,
    accessTokenTtlSeconds: v.ACCESS_TOKEN_TTL_SECONDS,
    signingKeyRotationDays: v.SIGNING_KEY_ROTATION_DAYS,
    defaultRateLimitPerMinute: v.DEFAULT_RATE_LIMIT_PER_MINUTE,
    trustProxy: v.TRUST_PROXY,
  }),
);
