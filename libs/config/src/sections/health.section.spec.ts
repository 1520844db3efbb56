import { healthPortsSection } from './health.section.js';
import { rpcSection } from './rpc.section.js';

function parse<T>(
  section: { parse(env: Record<string, string>): { ok: true; value: T } | { ok: false; issues: string[] } },
  env: Record<string, string>,
): T {
  const parsed = section.parse(env);
  if (!parsed.ok) throw new Error(parsed.issues.join('; '));
  return parsed.value;
}

describe('health listener and RPC config', () => {
  it('binds the internal apps’ health and metrics to loopback unless HEALTH_HOST says otherwise', () => {
    expect(parse(healthPortsSection, {}).host).toBe('127.0.0.1');
    expect(parse(healthPortsSection, { HEALTH_HOST: '0.0.0.0' })).toMatchObject({
      host: '0.0.0.0',
      'connector-service': 3002,
    });
  });

  it('reads NATS_URL as one or more servers and bounds every RPC message', () => {
    expect(parse(rpcSection, {})).toEqual({
      natsServers: ['nats://127.0.0.1:4222'],
      timeoutMs: 15_000,
      maxMessageBytes: 1_048_576,
    });
    expect(parse(rpcSection, { NATS_URL: 'nats://a:4222, nats://b:4222' }).natsServers).toEqual([
      'nats://a:4222',
      'nats://b:4222',
    ]);
    expect(rpcSection.parse({ NATS_URL: 'redis://127.0.0.1:6379' }).ok).toBe(false);
    expect(rpcSection.parse({ RPC_MAX_MESSAGE_BYTES: '100' }).ok).toBe(false);
  });
});
