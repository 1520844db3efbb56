import { randomBytes } from 'node:crypto';

/** A complete environment for one in-process or child-process app under test. */
export function testEnv(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    NATS_URL: process.env.NATS_URL ?? 'nats://127.0.0.1:4222',
    REDIS_PREFIX: `t${randomBytes(4).toString('hex')}`,
    ADMIN_TOKEN: `admin-${randomBytes(18).toString('hex')}`,
    ENCRYPTION_KEYS: `test1:${randomBytes(32).toString('base64')}`,
    ...overrides,
  };
}
