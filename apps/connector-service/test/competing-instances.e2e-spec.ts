import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import path from 'node:path';
import { jest } from '@jest/globals';
import { AppError } from '@ais/domain';
import { createRpcClient, type RpcClient } from '@ais/rpc';
import { freePort, repoRoot, startStack, type RunningStack } from '@ais/testing';

// Real processes over a real NATS: three connector-services and three consent-services of one stack
// share the requests (one queue group per service); one is SIGKILLed mid-run.
jest.setTimeout(240_000);

type Service = 'connector-service' | 'consent-service';
const PORT_VAR: Record<Service, string> = {
  'connector-service': 'CONNECTOR_SERVICE_PORT',
  'consent-service': 'CONSENT_SERVICE_PORT',
};

interface Instance {
  service: Service;
  port: number;
  child?: ChildProcess;
}

/** This instance's rpc_requests_total for a pattern, from its own /metrics. */
async function taken(i: Instance, pattern: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${i.port}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('rpc_requests_total{') && l.includes(`pattern="${pattern}"`));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

describe('every instance serves its share (NATS queue groups)', () => {
  let stack: RunningStack;
  let connector: RpcClient;
  let consent: RpcClient;
  const instances: Instance[] = [];
  let firstConsents: string[] = [];

  async function launch(service: Service): Promise<Instance> {
    const port = await freePort();
    const child = spawn(process.execPath, [path.join(repoRoot, 'dist/apps', service, 'src/main.js')], {
      cwd: repoRoot,
      env: { ...stack.env, [PORT_VAR[service]]: String(port), CONNECTOR_ONBOARD_ON_START: 'false' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const log = createWriteStream(path.join(repoRoot, 'tmp/stack-logs', stack.db.name, `${service}-${port}.log`));
    child.stdout.pipe(log);
    child.stderr.pipe(log);
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${service} on ${port} exited (${child.exitCode})`);
      const ok = await fetch(`http://127.0.0.1:${port}/health/ready`)
        .then((r) => r.ok)
        .catch(() => false);
      if (ok) break;
      if (Date.now() > deadline) throw new Error(`${service} on ${port} not ready`);
      await new Promise((r) => setTimeout(r, 250));
    }
    return { service, port, child };
  }

  const bankConsents = async () =>
    ((await (await fetch(`${stack.sandboxUrl}/allstar/sandbox/consents`)).json()) as { consents: unknown[] }).consents
      .length;

  const createConsent = (n: number) =>
    connector.send('connector.createConsent', {
      providerId: 'allstar',
      consentId: `cns_share_${n}`,
      permissions: ['accounts', 'balances', 'transactions'],
      frequencyPerDay: 4,
      redirectUri: stack.env.TPP_REDIRECT_URI,
      psu: { ipAddress: '198.51.100.7' },
    });

  beforeAll(async () => {
    stack = await startStack({
      apps: ['sandbox-bank', 'connector-service', 'consent-service'],
      label: 'instances',
      env: { RPC_TIMEOUT_MS: '5000', CONNECTOR_RATE_PER_SECOND: '2000', CONNECTOR_RATE_BURST: '2000' },
    });
    instances.push(
      { service: 'connector-service', port: stack.port('connector-service') },
      { service: 'consent-service', port: stack.port('consent-service') },
    );
    for (const service of ['connector-service', 'connector-service', 'consent-service', 'consent-service'] as const)
      instances.push(await launch(service));
    const settings = {
      natsServers: [stack.env.NATS_URL],
      timeoutMs: 5_000,
      maxMessageBytes: 1_048_576,
    };
    connector = createRpcClient('connector-service', settings, { prefix: stack.env.REDIS_PREFIX });
    consent = createRpcClient('consent-service', settings, { prefix: stack.env.REDIS_PREFIX });
  });
  afterAll(async () => {
    await connector?.close();
    await consent?.close();
    for (const i of instances) if (i.child && i.child.exitCode === null) i.child.kill('SIGTERM');
    await stack?.stop();
  });

  it('300 requests to each service: each handled exactly once, every instance at least 20 %', async () => {
    const before = await bankConsents();
    const created = await Promise.all(Array.from({ length: 300 }, (_, n) => createConsent(n)));
    firstConsents = created.map((c) => c.externalConsentId);
    expect(new Set(firstConsents).size).toBe(300);
    expect((await bankConsents()) - before).toBe(300);
    const connectors = instances.filter((i) => i.service === 'connector-service');
    const byConnector = await Promise.all(connectors.map((i) => taken(i, 'connector.createConsent')));
    // A creation that outlasts the RPC timeout on a busy machine is sent again with its idempotency
    // key and answered from the first outcome: instances may count more receipts than requests, the
    // bank (above) still has exactly one consent per request.
    expect(byConnector.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(300);
    for (const n of byConnector) expect(n).toBeGreaterThanOrEqual(60);

    // The consent-service's vault, asked for tokens it does not hold: answered (not_found) once each.
    const answers = await Promise.all(
      Array.from({ length: 300 }, (_, n) =>
        consent.send('consent-service.getAccessToken', { consentId: `cns_none_${n}` }).catch((e: unknown) => e),
      ),
    );
    expect(answers.every((a) => a instanceof AppError && a.code === 'not_found')).toBe(true);
    const consents = instances.filter((i) => i.service === 'consent-service');
    const byConsent = await Promise.all(consents.map((i) => taken(i, 'consent-service.getAccessToken')));
    expect(byConsent.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(300);
    for (const n of byConsent) expect(n).toBeGreaterThanOrEqual(60);
  });

  it('SIGKILL one connector-service mid-run: every request answered, no bank consent created twice', async () => {
    const before = await bankConsents();
    const victim = instances.find((i) => i.service === 'connector-service' && i.child)!;
    const outcomes = Array.from({ length: 300 }, (_, n) =>
      createConsent(1000 + n).then(
        (c) => ({ ok: true as const, id: c.externalConsentId }),
        (e: unknown) => ({ ok: false as const, code: e instanceof AppError ? e.code : String(e) }),
      ),
    );
    // Reads are repeatable: those in the victim's hands go again, to another instance.
    const reads = firstConsents.map((externalConsentId) =>
      connector.send('connector.getConsentStatus', { providerId: 'allstar', externalConsentId }),
    );
    await new Promise((r) => setTimeout(r, 150));
    victim.child!.kill('SIGKILL');
    const results = await Promise.all(outcomes);
    expect(results).toHaveLength(300);
    const ok = results.filter((r) => r.ok);
    // Creations the victim held go again with their idempotency key: one it had begun is answered
    // service_unavailable (whether the bank acted is unknown), never run twice. The bank has at most one
    // consent per request, and every successful answer is one of them.
    for (const r of results) if (!r.ok) expect(r.code).toBe('service_unavailable');
    expect(new Set(ok.map((r) => r.id)).size).toBe(ok.length);
    const atBank = (await bankConsents()) - before;
    if (process.env.SHOW_FIGURES) console.log({ answered: results.length, ok: ok.length, atBank });
    expect(atBank).toBeGreaterThanOrEqual(ok.length);
    expect(atBank).toBeLessThanOrEqual(300);
    expect(ok.length).toBeGreaterThanOrEqual(150);
    const statuses = await Promise.all(reads);
    expect(statuses).toHaveLength(300);
    expect(statuses.every((c) => typeof c.status === 'string')).toBe(true);
  });
});
