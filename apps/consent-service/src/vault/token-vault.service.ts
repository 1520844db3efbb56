import type { RedisClient } from '@ais/db';
import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { ConsentRepository, PRISMA, REDIS, TokenSetRepository, type PrismaClient } from '@ais/db';
import { AppError } from '@ais/domain';
import type { ConnectorTokenSet, RpcResponse } from '@ais/contracts';
import { KeyRing } from '@ais/crypto';
import type { Logger } from '@ais/observability';
import type { RpcClient } from '@ais/rpc';
import { CONSENT_SERVICE_CONFIG, type ConsentServiceConfig } from '../consent-service.config.js';
import { CONNECTOR_RPC, LOGGER } from '../tokens.js';
import { ConsentLifecycleService } from '../consents/consent-lifecycle.service.js';

const REFRESH_LOCK_MS = 30_000;
/** Deletes the lock only if this holder still has it (it may have expired and moved on). */
const RELEASE_IF_HELD =
  "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end";

/**
 * The bank token vault. Tokens are sealed with AES-256-GCM (AAD = consent id) and opened only here.
 * An access token close to expiry is refreshed before it is handed out, once per consent even under
 * concurrency (a lock per consent; whoever waits re-reads the refreshed set).
 */
@Injectable()
export class TokenVaultService {
  constructor(
    @Inject(PRISMA) private readonly prisma: PrismaClient,
    @Inject(CONSENT_SERVICE_CONFIG) private readonly config: ConsentServiceConfig,
    @Inject(CONNECTOR_RPC) private readonly connector: RpcClient,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(REDIS) private readonly redis: RedisClient,
    private readonly keyRing: KeyRing,
    private readonly consents: ConsentRepository,
    private readonly tokenSets: TokenSetRepository,
    private readonly lifecycle: ConsentLifecycleService,
  ) {}

  async getAccessToken(consentId: string): Promise<RpcResponse<'consent-service.getAccessToken'>> {
    const tenantId = await this.consents.findTenantOf(consentId);
    const consent = tenantId ? await this.consents.findForTenant(tenantId, consentId) : null;
    if (!consent) throw AppError.notFound('Consent');
    if (consent.status === 'revoked') throw new AppError('consent_revoked', 'The consent has been revoked.');
    if (consent.status === 'expired' || consent.expiresAt <= new Date())
      throw new AppError('consent_expired', 'The consent has expired.');
    if (consent.status !== 'authorised')
      throw new AppError('invalid_state_transition', `The consent is ${consent.status}, not authorised.`);

    const { tokens: stored, version } = await this.read(consentId);
    const tokens = this.needsRefresh(stored) ? await this.refresh(consentId, version) : stored;
    const refreshAt = this.refreshAt(tokens);
    return {
      accessToken: tokens.accessToken,
      tokenType: tokens.tokenType,
      externalConsentId: tokens.externalConsentId,
      expiresAt: tokens.accessTokenExpiresAt,
      refreshAt: refreshAt === null ? null : new Date(refreshAt).toISOString(),
    };
  }

  /**
   * When the vault refreshes this access token (epoch ms; null: never, it has no expiry or no
   * refresh token): the refresh margin before its expiry, capped at half the token's lifetime — a
   * bank issuing tokens shorter than the margin would otherwise see a refresh on every use (and,
   * rotating refresh tokens, a new grant each time), even right after one. The connector-service
   * reuses a token it was given until this instant, so the rule lives here only.
   */
  private refreshAt(tokens: ConnectorTokenSet): number | null {
    if (!tokens.accessTokenExpiresAt || !tokens.refreshToken) return null;
    const expiresAt = Date.parse(tokens.accessTokenExpiresAt);
    const lifetime = tokens.obtainedAt ? expiresAt - Date.parse(tokens.obtainedAt) : Number.POSITIVE_INFINITY;
    const at = expiresAt - Math.min(this.config.consents.tokenRefreshMarginSeconds * 1000, lifetime / 2);
    return Number.isFinite(at) ? at : null;
  }

  private needsRefresh(tokens: ConnectorTokenSet): boolean {
    const refreshAt = this.refreshAt(tokens);
    return refreshAt !== null && Date.now() > refreshAt;
  }

  private async read(consentId: string): Promise<{ tokens: ConnectorTokenSet; version: number }> {
    const record = await this.tokenSets.find(consentId);
    if (!record) throw new AppError('consent_revoked', 'No bank tokens are held for this consent.');
    return { tokens: this.keyRing.openJson<ConnectorTokenSet>(record.ciphertext, consentId), version: record.version };
  }

  /**
   * Refreshes once per consent at a time. The bank call happens outside any database transaction (a
   * transaction held open across a slow bank would hold back the change feed and the outbox relay,
   * which read below the oldest running transaction), under a short RedisClient lock instead: banks that
   * rotate refresh tokens would see a second concurrent refresh as a revoked grant.
   */
  private async refresh(consentId: string, seenVersion: number): Promise<ConnectorTokenSet> {
    const lock = `${this.config.redis.prefix}:lock:token-refresh:${consentId}`;
    const holder = randomUUID();
    const deadline = Date.now() + REFRESH_LOCK_MS;
    while ((await this.redis.set(lock, holder, 'PX', REFRESH_LOCK_MS, 'NX')) !== 'OK') {
      if (Date.now() > deadline)
        throw new AppError('service_unavailable', 'A token refresh for this consent is taking too long.');
      await new Promise((r) => setTimeout(r, 100));
    }
    try {
      const { tokens: current, version } = await this.read(consentId);
      // Whoever held the lock before us refreshed already: use theirs (even if the bank's tokens are
      // so short-lived that the fresh one is already inside the refresh margin).
      if (version !== seenVersion || !this.needsRefresh(current)) return current;
      const consent = (await this.prisma.consent.findUnique({
        where: { id: consentId },
        select: { providerId: true },
      }))!;
      const fresh = await this.connector.send('connector.refreshTokens', {
        providerId: consent.providerId,
        refreshToken: current.refreshToken!,
        externalConsentId: current.externalConsentId,
      });
      const merged: ConnectorTokenSet = { ...fresh, refreshToken: fresh.refreshToken ?? current.refreshToken };
      await this.tokenSets.upsert(this.prisma, {
        consentId,
        keyId: this.keyRing.activeKeyId,
        ciphertext: this.keyRing.sealJson(merged, consentId),
        accessTokenExpiresAt: merged.accessTokenExpiresAt ? new Date(merged.accessTokenExpiresAt) : null,
        refreshTokenExpiresAt: merged.refreshTokenExpiresAt ? new Date(merged.refreshTokenExpiresAt) : null,
      });
      this.logger.info({ consentId }, 'bank tokens refreshed');
      return merged;
    } catch (error) {
      if (error instanceof AppError && (error.code === 'consent_revoked' || error.code === 'consent_expired')) {
        await this.lifecycle.bankCondition({ consentId, condition: error.code, detail: error.detail });
      }
      throw error;
    } finally {
      await this.redis.eval(RELEASE_IF_HELD, 1, lock, holder).catch(() => undefined);
    }
  }
}
