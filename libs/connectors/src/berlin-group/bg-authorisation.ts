import { AppError } from '@ais/domain';
import { bankError } from '../bank-error.js';
import type {
  AuthorisationRequest,
  BankTokenSet,
  BuildAuthorisationInput,
  ExchangeCodeInput,
  RefreshTokensInput,
} from '../connector.js';
import { checkCallback } from '../oauth/callback.js';
import { createPkce, randomState } from '../oauth/pkce.js';
import { bankTokenSet, refreshTokenSet } from '../oauth/token-set.js';
import type { BgConsents } from './bg-consents.js';
import type { BgContext } from './bg-context.js';

/**
 * PSU authorisation at a Berlin Group bank: the OAuth2 SCA approach (PKCE S256, scope
 * AIS:<consentId>) on the consent's scaOAuth metadata, or its scaRedirect link; the code exchange
 * and refreshes on the OAuth floor.
 */
export class BgAuthorisation {
  constructor(
    private readonly ctx: BgContext,
    private readonly consents: BgConsents,
  ) {}

  async buildAuthorisation(input: BuildAuthorisationInput): Promise<AuthorisationRequest> {
    const { ctx } = this;
    const state = input.state ?? randomState();
    const base = {
      state,
      redirectUri: input.redirectUri,
      externalConsentId: input.externalConsentId,
      createdAt: ctx.now().toISOString(),
    };
    if (input.consentLinks?.scaRedirect && !input.consentLinks.scaOAuth)
      return { url: input.consentLinks.scaRedirect, session: base };
    const metadataUrl = input.consentLinks?.scaOAuth ?? ctx.endpoints.discoveryUrl;
    if (!metadataUrl)
      throw bankError('bank_invalid_response', 'The consent names no SCA link (scaOAuth / scaRedirect).', {
        providerId: ctx.providerId,
      });
    const server = ctx.server(metadataUrl);
    const meta = await server.getMetadata();
    const pkce = await createPkce();
    const url = await server.authorizationUrl(ctx.reg.clientId, {
      response_type: 'code',
      client_id: ctx.reg.clientId,
      scope: `AIS:${input.externalConsentId}`,
      state,
      redirect_uri: input.redirectUri,
      code_challenge: pkce.codeChallenge,
      code_challenge_method: pkce.method,
    });
    return {
      url,
      session: { ...base, codeVerifier: pkce.codeVerifier, tokenEndpoint: meta.token_endpoint, issuer: metadataUrl },
    };
  }

  async exchangeCode(input: ExchangeCodeInput): Promise<BankTokenSet> {
    const { ctx } = this;
    const { session, callback } = input;
    const { code, state } = checkCallback(ctx.providerId, session, callback);
    // A Berlin Group session's `issuer` is the scaOAuth metadata the code was issued under.
    const metadataUrl = session.issuer ?? ctx.endpoints.discoveryUrl;
    if (!metadataUrl)
      throw new AppError(
        'validation_failed',
        'The authorisation session does not say which authorisation server issued the code.',
      );
    const { token, claims } = await ctx.server(metadataUrl).authorizationCode(ctx.reg, {
      operation: 'bg.exchangeCode',
      idTokenOperation: 'bg.verifyIdToken',
      tokenEndpoint: session.tokenEndpoint,
      callback: { code, state },
      redirectUri: session.redirectUri,
      codeVerifier: session.codeVerifier,
    });
    return bankTokenSet(token, session.externalConsentId, claims, ctx.now());
  }

  async refreshTokens(input: RefreshTokensInput): Promise<BankTokenSet> {
    const { ctx } = this;
    const metadataUrl = ctx.endpoints.discoveryUrl;
    if (!metadataUrl)
      throw new AppError('provider_unavailable', 'No authorisation server metadata is configured for refreshes.', {
        providerId: ctx.providerId,
      });
    return refreshTokenSet(ctx.server(metadataUrl), ctx.reg, input, {
      providerId: ctx.providerId,
      operation: 'bg.refreshTokens',
      now: ctx.now,
      consent: (externalConsentId) => this.consents.getConsentStatus({ externalConsentId }),
    });
  }
}
