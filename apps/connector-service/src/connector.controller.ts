import { Controller, Inject } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import type { ClosableConnector, ProviderRegistration } from '@ais/connectors';
import type { RpcPattern, RpcRequest, RpcResponse } from '@ais/contracts';
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
  ) {}

  private run<T>(providerId: string, kind: CallKind, call: (c: ClosableConnector) => Promise<T>): Promise<T> {
    return this.calls.run(providerId, kind, call);
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
    return { providerId: reg.providerId, clientId: reg.clientId, tokenEndpointAuthMethod: reg.tokenEndpointAuthMethod, source: reg.source };
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
    return this.run(r.providerId, 'token_refresh', (c) => c.refreshTokens(r));
  }

  @MessagePattern('connector.getConsentStatus')
  async getConsentStatus(@Payload() r: Req<'connector.getConsentStatus'>) {
    return this.run(r.providerId, 'consent_call', (c) => c.getConsentStatus(r));
  }

  @MessagePattern('connector.revokeConsent')
  async revokeConsent(@Payload() r: Req<'connector.revokeConsent'>): Promise<RpcResponse<'connector.revokeConsent'>> {
    await this.run(r.providerId, 'consent_call', (c) => c.revokeConsent(r));
    return { revoked: true };
  }

  @MessagePattern('connector.listAccounts')
  async listAccounts(@Payload() r: Req<'connector.listAccounts'>): Promise<RpcResponse<'connector.listAccounts'>> {
    return { accounts: await this.run(r.providerId, 'data_call', (c) => c.listAccounts(r.context)) };
  }

  @MessagePattern('connector.getBalances')
  async getBalances(@Payload() r: Req<'connector.getBalances'>): Promise<RpcResponse<'connector.getBalances'>> {
    return { accounts: await this.run(r.providerId, 'data_call', (c) => c.getBalances(r.context, r)) };
  }

  @MessagePattern('connector.getTransactions')
  async getTransactions(@Payload() r: Req<'connector.getTransactions'>): Promise<RpcResponse<'connector.getTransactions'>> {
    return { accounts: await this.run(r.providerId, 'data_call', (c) => c.getTransactions(r.context, r)) };
  }

  @MessagePattern('connector.listStatements')
  async listStatements(@Payload() r: Req<'connector.listStatements'>): Promise<RpcResponse<'connector.listStatements'>> {
    return { statements: await this.run(r.providerId, 'data_call', (c) => c.listStatements(r.context, r)) };
  }

  @MessagePattern('connector.getStatementTransactions')
  async getStatementTransactions(@Payload() r: Req<'connector.getStatementTransactions'>): Promise<RpcResponse<'connector.getStatementTransactions'>> {
    return { transactions: await this.run(r.providerId, 'data_call', (c) => c.getStatementTransactions(r.context, r)) };
  }

  @MessagePattern('connector.getParties')
  async getParties(@Payload() r: Req<'connector.getParties'>) {
    return { parties: await this.run(r.providerId, 'data_call', (c) => c.getParties(r.context, r)) };
  }

  @MessagePattern('connector.listBeneficiaries')
  async listBeneficiaries(@Payload() r: Req<'connector.listBeneficiaries'>) {
    return { beneficiaries: await this.run(r.providerId, 'data_call', (c) => c.listBeneficiaries(r.context, r)) };
  }

  @MessagePattern('connector.listStandingOrders')
  async listStandingOrders(@Payload() r: Req<'connector.listStandingOrders'>) {
    return { standingOrders: await this.run(r.providerId, 'data_call', (c) => c.listStandingOrders(r.context, r)) };
  }

  @MessagePattern('connector.listDirectDebits')
  async listDirectDebits(@Payload() r: Req<'connector.listDirectDebits'>) {
    return { directDebits: await this.run(r.providerId, 'data_call', (c) => c.listDirectDebits(r.context, r)) };
  }

  @MessagePattern('connector.listScheduledPayments')
  async listScheduledPayments(@Payload() r: Req<'connector.listScheduledPayments'>) {
    return { scheduledPayments: await this.run(r.providerId, 'data_call', (c) => c.listScheduledPayments(r.context, r)) };
  }
}
