import { Inject, Injectable } from '@nestjs/common';
import { createHash, randomBytes } from 'node:crypto';
import {
  AuthorisationSessionRepository,
  ConsentRepository,
  EventRepository,
  PRISMA,
  ProviderRepository,
  TenantRepository,
  TokenSetRepository,
  type ConsentRecord,
  type PrismaClient,
  type Prisma,
} from '@ais/db';
import {
  PurgeConsentData,
  RecordBankCondition,
  RequestSync,
  SyncJobQueues,
  type RecordBankConditionCommand,
} from '@ais/sync';
import {
  AppError,
  earliestHistoryDate,
  newId,
  nextConsentStatus,
  nextConsentStatusCheckAt,
  resolveConsentTerms,
  transitionConsent,
  type ProviderCapabilities,
  type ResolvedConsentTerms,
} from '@ais/domain';
import {
  type ConnectorAuthorisationSession,
  type ConnectorPsu,
  type ConnectorTokenSet,
  type RpcRequest,
  type RpcResponse,
} from '@ais/contracts';
import { KeyRing } from '@ais/crypto';
import type { Logger } from '@ais/observability';
import type { RpcClient } from '@ais/rpc';
import { CONSENT_SERVICE_CONFIG, type ConsentServiceConfig } from '../consent-service.config.js';
import { CONNECTOR_RPC, LOGGER } from '../tokens.js';
import { BankRevocations } from './bank-revocations.js';

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

/** What an authorisation session keeps, sealed: the connector's session plus what a re-authorisation changes on success. */
interface SealedSession {
  connector: ConnectorAuthorisationSession;
  /** Re-authorisation through a new bank consent: applied when the PSU authorises. */
  pending?: { externalConsentId: string; expiresAt: string; previousExternalConsentId: string | null };
}

type Outcome = RpcResponse<'consent-service.completeAuthorisation'>;

/**
 * The consent lifecycle: creation at the bank, the authorisation callback (single-use state, nonce,
 * PKCE, id_token checks by the connector), revocation, re-authorisation and bank-side conditions.
 * Every status change goes through the domain state machine, under a row lock, with its event in the
 * same transaction.
 */
@Injectable()
export class ConsentLifecycleService {
  constructor(
    @Inject(PRISMA) private readonly prisma: PrismaClient,
    @Inject(CONSENT_SERVICE_CONFIG) private readonly config: ConsentServiceConfig,
    @Inject(CONNECTOR_RPC) private readonly connector: RpcClient,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly keyRing: KeyRing,
    private readonly consents: ConsentRepository,
    private readonly sessions: AuthorisationSessionRepository,
    private readonly tokenSets: TokenSetRepository,
    private readonly providers: ProviderRepository,
    private readonly tenants: TenantRepository,
    private readonly events: EventRepository,
    private readonly revocations: BankRevocations,
    private readonly requestSync: RequestSync,
    private readonly syncQueues: SyncJobQueues,
    private readonly purgeConsentData: PurgeConsentData,
    private readonly recordBankCondition: RecordBankCondition,
  ) {}

  async create(input: RpcRequest<'consent-service.createConsent'>): Promise<{ consentId: string }> {
    const now = new Date();
    const provider = await this.providers.findById(input.providerId);
    if (!provider)
      throw AppError.validation([
        { field: 'providerId', message: `unknown provider "${input.providerId}" (see GET /v1/providers)` },
      ]);
    if (provider.status !== 'active')
      throw new AppError('provider_unavailable', `Provider ${provider.id} is not active on this gateway yet.`);
    await this.requireAllowedRedirect(input.tenantId, input.redirectUri);
    const terms = resolveConsentTerms(input, provider.capabilities as unknown as ProviderCapabilities, now);

    const consentId = newId('consent');
    const { bankConsent, authorisation } = await this.openAtBank(provider.id, consentId, terms, input.psu);
    const expiresAt =
      bankConsent.expiresAt && new Date(bankConsent.expiresAt) < terms.expiresAt
        ? new Date(bankConsent.expiresAt)
        : terms.expiresAt;
    await this.prisma.$transaction(async (tx) => {
      await this.consents.create(tx, {
        id: consentId,
        tenantId: input.tenantId,
        providerId: provider.id,
        endUserId: input.endUserId ?? null,
        permissions: terms.permissions,
        transactionsFrom: new Date(`${terms.transactionsFrom}T00:00:00Z`),
        expiresAt,
        frequencyPerDay: terms.frequencyPerDay,
        redirectUri: input.redirectUri,
        tenantState: input.state ?? null,
        metadata: input.metadata ?? {},
        namedAccounts: terms.accounts ?? null,
        externalId: bankConsent.externalConsentId,
      });
      await this.openSession(tx, consentId, 'authorise', authorisation.url, { connector: authorisation.session }, now);
    });
    this.logger.info({ consentId, providerId: provider.id, tenantId: input.tenantId }, 'consent created');
    return { consentId };
  }

  async completeAuthorisation(input: RpcRequest<'consent-service.completeAuthorisation'>): Promise<Outcome> {
    const now = new Date();
    const { params } = input;
    const none: Outcome = { redirectTo: null, consentId: null, status: null, error: 'invalid_state' };
    if (!params['state']) return none;
    // Single use: the session is consumed atomically; a replayed or unknown state finds nothing.
    const session = await this.sessions.consume(sha256(params['state']), now);
    if (!session) return none;
    const tenantId = await this.consents.findTenantOf(session.consentId);
    const consent = tenantId ? await this.consents.findForTenant(tenantId, session.consentId) : null;
    if (!consent) return none;

    if (session.expiresAt <= now)
      return this.fail(
        consent,
        'authorisation_failed',
        'authorisation_expired',
        'The PSU took longer than the authorisation window.',
      );
    if (params['error']) {
      const denied = params['error'] === 'access_denied';
      return this.fail(
        consent,
        denied ? 'psu_rejected' : 'authorisation_failed',
        params['error'].slice(0, 64),
        params['error_description']?.slice(0, 500) ?? null,
      );
    }
    if (!params['code'])
      return this.fail(consent, 'authorisation_failed', 'invalid_callback', 'The bank redirected without a code.');

    const sealed = this.keyRing.openJson<SealedSession>(session.secretsEncrypted, session.id);
    let tokens: ConnectorTokenSet;
    try {
      tokens = await this.connector.send('connector.exchangeCode', {
        providerId: consent.providerId,
        session: sealed.connector,
        callback: {
          code: params['code'],
          state: params['state'],
          ...(params['id_token'] ? { id_token: params['id_token'] } : {}),
        },
      });
    } catch (error) {
      const appError = error instanceof AppError ? error : new AppError('internal_error', 'token exchange failed');
      this.logger.warn(
        { consentId: consent.id, code: appError.code, detail: appError.detail },
        'authorisation failed at the token exchange',
      );
      return this.fail(consent, 'authorisation_failed', 'token_exchange_failed', appError.detail);
    }

    const provider = await this.providers.findById(consent.providerId);
    const authorised = await this.prisma.$transaction(async (tx) => {
      const current = await this.consents.lockForTenant(tx, consent.tenantId, consent.id);
      if (!current) throw AppError.notFound('Consent');
      const status = transitionConsent(current.status, 'psu_authorised');
      const pending = sealed.pending;
      await this.storeTokens(tx, current.id, tokens);
      const updated = await this.consents.update(tx, current.tenantId, current.id, {
        status,
        authorisedAt: now,
        externalId: pending?.externalConsentId ?? tokens.externalConsentId ?? current.externalId,
        ...(pending ? { expiresAt: new Date(pending.expiresAt), expiringNotifiedAt: null } : {}),
        nextSyncAt: now,
        nextStatusCheckAt: nextConsentStatusCheckAt(provider?.capabilities ?? {}, now),
        failureCode: null,
        failureDetail: null,
      });
      await this.sessions.closeAll(tx, current.id, now);
      await this.events.append(tx, current.tenantId, 'consent.authorised', {
        consentId: current.id,
        providerId: current.providerId,
        endUserId: current.endUserId,
        authorisedAt: now.toISOString(),
        expiresAt: updated.expiresAt.toISOString(),
      });
      return { updated, previousExternalConsentId: pending?.previousExternalConsentId ?? null };
    });
    // The end user has just come back from the bank: the first sync runs with the PSU present (their
    // IP is sent to the bank), so reading the full history does not spend the unattended budget.
    // If Redis refuses, next_sync_at (set in the transaction above) lets the scheduler pick it up.
    await this.requestSync
      .execute(
        {
          tenantId: consent.tenantId,
          consentId: consent.id,
          providerId: consent.providerId,
          trigger: 'initial',
          ...(input.psuIpAddress ? { psuIpAddress: input.psuIpAddress } : {}),
        },
        new Date(),
      )
      .catch((error: unknown) =>
        this.logger.warn(
          { err: error, consentId: consent.id },
          'could not enqueue the first sync; the scheduler will pick it up',
        ),
      );
    if (
      authorised.previousExternalConsentId &&
      authorised.previousExternalConsentId !== authorised.updated.externalId
    ) {
      // The re-authorisation replaced the bank consent: the old one is no longer needed.
      await this.revocations.revoke(authorised.updated, authorised.previousExternalConsentId);
    }
    this.logger.info({ consentId: consent.id }, 'consent authorised');
    return this.redirect(authorised.updated, 'authorised', null);
  }

  async revoke(input: RpcRequest<'consent-service.revokeConsent'>): Promise<{ revokedAtBank: boolean }> {
    const now = new Date();
    const result = await this.prisma.$transaction(async (tx) => {
      const consent = await this.consents.lockForTenant(tx, input.tenantId, input.consentId);
      if (!consent) throw AppError.notFound('Consent');
      const alreadyRevoked = consent.status === 'revoked';
      if (!alreadyRevoked) {
        const status = transitionConsent(consent.status, 'revoked_by_tenant');
        await this.consents.update(tx, consent.tenantId, consent.id, { status, revokedAt: now, nextSyncAt: null });
        await this.tokenSets.delete(tx, consent.id);
        await this.sessions.closeAll(tx, consent.id, now);
        await this.events.append(tx, consent.tenantId, 'consent.revoked', {
          consentId: consent.id,
          providerId: consent.providerId,
          endUserId: consent.endUserId,
          revokedAt: now.toISOString(),
          revokedBy: 'tenant',
        });
      }
      if (input.purge) await this.purgeConsentData.execute(tx, { tenantId: consent.tenantId, consentId: consent.id });
      return { consent, alreadyRevoked };
    });
    // A queued sync of a revoked consent would only be refused by the worker: take it off the queue.
    await this.syncQueues.remove(result.consent.providerId, result.consent.id).catch(() => undefined);
    if (result.alreadyRevoked || !result.consent.externalId) return { revokedAtBank: false };
    return { revokedAtBank: await this.revocations.revoke(result.consent, result.consent.externalId) };
  }

  async reauthorise(input: RpcRequest<'consent-service.reauthorise'>): Promise<{ consentId: string }> {
    const now = new Date();
    const consent = await this.consents.findForTenant(input.tenantId, input.consentId);
    if (!consent) throw AppError.notFound('Consent');
    transitionConsent(consent.status, 'reauthorisation_started'); // refuses revoked consents before calling the bank
    const redirectUri = input.redirectUri ?? consent.redirectUri;
    if (input.redirectUri) await this.requireAllowedRedirect(input.tenantId, redirectUri);
    const provider = await this.providers.findById(consent.providerId);
    if (!provider || provider.status !== 'active')
      throw new AppError('provider_unavailable', `Provider ${consent.providerId} is not active.`);
    const caps = provider.capabilities as unknown as ProviderCapabilities;
    // A fresh bank consent with the same terms and a new validity; ids and data on our side are kept.
    // Terms the provider no longer offers are left out rather than refused (a consent made while the
    // catalogue advertised more: Al Salam's statements, party… which the bank never served).
    const from = consent.transactionsFrom?.toISOString().slice(0, 10);
    const earliest = earliestHistoryDate(caps, now);
    const terms = resolveConsentTerms(
      {
        permissions: consent.permissions.filter((p) => (caps.supportedPermissions as string[]).includes(p)),
        frequencyPerDay: Math.min(consent.frequencyPerDay, caps.maxFrequencyPerDay),
        transactionsFrom: from && from >= earliest ? from : undefined,
        // The same accounts again: a re-authorisation never widens a dedicated-account consent.
        ...(consent.namedAccounts ? { accounts: consent.namedAccounts } : {}),
      },
      caps,
      now,
    );
    const { bankConsent, authorisation } = await this.openAtBank(provider.id, consent.id, terms, input.psu);
    await this.prisma.$transaction(async (tx) => {
      const current = await this.consents.lockForTenant(tx, input.tenantId, input.consentId);
      if (!current) throw AppError.notFound('Consent');
      const status = transitionConsent(current.status, 'reauthorisation_started');
      await this.consents.update(tx, current.tenantId, current.id, {
        status,
        redirectUri,
        ...(input.state !== undefined ? { tenantState: input.state } : {}),
        ...(status === 'awaiting_authorisation' ? { externalId: bankConsent.externalConsentId } : {}),
      });
      await this.sessions.closeAll(tx, current.id, now);
      await this.openSession(
        tx,
        current.id,
        'reauthorise',
        authorisation.url,
        {
          connector: authorisation.session,
          pending: {
            externalConsentId: bankConsent.externalConsentId,
            expiresAt: terms.expiresAt.toISOString(),
            previousExternalConsentId: current.externalId,
          },
        },
        now,
      );
    });
    return { consentId: consent.id };
  }

  async bankCondition(input: RecordBankConditionCommand): Promise<{ status: string }> {
    const status = await this.recordBankCondition.execute(
      { consentId: input.consentId, condition: input.condition, detail: input.detail },
      new Date(),
    );
    if (status === null) throw AppError.notFound('Consent');
    return { status };
  }

  /** Creates the consent at the bank and the authorisation the PSU will open (state, nonce, PKCE…). */
  private async openAtBank(
    providerId: string,
    consentId: string,
    terms: ResolvedConsentTerms,
    psu: ConnectorPsu | undefined,
  ) {
    const withPsu = psu ? { psu } : {};
    const bankConsent = await this.connector.send('connector.createConsent', {
      providerId,
      consentId,
      permissions: terms.permissions,
      expiresAt: terms.expiresAt.toISOString(),
      transactionsFrom: terms.transactionsFrom,
      frequencyPerDay: terms.frequencyPerDay,
      redirectUri: this.config.consents.callbackUri,
      ...(terms.accounts ? { accounts: terms.accounts } : {}),
      ...withPsu,
    });
    const authorisation = await this.connector.send('connector.buildAuthorisation', {
      providerId,
      externalConsentId: bankConsent.externalConsentId,
      redirectUri: this.config.consents.callbackUri,
      consentLinks: bankConsent.links,
      state: randomBytes(32).toString('base64url'),
      ...withPsu,
    });
    return { bankConsent, authorisation };
  }

  private async fail(
    consent: ConsentRecord,
    event: 'psu_rejected' | 'authorisation_failed',
    error: string,
    detail: string | null,
  ): Promise<Outcome> {
    const outcome = event === 'psu_rejected' ? 'rejected' : 'failed';
    await this.prisma.$transaction(async (tx) => {
      const current = await this.consents.lockForTenant(tx, consent.tenantId, consent.id);
      if (!current) return;
      const next = nextConsentStatus(current.status, event);
      if (next === null || next === current.status) return; // e.g. a failed re-authorisation keeps the consent authorised
      await this.consents.update(tx, current.tenantId, current.id, {
        status: next,
        failureCode: error,
        failureDetail: detail,
      });
      if (next === 'rejected') {
        await this.events.append(tx, current.tenantId, 'consent.rejected', {
          consentId: current.id,
          providerId: current.providerId,
          endUserId: current.endUserId,
          reason: error,
        });
      }
    });
    this.logger.info({ consentId: consent.id, outcome, error }, 'authorisation did not succeed');
    return this.redirect(consent, outcome, error);
  }

  private redirect(consent: ConsentRecord, status: string, error: string | null): Outcome {
    const url = new URL(consent.redirectUri);
    url.searchParams.set('consentId', consent.id);
    url.searchParams.set('status', status);
    if (consent.tenantState !== null) url.searchParams.set('state', consent.tenantState);
    if (error) url.searchParams.set('error', error);
    return { redirectTo: url.toString(), consentId: consent.id, status, error };
  }

  private async openSession(
    tx: Prisma.TransactionClient,
    consentId: string,
    purpose: string,
    url: string,
    sealed: SealedSession,
    now: Date,
  ): Promise<void> {
    const id = newId('authSession');
    await this.sessions.create(tx, {
      id,
      consentId,
      stateHash: sha256(sealed.connector.state),
      secretsEncrypted: this.keyRing.sealJson(sealed, id),
      purpose,
      authorisationUrl: url,
      expiresAt: new Date(now.getTime() + this.config.consents.authorisationTtlSeconds * 1000),
    });
  }

  private async storeTokens(tx: Prisma.TransactionClient, consentId: string, tokens: ConnectorTokenSet): Promise<void> {
    await this.tokenSets.upsert(tx, {
      consentId,
      keyId: this.keyRing.activeKeyId,
      ciphertext: this.keyRing.sealJson(tokens, consentId),
      accessTokenExpiresAt: tokens.accessTokenExpiresAt ? new Date(tokens.accessTokenExpiresAt) : null,
      refreshTokenExpiresAt: tokens.refreshTokenExpiresAt ? new Date(tokens.refreshTokenExpiresAt) : null,
    });
  }

  private async requireAllowedRedirect(tenantId: string, redirectUri: string): Promise<void> {
    if (!(await this.tenants.isRedirectUriAllowed(tenantId, redirectUri))) {
      throw new AppError(
        'redirect_uri_not_allowed',
        'redirectUri is not on this tenant’s allow-list (exact match).',
        {},
        [{ field: 'redirectUri', message: 'not on the tenant’s redirect-URI allow-list' }],
      );
    }
  }
}

export type { ConnectorPsu };
