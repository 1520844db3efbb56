import type { TokenSource } from '@ais/connectors';
import type { RpcClient } from '@ais/rpc';
import type { VaultToken, VaultTokenSource } from './cached-token-source.js';

/** Bank tokens come from the consent-service's vault, refreshed there when about to expire. */
export class RpcTokenSource implements TokenSource, VaultTokenSource {
  constructor(private readonly consentService: RpcClient) {}

  async getAccessToken(consentId: string): Promise<VaultToken> {
    return this.consentService.send('consent-service.getAccessToken', { consentId });
  }
}
