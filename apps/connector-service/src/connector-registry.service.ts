import { X509Certificate } from 'node:crypto';
import { decodeJwt, exportJWK, generateKeyPair, importPKCS8 } from 'jose';
import { randomUUID } from 'node:crypto';
import { request } from 'undici';
import { AppError } from '@ais/domain';
import {
  bankProfile,
  createConnector,
  type ClosableConnector,
  type ConnectorDeps,
  type ProviderRecord,
  type ProviderRegistration,
  type TppIdentity,
  type ClientAuthMethod,
} from '@ais/connectors';
import type { PrismaClient } from '@ais/db';
import type { ConnectorsConfig } from '@ais/config';
import type { RegistrationRepository } from './registration.repository.js';

/** A provider's connector, with the registration it was built from and that registration's stamp. */
export interface BuiltConnector {
  connector: ClosableConnector;
  provider: ProviderRecord;
  registration: ProviderRegistration | undefined;
  stamp: string | null;
}

/** How long a connector replaced by a fresh one keeps its HTTP agents open for calls still running on it. */
const RETIRED_CONNECTOR_CLOSE_MS = 30_000;

/**
 * One connector per provider, built from the provider row and its stored registration, rebuilt after
 * (re-)onboarding. Onboarding obtains the TPP identity: for the sandbox, a fresh signing key, a
 * software statement and a transport certificate from the sandbox directory.
 */
export class ConnectorRegistry {
  private readonly connectors = new Map<string, Promise<BuiltConnector>>();

  constructor(
    private readonly prisma: PrismaClient,
    private readonly registrations: RegistrationRepository,
    private readonly deps: ConnectorDeps,
    private readonly config: ConnectorsConfig,
  ) {}

  /** Whether the TPP identity is configured (TPP_* files) rather than fetched from the sandbox directory. */
  get identityConfigured(): boolean {
    return this.config.tpp.identity !== null;
  }

  private async provider(providerId: string): Promise<ProviderRecord> {
    const row = await this.prisma.provider.findUnique({ where: { id: providerId } });
    if (!row) throw AppError.notFound('Provider');
    if (row.status !== 'active')
      throw new AppError('provider_unavailable', `Provider ${providerId} is not active.`, { providerId });
    return row as unknown as ProviderRecord;
  }

  async get(providerId: string): Promise<ClosableConnector> {
    return (await this.getStamped(providerId)).connector;
  }

  /**
   * The provider's connector and the stamp of the registration it was built from (null: none), so a
   * caller can tell whether the stored registration changed since (another instance registered again).
   */
  async getStamped(providerId: string): Promise<BuiltConnector> {
    let c = this.connectors.get(providerId);
    if (!c) {
      c = (async () => {
        const provider = await this.provider(providerId);
        const { registration, stamp } = await this.registrations.findStamped(providerId);
        return { connector: createConnector(provider, registration, this.deps), provider, stamp, registration };
      })();
      c.catch(() => this.connectors.delete(providerId));
      this.connectors.set(providerId, c);
    }
    return c;
  }

  /** The stamp of the stored registration (null: none), without opening it. */
  stampOfStored(providerId: string): Promise<string | null> {
    return this.registrations.stamp(providerId);
  }

  /**
   * Drops `built` from the cache when it is still the current one, so the next call builds a fresh
   * connector from the stored registration (no cached client-credentials token, the stored
   * certificate). Its HTTP agents close a little later: calls still running on it may finish.
   */
  async evict(providerId: string, built: BuiltConnector): Promise<void> {
    const current = this.connectors.get(providerId);
    if (!current) return;
    const c = await current.catch(() => undefined);
    if (c !== built || this.connectors.get(providerId) !== current) return;
    this.connectors.delete(providerId);
    this.retire(built);
  }

  private readonly retired = new Set<BuiltConnector>();

  private retire(built: BuiltConnector): void {
    this.retired.add(built);
    setTimeout(() => {
      this.retired.delete(built);
      void built.connector.close().catch(() => undefined);
    }, RETIRED_CONNECTOR_CLOSE_MS).unref();
  }

  private readonly onboarding = new Map<string, Promise<ProviderRegistration>>();

  /**
   * Registers at the bank once at a time per provider (start-up onboarding and an RPC may race).
   * With `credentials` (a client issued by the bank's portal), those are stored instead of registering.
   */
  async onboard(
    providerId: string,
    method?: ClientAuthMethod,
    force = false,
    credentials?: { clientId: string; clientSecret?: string },
  ): Promise<ProviderRegistration> {
    const running = this.onboarding.get(providerId);
    if (running) {
      return running
        .catch(() => undefined)
        .then((r) =>
          !r || credentials || force || (method !== undefined && r.tokenEndpointAuthMethod !== method)
            ? this.onboard(providerId, method, force, credentials)
            : r,
        );
    }
    const p = this.doOnboard(providerId, method, force, credentials).finally(() => this.onboarding.delete(providerId));
    this.onboarding.set(providerId, p);
    return p;
  }

  private async doOnboard(
    providerId: string,
    method: ClientAuthMethod | undefined,
    force: boolean,
    credentials?: { clientId: string; clientSecret?: string },
  ): Promise<ProviderRegistration> {
    const existing = await this.registrations.find(providerId);
    if (existing && !force && !credentials && (method === undefined || existing.tokenEndpointAuthMethod === method))
      return existing;
    const provider = await this.provider(providerId);
    const connector = createConnector(provider, undefined, this.deps);
    try {
      const tpp = this.config.tpp.identity
        ? await this.configuredIdentity(provider, credentials !== undefined)
        : await this.sandboxIdentity(provider, method);
      const configured = credentials
        ? {
            configured: {
              ...credentials,
              tokenEndpointAuthMethod: method ?? bankProfile(provider.profile).preferredAuthMethod,
            },
          }
        : {};
      const registration = await connector.onboard({
        redirectUris: [this.config.tpp.redirectUri],
        tpp,
        ...(method ? { tokenEndpointAuthMethod: method } : {}),
        ...configured,
      });
      await this.registrations.save(registration);
      const old = this.connectors.get(providerId);
      this.connectors.delete(providerId);
      // Calls still running on the old connector may finish before its agents close.
      void old?.then(
        (o) => this.retire(o),
        () => undefined,
      );
      return registration;
    } finally {
      await connector.close();
    }
  }

  /**
   * The TPP identity from configuration (TPP_SIGNING_KEY_FILE and friends): what a real bank is
   * onboarded with. Its software statement carries the directory's ids; a bank that registers by
   * DCR needs one.
   */
  private async configuredIdentity(provider: ProviderRecord, clientIssued = false): Promise<TppIdentity> {
    const configured = this.config.tpp.identity!;
    const privateJwk = await exportJWK(await importPKCS8(configured.signingKeyPem, 'PS256', { extractable: true }));
    const identity: TppIdentity = {
      clientName: this.config.tpp.clientName,
      signingKey: { kid: configured.kid, alg: 'PS256', privateJwk },
    };
    if (configured.softwareStatement) {
      const ssa = decodeJwt(configured.softwareStatement);
      identity.softwareStatement = configured.softwareStatement;
      if (typeof ssa.software_id === 'string') identity.softwareId = ssa.software_id;
      if (typeof ssa.org_id === 'string') identity.organisationId = ssa.org_id;
      if (typeof ssa.software_jwks_endpoint === 'string') identity.jwksUri = ssa.software_jwks_endpoint;
    } else if (bankProfile(provider.profile).onboarding === 'dcr' && !clientIssued) {
      throw new AppError(
        'provider_unavailable',
        `${provider.id} registers clients by DCR, which needs a software statement: set TPP_SOFTWARE_STATEMENT_FILE.`,
      );
    }
    if (configured.transport) {
      identity.transport = {
        certPem: configured.transport.certPem,
        keyPem: configured.transport.keyPem,
        ...(configured.transport.caPem ? { caPem: configured.transport.caPem } : {}),
        subjectDn: rfc4514Subject(configured.transport.certPem),
      };
    }
    return identity;
  }

  /** A TPP identity from the sandbox directory (the OBIE Directory stand-in). */
  private async sandboxIdentity(provider: ProviderRecord, method?: ClientAuthMethod): Promise<TppIdentity> {
    const { privateKey, publicKey } = await generateKeyPair('PS256', { extractable: true });
    const kid = randomUUID();
    const privateJwk = await exportJWK(privateKey);
    const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: 'PS256', use: 'sig' };
    const identity: TppIdentity = {
      clientName: this.config.tpp.clientName,
      signingKey: { kid, alg: 'PS256', privateJwk },
    };
    const profile = bankProfile(provider.profile);
    // A software statement for DCR; a transport certificate (OBWAC / QWAC) for DCR banks and for
    // Berlin Group banks that identify the TPP by its QWAC. The directory issues both.
    const qwac = 'qwacOnXs2a' in profile && profile.qwacOnXs2a;
    if (profile.onboarding !== 'dcr' && !qwac) return identity;
    const dir = `${this.config.sandboxUrl}/directory`;
    const ssa = await postJson(`${dir}/software-statements`, {
      client_name: this.config.tpp.clientName,
      redirect_uris: [this.config.tpp.redirectUri],
      jwks: { keys: [publicJwk] },
    });
    identity.softwareId = ssa.software_id as string;
    identity.organisationId = ssa.org_id as string;
    identity.softwareStatement = ssa.software_statement as string;
    identity.jwksUri = ssa.software_jwks_endpoint as string;
    if (method === 'tls_client_auth' || method === undefined || qwac) {
      const cert = await postJson(`${dir}/certificates`, { software_id: identity.softwareId });
      identity.transport = {
        certPem: cert.certificate_pem as string,
        keyPem: cert.private_key_pem as string,
        ...(this.config.trustSandboxCa ? { caPem: cert.ca_pem as string } : {}),
        subjectDn: cert.subject_dn as string,
      };
    }
    return identity;
  }

  async close(): Promise<void> {
    for (const c of this.connectors.values()) await c.then((x) => x.connector.close()).catch(() => undefined);
    this.connectors.clear();
    for (const r of this.retired) await r.connector.close().catch(() => undefined);
    this.retired.clear();
  }
}

/** The certificate's subject as an RFC 4514 string (most specific first), for tls_client_auth_subject_dn. */
function rfc4514Subject(certPem: string): string {
  return new X509Certificate(certPem).subject.split('\n').reverse().join(',');
}

async function postJson(url: string, body: unknown): Promise<Record<string, unknown>> {
  const res = await request(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const json = (await res.body.json()) as Record<string, unknown>;
  if (res.statusCode >= 300)
    throw new AppError('provider_unavailable', `The sandbox directory refused: ${JSON.stringify(json)}`);
  return json;
}
