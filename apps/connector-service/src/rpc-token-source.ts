import type { AccessToken, TokenSource } from '@ais/connectors';
import type { RpcClient } from '@ais/rpc';

/** Bank tokens come from the consent-service's vault, refreshed there when about to expire. */
export class RpcTokenSource implements TokenSource {
  constructor(private readonly consentService: RpcClient) {}

  async getAccessToken(consentId: string): Promise<AccessToken> {
    return this.consentService.send('consent-service.getAccessToken', { consentId });
  }
}
