import { Controller, Inject } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import type { RpcPattern, RpcRequest, RpcResponse } from '@ais/contracts';
import { ConnectorRegistry } from './connector-registry.service.js';

type Req<P extends `connector.${string}` & RpcPattern> = RpcRequest<P>;

/** The connector.* RPC patterns: thin, everything is in the connectors lib. */
@Controller()
export class ConnectorController {
  constructor(@Inject(ConnectorRegistry) private readonly registry: ConnectorRegistry) {}

  @MessagePattern('connector.onboard')
  async onboard(@Payload() r: Req<'connector.onboard'>): Promise<RpcResponse<'connector.onboard'>> {
    const reg = await this.registry.onboard(r.providerId, r.tokenEndpointAuthMethod, r.force ?? false, r.credentials);
    return { providerId: reg.providerId, clientId: reg.clientId, tokenEndpointAuthMethod: reg.tokenEndpointAuthMethod, source: reg.source };
  }

  @MessagePattern('connector.createConsent')
  async createConsent(@Payload() r: Req<'connector.createConsent'>) {
    return (await this.registry.get(r.providerId)).createConsent(r);
  }

  @MessagePattern('connector.buildAuthorisation')
  async buildAuthorisation(@Payload() r: Req<'connector.buildAuthorisation'>) {
    return (await this.registry.get(r.providerId)).buildAuthorisation(r);
  }

  @MessagePattern('connector.exchangeCode')
  async exchangeCode(@Payload() r: Req<'connector.exchangeCode'>) {
    return (await this.registry.get(r.providerId)).exchangeCode(r);
  }

  @MessagePattern('connector.refreshTokens')
  async refreshTokens(@Payload() r: Req<'connector.refreshTokens'>) {
    return (await this.registry.get(r.providerId)).refreshTokens(r);
  }

  @MessagePattern('connector.getConsentStatus')
  async getConsentStatus(@Payload() r: Req<'connector.getConsentStatus'>) {
    return (await this.registry.get(r.providerId)).getConsentStatus(r);
  }

  @MessagePattern('connector.revokeConsent')
  async revokeConsent(@Payload() r: Req<'connector.revokeConsent'>): Promise<RpcResponse<'connector.revokeConsent'>> {
    await (await this.registry.get(r.providerId)).revokeConsent(r);
    return { revoked: true };
  }

  @MessagePattern('connector.listAccounts')
  async listAccounts(@Payload() r: Req<'connector.listAccounts'>): Promise<RpcResponse<'connector.listAccounts'>> {
    return { accounts: await (await this.registry.get(r.providerId)).listAccounts(r.context) };
  }

  @MessagePattern('connector.getBalances')
  async getBalances(@Payload() r: Req<'connector.getBalances'>): Promise<RpcResponse<'connector.getBalances'>> {
    return { accounts: await (await this.registry.get(r.providerId)).getBalances(r.context, r) };
  }

  @MessagePattern('connector.getTransactions')
  async getTransactions(@Payload() r: Req<'connector.getTransactions'>): Promise<RpcResponse<'connector.getTransactions'>> {
    return { accounts: await (await this.registry.get(r.providerId)).getTransactions(r.context, r) };
  }

  @MessagePattern('connector.listStatements')
  async listStatements(@Payload() r: Req<'connector.listStatements'>): Promise<RpcResponse<'connector.listStatements'>> {
    return { statements: await (await this.registry.get(r.providerId)).listStatements(r.context, r) };
  }

  @MessagePattern('connector.getStatementTransactions')
  async getStatementTransactions(@Payload() r: Req<'connector.getStatementTransactions'>): Promise<RpcResponse<'connector.getStatementTransactions'>> {
    return { transactions: await (await this.registry.get(r.providerId)).getStatementTransactions(r.context, r) };
  }

  @MessagePattern('connector.getParties')
  async getParties(@Payload() r: Req<'connector.getParties'>) {
    return { parties: await (await this.registry.get(r.providerId)).getParties(r.context, r) };
  }

  @MessagePattern('connector.listBeneficiaries')
  async listBeneficiaries(@Payload() r: Req<'connector.listBeneficiaries'>) {
    return { beneficiaries: await (await this.registry.get(r.providerId)).listBeneficiaries(r.context, r) };
  }

  @MessagePattern('connector.listStandingOrders')
  async listStandingOrders(@Payload() r: Req<'connector.listStandingOrders'>) {
    return { standingOrders: await (await this.registry.get(r.providerId)).listStandingOrders(r.context, r) };
  }

  @MessagePattern('connector.listDirectDebits')
  async listDirectDebits(@Payload() r: Req<'connector.listDirectDebits'>) {
    return { directDebits: await (await this.registry.get(r.providerId)).listDirectDebits(r.context, r) };
  }

  @MessagePattern('connector.listScheduledPayments')
  async listScheduledPayments(@Payload() r: Req<'connector.listScheduledPayments'>) {
    return { scheduledPayments: await (await this.registry.get(r.providerId)).listScheduledPayments(r.context, r) };
  }
}
