import { jest } from '@jest/globals';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { exportJWK, importSPKI } from 'jose';
import { KeyRing } from '@ais/crypto';
import { createPrismaClient, type PrismaClient } from '@ais/db';
import { createLogger, Metrics } from '@ais/observability';
import { createRpcClient, type RpcClient } from '@ais/rpc';
import { createTestDatabase, testEnv, type TestDatabase } from '@ais/testing';
import { loadConnectorServiceConfig, type ConnectorServiceConfig } from '../src/connector-service.config.js';
import { startConnectorService } from '../src/connector-service.js';
import { RegistrationRepository } from '../src/registration.repository.js';
import { connectorTestEnv, type SandboxUnderTest, startSandbox, TEST_REDIRECT_URI } from './sandbox.js';

// A real bank is onboarded with the TPP identity the operator got from the directory: configured
// from files, not fetched. The sandbox directory plays the OBIE Directory here, as an operator
// would use it: upload our public keys, download the software statement and the certificate.
jest.setTimeout(90_000);

const REDIRECT = TEST_REDIRECT_URI;
const logger = createLogger('connector-service-test', 'silent');

async function postJson(url: string, body: unknown): Promise<Record<string, string>> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (res.status !== 201) throw new Error(`${url}: ${res.status} ${await res.text()}`);
  return (await res.json()) as Record<string, string>;
}

describe('connector-service with a TPP identity from configuration', () => {
  let sandbox: SandboxUnderTest;
  let db: TestDatabase;
  let prisma: PrismaClient;
  let config: ConnectorServiceConfig;
  let service: NestFastifyApplication | undefined;
  let rpc: RpcClient;
  let dir: string;
  const kid = `kid-${randomUUID()}`;
  let files: Record<string, string>;
  let softwareId: string;
  let certificatePem: string;
  let publicJwk: Record<string, unknown>;

  beforeAll(async () => {
    [sandbox, db] = await Promise.all([startSandbox(), createTestDatabase('connident')]);
    dir = mkdtempSync(path.join(tmpdir(), 'tpp-identity-'));
    const signing = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const transport = generateKeyPairSync('rsa', { modulusLength: 2048 });
    publicJwk = {
      ...(await exportJWK(
        await importSPKI(signing.publicKey.export({ type: 'spki', format: 'pem' }).toString(), 'PS256'),
      )),
      kid,
      alg: 'PS256',
      use: 'sig',
    };
    const ssa = await postJson(`${sandbox.url}/directory/software-statements`, {
      client_name: 'Configured TPP',
      redirect_uris: [REDIRECT],
      jwks: { keys: [publicJwk] },
    });
    softwareId = ssa.software_id;
    const cert = await postJson(`${sandbox.url}/directory/certificates`, {
      software_id: softwareId,
      public_key_pem: transport.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    });
    certificatePem = cert.certificate_pem;
    const write = (name: string, text: string) => {
      const file = path.join(dir, name);
      writeFileSync(file, text);
      return file;
    };
    files = {
      TPP_SIGNING_KEY_FILE: write(
        'signing.key',
        signing.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      ),
      TPP_SIGNING_KID: kid,
      TPP_SOFTWARE_STATEMENT_FILE: write('ssa.jwt', ssa.software_statement),
      TPP_TRANSPORT_CERT_FILE: write('transport.pem', cert.certificate_pem),
      TPP_TRANSPORT_KEY_FILE: write(
        'transport.key',
        transport.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      ),
      TPP_TRANSPORT_CA_FILE: write('ca.pem', cert.ca_pem),
    };
    config = loadConnectorServiceConfig(
      connectorTestEnv(db, sandbox, {
        CONNECTOR_ONBOARD_ON_START: 'false',
        RPC_TIMEOUT_MS: '30000',
        ...files,
      }),
    );
    service = await startConnectorService(config, logger, new Metrics('connector-service'), 0);
    rpc = createRpcClient('connector-service', config.rpc, config.redis);
    prisma = createPrismaClient({ url: db.url, poolSize: 2 });
  });
  afterAll(async () => {
    await rpc?.close();
    await service?.close();
    await prisma?.$disconnect();
    await sandbox?.close();
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('names every missing or bad identity variable at start', () => {
    const load = (vars: Record<string, string>) => () =>
      loadConnectorServiceConfig(testEnv({ DATABASE_URL: db.url, ...vars }));
    expect(load({ TPP_SIGNING_KEY_FILE: files.TPP_SIGNING_KEY_FILE })).toThrow(
      /TPP_SIGNING_KID: required with TPP_SIGNING_KEY_FILE/,
    );
    expect(load({ TPP_SIGNING_KEY_FILE: files.TPP_TRANSPORT_CERT_FILE, TPP_SIGNING_KID: kid })).toThrow(
      /TPP_SIGNING_KEY_FILE: .* is not a PKCS#8 PEM private key/,
    );
    expect(load({ TPP_SIGNING_KEY_FILE: path.join(dir, 'missing.key'), TPP_SIGNING_KID: kid })).toThrow(
      /TPP_SIGNING_KEY_FILE: cannot read/,
    );
    expect(load({ ...files, TPP_TRANSPORT_KEY_FILE: '' })).toThrow(
      /TPP_TRANSPORT_CERT_FILE and TPP_TRANSPORT_KEY_FILE: set both or neither/,
    );
    expect(load({ TPP_SOFTWARE_STATEMENT_FILE: files.TPP_SOFTWARE_STATEMENT_FILE })).toThrow(
      /TPP_SOFTWARE_STATEMENT_FILE: needs TPP_SIGNING_KEY_FILE/,
    );
    expect(load({ ...files, TPP_SOFTWARE_STATEMENT_FILE: files.TPP_SIGNING_KEY_FILE })).toThrow(
      /is not a signed software statement/,
    );
    // Secrets never reach the message: only paths and variable names.
    try {
      load({ TPP_SIGNING_KEY_FILE: files.TPP_SIGNING_KEY_FILE })();
    } catch (error) {
      expect(String(error)).not.toContain('PRIVATE KEY');
    }
  });

  it('registers at the bank by DCR with the configured key, software statement and certificate, and uses them', async () => {
    for (const method of ['private_key_jwt', 'tls_client_auth'] as const) {
      const onboarded = await rpc.send('connector.onboard', {
        providerId: 'allstar',
        tokenEndpointAuthMethod: method,
        force: true,
      });
      expect(onboarded).toMatchObject({ providerId: 'allstar', tokenEndpointAuthMethod: method, source: 'dcr' });
      const stored = await new RegistrationRepository(
        prisma,
        new KeyRing(config.crypto.keys, config.crypto.activeKeyId),
      ).find('allstar');
      expect(stored?.signingKey.kid).toBe(kid);
      expect(stored?.transport?.certPem).toBe(certificatePem);
      expect(JSON.stringify(stored?.raw)).toContain(softwareId);
      // A client-credentials token (signed client assertion, or the certificate over mTLS) and a consent.
      const consent = await rpc.send('connector.createConsent', {
        providerId: 'allstar',
        consentId: `cns_cfg_${method}`,
        permissions: ['accounts', 'balances'],
        frequencyPerDay: 4,
        redirectUri: REDIRECT,
        psu: { ipAddress: '198.51.100.7' },
      });
      expect(consent.status).toBe('awaiting_authorisation');
    }
  });

  it('stores a client the bank issued on its developer portal, and calls the bank as that client', async () => {
    // The operator registers at Al Salam's portal with the gateway's public key and gets a client id.
    const portal = await postJson(`${sandbox.url}/alsalam/sandbox/clients`, {
      client_name: 'Configured TPP',
      redirect_uris: [REDIRECT],
      jwks: { keys: [publicJwk] },
    });
    const onboarded = await rpc.send('connector.onboard', {
      providerId: 'alsalam',
      tokenEndpointAuthMethod: 'private_key_jwt',
      credentials: { clientId: portal.client_id },
    });
    expect(onboarded).toEqual({
      providerId: 'alsalam',
      clientId: portal.client_id,
      tokenEndpointAuthMethod: 'private_key_jwt',
      source: 'configured',
    });
    const stored = await new RegistrationRepository(
      prisma,
      new KeyRing(config.crypto.keys, config.crypto.activeKeyId),
    ).find('alsalam');
    expect(stored).toMatchObject({ clientId: portal.client_id, source: 'configured', signingKey: { kid } });
    // The token endpoint accepts the client assertion signed with the configured key: a consent.
    const consent = await rpc.send('connector.createConsent', {
      providerId: 'alsalam',
      consentId: 'cns_cfg_portal',
      permissions: ['accounts', 'balances'],
      frequencyPerDay: 4,
      redirectUri: REDIRECT,
      psu: { ipAddress: '198.51.100.7' },
    });
    expect(consent.status).toBe('awaiting_authorisation');
  });
});
