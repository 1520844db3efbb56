import { ConfigError, loadConfig } from './load-config.js';
import { cryptoSection } from './sections/crypto.section.js';
import { databaseSection } from './sections/database.section.js';
import { gatewaySection } from './sections/gateway.section.js';
import { redisSection } from './sections/redis.section.js';

const key = Buffer.alloc(32, 7).toString('base64');
const sections = { database: databaseSection, redis: redisSection, gateway: gatewaySection, crypto: cryptoSection };

describe('loadConfig', () => {
  it('applies defaults and returns a typed, nested object', () => {
    const config = loadConfig(sections, { ADMIN_TOKEN: 'x'.repeat(24), ENCRYPTION_KEYS: `k1:${key}` });
    expect(config.gateway.port).toBe(3000);
    expect(config.gateway.publicUrl).toBe('http://localhost:3000');
    expect(config.database.url).toBe('postgresql://postgres@127.0.0.1:5432/ais_gateway');
    expect(config.redis.prefix).toBe('ais');
    expect(config.crypto.activeKeyId).toBe('k1');
    expect(config.crypto.keys.get('k1')).toHaveLength(32);
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('names every missing or bad variable in one error', () => {
    let error: unknown;
    try {
      loadConfig(sections, {
        GATEWAY_PORT: '99999',
        DATABASE_URL: 'mysql://x',
        REDIS_URL: 'http://nope',
        ENCRYPTION_KEYS: 'k1:short',
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const text = (error as ConfigError).message;
    for (const name of ['GATEWAY_PORT', 'DATABASE_URL', 'REDIS_URL', 'ADMIN_TOKEN', 'ENCRYPTION_KEYS'])
      expect(text).toContain(name);
    expect((error as ConfigError).issues.length).toBeGreaterThanOrEqual(5);
  });

  it('rejects an active key id that is not in the key ring and a too-short admin token', () => {
    expect(() =>
      loadConfig(sections, { ADMIN_TOKEN: 'short', ENCRYPTION_KEYS: `k1:${key}`, ENCRYPTION_ACTIVE_KEY: 'k9' }),
    ).toThrow(/ENCRYPTION_ACTIVE_KEY[\s\S]*|ADMIN_TOKEN/);
    try {
      loadConfig(sections, { ADMIN_TOKEN: 'short', ENCRYPTION_KEYS: `k1:${key}`, ENCRYPTION_ACTIVE_KEY: 'k9' });
    } catch (e) {
      expect((e as ConfigError).issues.join('\n')).toMatch(/ADMIN_TOKEN: must be at least 24 characters/);
      expect((e as ConfigError).issues.join('\n')).toMatch(/ENCRYPTION_ACTIVE_KEY: "k9" is not a key id/);
    }
  });

  it('treats blank values as unset and trims whitespace', () => {
    const config = loadConfig(sections, {
      ADMIN_TOKEN: `  ${'y'.repeat(30)}  `,
      ENCRYPTION_KEYS: `k1:${key}`,
      GATEWAY_PORT: '  ',
      PUBLIC_URL: 'https://api.example.com/',
    });
    expect(config.gateway.adminToken).toBe('y'.repeat(30));
    expect(config.gateway.port).toBe(3000);
    expect(config.gateway.publicUrl).toBe('https://api.example.com');
  });
});
