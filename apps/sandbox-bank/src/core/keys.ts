import 'reflect-metadata';
import { webcrypto, createHash, createPublicKey, type X509Certificate } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import {
  exportJWK,
  generateKeyPair,
  importJWK,
  calculateJwkThumbprint,
  type JWK,
  type CryptoKey as JoseKey,
} from 'jose';
import type { SandboxStore } from './store.js';

x509.cryptoProvider.set(webcrypto as never);

export interface SigningKey {
  kid: string;
  alg: string;
  privateKey: JoseKey;
  publicJwk: JWK;
}

/** A PS256 (or RS512) signing key, created once and kept in the store (PostgreSQL when the sandbox persists). */
export async function signingKey(store: SandboxStore, name: string, alg = 'PS256'): Promise<SigningKey> {
  const saved = store.keys[name] as JWK | undefined;
  let privateJwk: JWK;
  if (saved) privateJwk = saved;
  else {
    const { privateKey } = await generateKeyPair(alg, { extractable: true, modulusLength: 2048 });
    privateJwk = await exportJWK(privateKey);
    store.keys[name] = privateJwk;
    store.changed();
  }
  const kid = await calculateJwkThumbprint(privateJwk);
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...pub } = privateJwk;
  return {
    kid,
    alg,
    privateKey: (await importJWK(privateJwk, alg)) as JoseKey,
    publicJwk: { ...pub, kid, alg, use: 'sig' },
  };
}

const EC = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

function pem(label: string, der: ArrayBuffer): string {
  const b64 = Buffer.from(der)
    .toString('base64')
    .replace(/(.{64})/g, '$1\n');
  return `-----BEGIN ${label}-----\n${b64.trim()}\n-----END ${label}-----\n`;
}

function derOf(pemText: string): Buffer {
  return Buffer.from(pemText.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
}

export interface IssuedCertificate {
  certificatePem: string;
  privateKeyPem?: string;
  subjectDn: string;
  serialNumber: string;
  thumbprintS256: string;
}

/**
 * The sandbox's certificate authority: issues the TLS server certificate of the mTLS listener and
 * TPP transport certificates (the role of the OBIE Directory's issuing CA).
 */
export class SandboxCa {
  private constructor(
    private readonly caKey: webcrypto.CryptoKeyPair,
    readonly caCert: x509.X509Certificate,
  ) {}

  get caPem(): string {
    return this.caCert.toString('pem');
  }

  static async load(store: SandboxStore): Promise<SandboxCa> {
    const saved = store.keys['ca'] as
      { key: webcrypto.JsonWebKey; pub: webcrypto.JsonWebKey; cert: string } | undefined;
    if (saved) {
      const privateKey = await webcrypto.subtle.importKey('jwk', saved.key, EC, true, ['sign']);
      const publicKey = await webcrypto.subtle.importKey('jwk', saved.pub, EC, true, ['verify']);
      return new SandboxCa({ privateKey, publicKey }, new x509.X509Certificate(saved.cert));
    }
    const keys = await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify']);
    const now = Date.now();
    const cert = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: '01',
      name: 'CN=AIS Sandbox Root CA, O=AIS Gateway Sandbox, C=GB',
      notBefore: new Date(now - 86_400_000),
      notAfter: new Date(now + 10 * 365 * 86_400_000),
      keys: keys as never,
      signingAlgorithm: EC,
      extensions: [
        new x509.BasicConstraintsExtension(true, 1, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      ],
    });
    store.keys['ca'] = {
      key: await webcrypto.subtle.exportKey('jwk', keys.privateKey),
      pub: await webcrypto.subtle.exportKey('jwk', keys.publicKey),
      cert: cert.toString('pem'),
    };
    store.changed();
    return new SandboxCa(keys, cert);
  }

  /** Issues a certificate for `subjectDn`; with no public key given, creates the key pair too. */
  async issue(options: {
    subjectDn: string;
    publicKeyPem?: string;
    server?: { dns: string[]; ips: string[] };
    days?: number;
  }): Promise<IssuedCertificate> {
    let publicKey: webcrypto.CryptoKey;
    let privateKeyPem: string | undefined;
    if (options.publicKeyPem) {
      const type = createPublicKey(options.publicKeyPem).asymmetricKeyType;
      const alg = type === 'rsa' ? { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } : type === 'ec' ? EC : null;
      if (!alg) throw new Error('publicKeyPem must be an RSA or EC P-256 public key (SPKI PEM)');
      publicKey = await webcrypto.subtle.importKey(
        'spki',
        derOf(createPublicKey(options.publicKeyPem).export({ type: 'spki', format: 'pem' }).toString()),
        alg,
        true,
        ['verify'],
      );
    } else {
      const pair = await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify']);
      publicKey = pair.publicKey;
      privateKeyPem = pem('PRIVATE KEY', await webcrypto.subtle.exportKey('pkcs8', pair.privateKey));
    }
    const serialNumber = Buffer.from(webcrypto.getRandomValues(new Uint8Array(8)))
      .toString('hex')
      .replace(/^[89a-f]/, '1');
    const now = Date.now();
    const extensions: x509.Extension[] = [new x509.BasicConstraintsExtension(false, undefined, true)];
    if (options.server) {
      extensions.push(new x509.ExtendedKeyUsageExtension(['1.3.6.1.5.5.7.3.1']));
      extensions.push(
        new x509.SubjectAlternativeNameExtension([
          ...options.server.dns.map((value) => ({ type: 'dns' as const, value })),
          ...options.server.ips.map((value) => ({ type: 'ip' as const, value })),
        ]),
      );
    } else {
      extensions.push(new x509.ExtendedKeyUsageExtension(['1.3.6.1.5.5.7.3.2']));
    }
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber,
      subject: options.subjectDn,
      issuer: this.caCert.subject,
      notBefore: new Date(now - 3_600_000),
      notAfter: new Date(now + (options.days ?? 365) * 86_400_000),
      signingAlgorithm: EC,
      publicKey: publicKey as never,
      signingKey: this.caKey.privateKey as never,
      extensions,
    });
    return {
      certificatePem: cert.toString('pem'),
      privateKeyPem,
      subjectDn: cert.subject,
      serialNumber,
      thumbprintS256: createHash('sha256').update(Buffer.from(cert.rawData)).digest('base64url'),
    };
  }
}

/** RFC 8705 `x5t#S256` of a peer certificate. */
export function certThumbprint(cert: X509Certificate | { raw: Buffer }): string {
  return createHash('sha256').update(cert.raw).digest('base64url');
}

/** Parses an RFC 4514 distinguished name into attribute → value (keys upper-cased). */
export function parseDn(dn: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of dn.split(/(?<!\\),/)) {
    const i = part.indexOf('=');
    if (i < 0) continue;
    out.set(
      part.slice(0, i).trim().toUpperCase(),
      part
        .slice(i + 1)
        .trim()
        .replace(/\\,/g, ','),
    );
  }
  return out;
}

/** True when two DNs carry the same attributes and values, whatever their order and spacing. */
export function sameDn(a: string | Map<string, string>, b: string | Map<string, string>): boolean {
  const x = typeof a === 'string' ? parseDn(a) : a;
  const y = typeof b === 'string' ? parseDn(b) : b;
  if (x.size !== y.size) return false;
  for (const [k, v] of x) if (y.get(k) !== v) return false;
  return true;
}
