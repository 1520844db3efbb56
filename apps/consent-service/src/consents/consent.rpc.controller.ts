import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import type { RpcRequest } from '@ais/contracts';
import { ConsentLifecycleService } from './consent-lifecycle.service.js';
import { TokenVaultService } from '../vault/token-vault.service.js';

/** The consent-service's RPC surface (libs/contracts/src/consent.contract.ts). */
@Controller()
export class ConsentRpcController {
  constructor(
    private readonly lifecycle: ConsentLifecycleService,
    private readonly vault: TokenVaultService,
  ) {}

  @MessagePattern('consent-service.createConsent')
  create(@Payload() request: RpcRequest<'consent-service.createConsent'>) {
    return this.lifecycle.create(request);
  }

  @MessagePattern('consent-service.completeAuthorisation')
  complete(@Payload() request: RpcRequest<'consent-service.completeAuthorisation'>) {
    return this.lifecycle.completeAuthorisation(request);
  }

  @MessagePattern('consent-service.revokeConsent')
  revoke(@Payload() request: RpcRequest<'consent-service.revokeConsent'>) {
    return this.lifecycle.revoke(request);
  }

  @MessagePattern('consent-service.reauthorise')
  reauthorise(@Payload() request: RpcRequest<'consent-service.reauthorise'>) {
    return this.lifecycle.reauthorise(request);
  }

  @MessagePattern('consent-service.getAccessToken')
  getAccessToken(@Payload() request: RpcRequest<'consent-service.getAccessToken'>) {
    return this.vault.getAccessToken(request.consentId);
  }
}
