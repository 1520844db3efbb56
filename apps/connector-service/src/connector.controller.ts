import { Controller, Inject, Optional } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import type { ClosableConnector, ProviderRegistration } from '@ais/connectors';
import type { RpcPattern, RpcRequest, RpcResponse } from '@ais/contracts';
import { CachedTokenSource } from './cached-token-source.js';
import { HeldPages } from './held-pages.js';
import { ConnectorRegistry } from './connector-registry.service.js';
import { ProviderCalls, type CallKind } from './provider-calls.js';

type Req<P extends `connector.${string}` & RpcPattern> = RpcRequest<P>;

/**
 * The connector.* RPC patterns: thin, everything is in the connectors lib. Every bank call goes
 * through ProviderCalls, which heals a registration the bank rejects and records outcomes for health.
 */
@Controller()
export class ConnectorController {
  constructor(
    @Inject(ConnectorRegistry) private readonly registry: ConnectorRegistry,
    @Inject(ProviderCalls) private readonly calls: ProviderCalls,
    @Inject(HeldPages) private readonly held: HeldPages,
    /**
     * The connectors' TokenSource (app.module). Optional: a harness that builds the connectors over
     * the vault's RpcTokenSource directly keeps nothing, so there is nothing to reuse or forget.
     */
    @Optional() @Inject(CachedTokenSource) private readonly tokens?: CachedTokenSource,
  ) {}

  private run<T>(providerId: string, kind: CallKind, call: (c: ClosableConnector) => Promise<T>): Promise<T> {
    return this.calls.run(providerId, kind, call);
  }

  /** A data call: the consent's token is reused across its pages and calls, and dropped (then asked for once more) when the bank refuses it. */
  private data<T>(
    r: { providerId: string; context: { consentId: string } },
    call: (c: ClosableConnector) => Promise<T>,
  ): Promise<T> {
    const tokens = this.tokens;
    if (!tokens) return this.run(r.providerId, 'data_call', call);
    return this.run(r.providerId, 'data_call', (c) => tokens.run(r.context.consentId, () => call(c)));
  }

  @MessagePattern('connector.onboard')
  async onboard(@Payload() r: Req<'connector.onboard'>): Promise<RpcResponse<'connector.onboard'>> {
    let reg: ProviderRegistration;
    try {
      reg = await this.registry.onboard(r.providerId, r.tokenEndpointAuthMethod, r.force ?? false, r.credentials);
    } catch (error) {
      await this.calls.recordOnboarding(r.providerId, 'failed', error);
      throw error;
    }
    await this.calls.recordOnboarding(r.providerId, 'succeeded');
    return {
      providerId: reg.providerId,
      clientId: reg.clientId,
      tokenEndpointAuthMethod: reg.tokenEndpointAuthMethod,
      source: reg.source,
    };
  }

  @MessagePattern('connector.createConsent')
  async createConsent(@Payload() r: Req<'connector.createConsent'>) {
    return this.run(r.providerId, 'consent_creation', (c) => c.createConsent(r));
  }

  @MessagePattern('connector.buildAuthorisation')
  async buildAuthorisation(@Payload() r: Req<'connector.buildAuthorisation'>) {
    return this.run(r.providerId, 'authorisation_request', (c) => c.buildAuthorisation(r));
  }

  @MessagePattern('connector.exchangeCode')
  async exchangeCode(@Payload() r: Req<'connector.exchangeCode'>) {
    return this.run(r.providerId, 'code_exchange', (c) => c.exchangeCode(r));
  }

  @MessagePattern('connector.refreshTokens')
  async refreshTokens(@Payload() r: Req<'connector.refreshTokens'>) {
    try {
      return await this.run(r.providerId, 'token_refresh', (c) => c.refreshTokens(r));
    } finally {
      // The vault refreshed (or found the grant gone): the token reused so far is not asked for again.
      this.tokens?.forgetExternal(r.externalConsentId);
    }
  }

  @MessagePattern('connector.getConsentStatus')
  async getConsentStatus(@Payload() r: Req<'connector.getConsentStatus'>) {
    const consent = await this.run(r.providerId, 'consent_call', (c) => c.getConsentStatus(r));
    if (consent.status !== 'authorised') this.tokens?.forgetExternal(r.externalConsentId);
    return consent;
  }

  @MessagePattern('connector.checkConsentStatus')
  async checkConsentStatus(@Payload() r: Req<'connector.checkConsentStatus'>) {
    const check = await this.run(r.providerId, 'consent_call', (c) => c.checkConsentStatus(r));
    if (check.status !== 'authorised') this.tokens?.forgetExternal(r.externalConsentId);
    return check;
  }

  @MessagePattern('connector.revokeConsent')
  async revokeConsent(@Payload() r: Req<'connector.revokeConsent'>): Promise<RpcResponse<'connector.revokeConsent'>> {
    // Whatever the bank answers, tokens of this consent are not reused: the vault says what comes next.
    this.tokens?.forgetExternal(r.externalConsentId);
    await this.run(r.providerId, 'consent_call', (c) => c.revokeConsent(r));
    return { revoked: true };
  }

  @MessagePattern('connector.listAccounts')
  async listAccounts(@Payload() r: Req<'connector.listAccounts'>): Promise<RpcResponse<'connector.listAccounts'>> {
    return { accounts: await this.data(r, (c) => c.listAccounts(r.context)) };
  }

  @MessagePattern('connector.getBalances')
  async getBalances(@Payload() r: Req<'connector.getBalances'>): Promise<RpcResponse<'connector.getBalances'>> {
    return { accounts: await this.data(r, (c) => c.getBalances(r.context, r)) };
  }

  @MessagePattern('connector.getTransactionsPage')
  async getTransactionsPage(
    @Payload() r: Req<'connector.getTransactionsPage'>,
  ): Promise<RpcResponse<'connector.getTransactionsPage'>> {
    // The rest of a bank page too large for one message is answered from where it is held.
    if (HeldPages.isHeld(r.cursor)) return this.held.resume(r.cursor);
    return this.held.bound(await this.data(r, (c) => c.getTransactionsPage(r.context, r)));
  }

  @MessagePattern('connector.listStatements')
  async listStatements(
    @Payload() r: Req<'connector.listStatements'>,
  ): Promise<RpcResponse<'connector.listStatements'>> {
    return { statements: await this.data(r, (c) => c.listStatements(r.context, r)) };
  }

  @MessagePattern('connector.getStatementTransactions')
  async getStatementTransactions(
    @Payload() r: Req<'connector.getStatementTransactions'>,
  ): Promise<RpcResponse<'connector.getStatementTransactions'>> {
    return { transactions: await this.data(r, (c) => c.getStatementTransactions(r.context, r)) };
  }

  @MessagePattern('connector.getParties')
  async getParties(@Payload() r: Req<'connector.getParties'>) {
    return { parties: await this.data(r, (c) => c.getParties(r.context, r)) };
  }

  @MessagePattern('connector.listBeneficiaries')
  async listBeneficiaries(@Payload() r: Req<'connector.listBeneficiaries'>) {
    return { beneficiaries: await this.data(r, (c) => c.listBeneficiaries(r.context, r)) };
  }

  @MessagePattern('connector.listStandingOrders')
  async listStandingOrders(@Payload() r: Req<'connector.listStandingOrders'>) {
    return { standingOrders: await this.data(r, (c) => c.listStandingOrders(r.context, r)) };
  }

  @MessagePattern('connector.listDirectDebits')
  async listDirectDebits(@Payload() r: Req<'connector.listDirectDebits'>) {
    return { directDebits: await this.data(r, (c) => c.listDirectDebits(r.context, r)) };
  }

  @MessagePattern('connector.listScheduledPayments')
  async listScheduledPayments(@Payload() r: Req<'connector.listScheduledPayments'>) {
    return { scheduledPayments: await this.data(r, (c) => c.listScheduledPayments(r.context, r)) };
  }
}
