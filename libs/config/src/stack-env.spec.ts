import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import {
  DEFAULT_DEMO_WEBHOOK_PORT,
  DEFAULT_STACK_PORTS,
  STACK_PORT_VARS,
  demoWebhookPort,
  stackEnv,
  stackPorts,
} from './stack-env.js';
import { webhooksSection } from './sections/webhooks.section.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

describe('stackPorts', () => {
  it('gives the default ports when no *_PORT variable is set (or one is empty)', () => {
    expect(stackPorts({})).toEqual(DEFAULT_STACK_PORTS);
    expect(stackPorts({ GATEWAY_PORT: '' })).toEqual(DEFAULT_STACK_PORTS);
    expect(DEFAULT_STACK_PORTS).toEqual({
      gateway: 3000,
      consentService: 3001,
      connectorService: 3002,
      syncWorker: 3003,
      webhookDispatcher: 3004,
      sandbox: 3100,
      sandboxMtls: 3443,
    });
  });

  it('takes a *_PORT override and keeps the other defaults', () => {
    expect(stackPorts({ SANDBOX_MTLS_PORT: '8443', UNRELATED_PORT: '1' })).toEqual({
      ...DEFAULT_STACK_PORTS,
      sandboxMtls: 8443,
    });
    expect(stackPorts({ GATEWAY_PORT: '8080', CONSENT_SERVICE_PORT: '9001' })).toEqual({
      ...DEFAULT_STACK_PORTS,
      gateway: 8080,
      consentService: 9001,
    });
  });

  it.each(['abc', '0', '65536', '3000.5', '-1'])('names the variable of a bad port value (%s)', (value) => {
    expect(() => stackPorts({ SYNC_WORKER_PORT: value })).toThrow(
      `SYNC_WORKER_PORT must be a port number (1-65535), not "${value}"`,
    );
  });
});

describe('stackEnv', () => {
  it('gives every app its port variables', () => {
    const env = stackEnv({ ports: { ...DEFAULT_STACK_PORTS, gateway: 8080 } });
    for (const [key, name] of Object.entries(STACK_PORT_VARS) as [keyof typeof DEFAULT_STACK_PORTS, string][]) {
      expect(env[name]).toBe(String(key === 'gateway' ? 8080 : DEFAULT_STACK_PORTS[key]));
    }
  });

  it('by default: the browser at localhost, the connectors call the banks at 127.0.0.1', () => {
    expect(stackEnv({ ports: DEFAULT_STACK_PORTS })).toEqual({
      SANDBOX_PORT: '3100',
      SANDBOX_MTLS_PORT: '3443',
      CONNECTOR_SERVICE_PORT: '3002',
      CONSENT_SERVICE_PORT: '3001',
      SYNC_WORKER_PORT: '3003',
      WEBHOOK_DISPATCHER_PORT: '3004',
      GATEWAY_PORT: '3000',
      PUBLIC_URL: 'http://localhost:3000',
      TPP_REDIRECT_URI: 'http://localhost:3000/v1/callback',
      SANDBOX_PUBLIC_URL: 'http://localhost:3100',
      SANDBOX_MTLS_PUBLIC_URL: 'https://localhost:3443',
      CONNECTOR_SANDBOX_URL: 'http://127.0.0.1:3100',
      CONNECTOR_SANDBOX_MTLS_URL: 'https://127.0.0.1:3443',
      WEBHOOK_ALLOWED_PRIVATE_TARGETS: '127.0.0.1:3900,[::1]:3900',
    });
  });

  it('lets webhooks reach only the demo receiver’s port on this machine, not every loopback port', () => {
    expect(DEFAULT_DEMO_WEBHOOK_PORT).toBe(3900);
    const env = stackEnv({ ports: DEFAULT_STACK_PORTS, webhookReceiverPort: 24_680 });
    expect(env.WEBHOOK_ALLOWED_PRIVATE_TARGETS).toBe('127.0.0.1:24680,[::1]:24680');
    const parsed = webhooksSection.parse(env);
    if (!parsed.ok) throw new Error(parsed.issues.join('; '));
    // No entry is a range, and every entry names the receiver's port: Redis (6379), Postgres (5432)
    // and the stack's own apps stay refused.
    expect(parsed.value.allowedPrivateTargets.every((t) => t.kind === 'address' && t.port === 24_680)).toBe(true);
  });

  it('reads the demo receiver port from DEMO_WEBHOOK_PORT, naming it when bad', () => {
    expect(demoWebhookPort({})).toBe(3900);
    expect(demoWebhookPort({ DEMO_WEBHOOK_PORT: '' })).toBe(3900);
    expect(demoWebhookPort({ DEMO_WEBHOOK_PORT: '4900' })).toBe(4900);
    expect(() => demoWebhookPort({ DEMO_WEBHOOK_PORT: 'x' })).toThrow(
      'DEMO_WEBHOOK_PORT must be a port number (1-65535), not "x"',
    );
  });

  it('puts publicHost into what the browser is given and sandboxHost into where the connectors call', () => {
    const env = stackEnv({
      ports: { ...DEFAULT_STACK_PORTS, gateway: 8080, sandbox: 8100, sandboxMtls: 8443 },
      publicHost: 'demo.example',
      sandboxHost: 'bank-host',
    });
    expect(env).toMatchObject({
      PUBLIC_URL: 'http://demo.example:8080',
      TPP_REDIRECT_URI: 'http://demo.example:8080/v1/callback',
      SANDBOX_PUBLIC_URL: 'http://demo.example:8100',
      SANDBOX_MTLS_PUBLIC_URL: 'https://demo.example:8443',
      CONNECTOR_SANDBOX_URL: 'http://bank-host:8100',
      CONNECTOR_SANDBOX_MTLS_URL: 'https://bank-host:8443',
    });
    expect(Object.values(env).filter((v) => v.includes('bank-host'))).toHaveLength(2);
    expect(Object.values(env).filter((v) => v.includes('demo.example'))).toHaveLength(4);
  });
});

/**
 * Compose's interpolation with nothing set in the shell or .env: `${VAR:-default}` and `${VAR-default}`
 * give the default, `$$` a dollar; a `${VAR}` without a default would depend on the user: refused.
 */
function interpolateDefaults(value: unknown, where: string): unknown {
  if (typeof value === 'string') {
    const resolved = value.replace(
      /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
      (match, name?: string, fallback?: string, bare?: string) => {
        if (match === '$$') return '$';
        if (bare !== undefined || fallback === undefined) throw new Error(`${where}: ${match} has no default`);
        return fallback;
      },
    );
    if (resolved.includes('${')) throw new Error(`${where}: cannot resolve ${value}`);
    return resolved;
  }
  if (Array.isArray(value)) return value.map((v, i) => interpolateDefaults(v, `${where}[${i}]`));
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolateDefaults(v, `${where}.${k}`)]));
  return value;
}

interface ComposeService {
  environment?: Record<string, unknown> | string[];
  env_file?: unknown[];
  ports?: string[];
}

/** docker-compose.yml as compose sees it with nothing set: anchors and `<<` merges resolved, defaults interpolated. */
function loadCompose(): { services: Record<string, ComposeService> } {
  const text = readFileSync(path.join(repoRoot, 'docker-compose.yml'), 'utf8');
  return interpolateDefaults(parse(text, { merge: true }), 'docker-compose.yml') as {
    services: Record<string, ComposeService>;
  };
}

/** A service's environment as strings (compose accepts a map or a list of NAME=value). */
function environmentOf(service: ComposeService): Record<string, string> {
  const env = service.environment ?? {};
  if (Array.isArray(env))
    return Object.fromEntries(env.map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]));
  return Object.fromEntries(
    Object.entries(env).map(([k, v]) => [k, v === null ? '' : String(v as string | number | boolean)]),
  );
}

describe('docker-compose.yml', () => {
  const APPS = ['sandbox-bank', 'connector-service', 'consent-service', 'sync-worker', 'webhook-dispatcher', 'gateway'];
  // The browser on the host reaches the gateway and the banks' pages at localhost; the containers
  // reach the banks by the service name.
  const expected = stackEnv({ ports: DEFAULT_STACK_PORTS, publicHost: 'localhost', sandboxHost: 'sandbox-bank' });
  const compose = loadCompose();

  it.each(APPS)('gives %s the environment of stackEnv (the same code as npm start and the e2e stack)', (app) => {
    const env = environmentOf(compose.services[app]);
    const mismatches = Object.entries(expected)
      .filter(([name, value]) => env[name] !== value)
      .map(([name, value]) => `${name}: expected ${value}, compose sets ${env[name] ?? '(nothing)'}`);
    expect(mismatches).toEqual([]);
  });

  it.each(APPS)('gives %s the database and Redis services, and sets no variable that no app reads', (app) => {
    const env = environmentOf(compose.services[app]);
    expect(env).toMatchObject({
      DATABASE_URL: 'postgresql://postgres:postgres@postgres:5432/ais_gateway',
      REDIS_URL: 'redis://redis:6379',
    });
    expect(env).not.toHaveProperty('SANDBOX_BASE_URL');
  });

  it('publishes the ports of DEFAULT_STACK_PORTS, on which the apps listen on every interface', () => {
    const gateway = compose.services.gateway;
    const sandbox = compose.services['sandbox-bank'];
    expect(gateway.ports).toEqual([`${DEFAULT_STACK_PORTS.gateway}:${DEFAULT_STACK_PORTS.gateway}`]);
    expect(sandbox.ports).toEqual([
      `${DEFAULT_STACK_PORTS.sandbox}:${DEFAULT_STACK_PORTS.sandbox}`,
      `${DEFAULT_STACK_PORTS.sandboxMtls}:${DEFAULT_STACK_PORTS.sandboxMtls}`,
    ]);
    expect(environmentOf(gateway).GATEWAY_HOST).toBe('0.0.0.0');
    expect(environmentOf(sandbox).SANDBOX_HOST).toBe('0.0.0.0');
  });

  it("has the sandbox's mTLS certificate name the host the connectors call it by", () => {
    const env = environmentOf(compose.services['sandbox-bank']);
    const calledAs = new URL(env.CONNECTOR_SANDBOX_MTLS_URL).hostname;
    const certified = [
      'localhost',
      '127.0.0.1',
      new URL(env.SANDBOX_PUBLIC_URL).hostname,
      new URL(env.SANDBOX_MTLS_PUBLIC_URL).hostname,
      ...(env.SANDBOX_TLS_HOSTS ?? '').split(',').map((h) => h.trim()),
    ];
    expect(certified).toContain(calledAs);
  });

  it('lets postgres and redis start without a .env (npm start and npm test use them)', () => {
    for (const app of APPS) {
      for (const entry of compose.services[app].env_file ?? []) expect(entry).toMatchObject({ required: false });
    }
  });
});
