import { checkServerIdentity, connect, type PeerCertificate } from 'node:tls';
import { jest } from '@jest/globals';
import type { RunningSandbox } from '../src/sandbox.js';
import { http, JSON_CT, startTestSandbox, TEST_CLOCK } from './harness.js';

jest.setTimeout(60_000);

interface Handshake {
  certificate: PeerCertificate;
  /** Whether the certificate verified against `ca` for `servername` (only when `ca` is given). */
  authorized: boolean;
  error?: string;
}

/**
 * A TLS handshake with the mTLS listener on 127.0.0.1 under a host name, without a client certificate.
 * With `ca`, it also checks the chain and the host name as a client does (the connectors do), and
 * answers the outcome instead of failing.
 */
function handshake(port: number, servername: string, ca?: string): Promise<Handshake> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, servername, ca, rejectUnauthorized: false }, () => {
      const certificate = socket.getPeerCertificate();
      socket.end();
      const error = ca
        ? (socket.authorizationError?.message ?? checkServerIdentity(servername, certificate)?.message)
        : undefined;
      resolve({ certificate, authorized: Boolean(ca) && !error, error });
    });
    socket.once('error', reject);
  });
}

const sanOf = (h: Handshake) => (h.certificate.subjectaltname ?? '').split(', ');

describe('sandbox mTLS listener certificate', () => {
  let s: RunningSandbox;

  beforeAll(async () => {
    s = await startTestSandbox({ tlsHosts: ['sandbox-bank'] });
  });
  afterAll(() => s.close());

  it('is valid for the names in tlsHosts (a compose service name) beside localhost and the loopback addresses', async () => {
    const h = await handshake(s.mtlsPort!, 'sandbox-bank');
    expect(sanOf(h)).toEqual(expect.arrayContaining(['DNS:sandbox-bank', 'DNS:localhost', 'IP Address:127.0.0.1']));
  });

  it('verifies against the sandbox CA under the service name, and under no name it was not issued for', async () => {
    const ok = await handshake(s.mtlsPort!, 'sandbox-bank', s.ctx.ca.caPem);
    expect(ok).toMatchObject({ authorized: true });
    const wrong = await handshake(s.mtlsPort!, 'elsewhere.example', s.ctx.ca.caPem);
    expect(wrong.authorized).toBe(false);
    expect(wrong.error).toMatch(/elsewhere\.example/);
  });

  it('keeps the names after POST /sandbox/reset (a new CA, a new listener certificate)', async () => {
    const before = await handshake(s.mtlsPort!, 'sandbox-bank');
    const reset = await http(`${s.url}/sandbox/reset`, {
      method: 'POST',
      headers: JSON_CT,
      body: JSON.stringify({ clockStart: TEST_CLOCK, clockScale: 1 }),
    });
    expect(reset.status).toBe(200);
    const after = await handshake(s.mtlsPort!, 'sandbox-bank', s.ctx.ca.caPem);
    expect(after.certificate.fingerprint256).not.toBe(before.certificate.fingerprint256);
    expect(sanOf(after)).toContain('DNS:sandbox-bank');
    expect(after).toMatchObject({ authorized: true });
  });
});

describe('sandbox mTLS listener certificate with public URLs', () => {
  let s: RunningSandbox;

  beforeAll(async () => {
    s = await startTestSandbox({ publicUrl: 'http://10.9.8.7:3100', mtlsPublicUrl: 'https://Bank.Example:8443' });
  });
  afterAll(() => s.close());

  it('is valid for the hosts of SANDBOX_PUBLIC_URL and SANDBOX_MTLS_PUBLIC_URL, the names the banks advertise', async () => {
    const h = await handshake(s.mtlsPort!, 'bank.example');
    expect(sanOf(h)).toEqual(
      expect.arrayContaining(['DNS:bank.example', 'IP Address:10.9.8.7', 'DNS:localhost', 'IP Address:127.0.0.1']),
    );
  });
});
