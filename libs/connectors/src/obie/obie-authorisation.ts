import { randomUUID } from 'node:crypto';
import { importJWK, SignJWT } from 'jose';
import { bankError } from '../bank-error.js';
import type {
  AuthorisationRequest,
  BankTokenSet,
  BuildAuthorisationInput,
  ExchangeCodeInput,
  RefreshTokensInput,
} from '../connector.js';
import { checkCallback } from '../oauth/callback.js';
import { IdTokenError } from '../oauth/id-token.js';
import { randomNonce, randomState } from '../oauth/pkce.js';
import { bankTokenSet, refreshTokenSet } from '../oauth/token-set.js';
import type { ObieConsents } from './obie-consents.js';
import type { ObieContext } from './obie-context.js';

/**
 * PSU authorisation at an OBIE bank: the OIDC hybrid flow with a PS256 request object carrying
 * openbanking_intent_id (FAPI 1.0 Advanced: detached signature, c_hash and s_hash), or the consent's
 * own auth page; the code exchange and refreshes on the OAuth floor.
 */
export class ObieAuthorisation {
  constructor(
    private readonly ctx: ObieContext,
    private readonly consents: ObieConsents,
  ) {}

  async buildAuthorisation(input: BuildAuthorisationInput): Promise<AuthorisationRequest> {
    const { ctx } = this;
    const reg = ctx.reg;
    const state = input.state ?? randomState();
    const nonce = randomNonce();
    const a = ctx.profile.authorisation;
    const meta = await ctx.as.getMetadata();
    const session = {
      state,
      nonce,
      redirectUri: input.redirectUri,
      externalConsentId: input.externalConsentId,
      issuer: meta.issuer,
      createdAt: ctx.now().toISOString(),
    };
    if (a.style === 'consent_link') {
      let link = input.consentLinks?.self;
      if (!link)
        link = (await this.consents.getConsentStatus({ externalConsentId: input.externalConsentId })).links.self;
      if (!link)
        throw bankError('bank_invalid_response', 'The consent carries no authorisation link (Links.Self).', {
          providerId: ctx.providerId,
        });
      const url = new URL(link);
      url.searchParams.set('client_id', reg.clientId);
      url.searchParams.set('redirect_uri', input.redirectUri);
      url.searchParams.set('state', state);
      url.searchParams.set('nonce', nonce);
      return { url: url.toString(), session };
    }
    const key = await importJWK(reg.signingKey.privateJwk, reg.signingKey.alg);
    const iat = Math.floor(ctx.now().getTime() / 1000);
    const intent = { value: input.externalConsentId, essential: true };
    const requestObject = await new SignJWT({
      response_type: a.responseType,
      client_id: reg.clientId,
      redirect_uri: input.redirectUri,
      scope: a.scope,
      state,
      nonce,
      ...(a.responseMode !== 'fragment' ? { response_mode: a.responseMode } : {}),
      claims: {
        userinfo: { openbanking_intent_id: intent },
        id_token: { openbanking_intent_id: intent, ...(a.acr ? { acr: { essential: true, values: [a.acr] } } : {}) },
      },
    })
      .setProtectedHeader({ alg: 'PS256', kid: reg.signingKey.kid, typ: 'oauth-authz-req+jwt' })
      .setIssuer(reg.clientId)
      .setAudience(meta.issuer)
      .setIssuedAt(iat)
      .setNotBefore(iat)
      .setExpirationTime(iat + 300)
      .setJti(randomUUID())
      .sign(key);
    const url = await ctx.as.authorizationUrl(reg.clientId, {
      client_id: reg.clientId,
      response_type: a.responseType,
      scope: a.scope,
      redirect_uri: input.redirectUri,
      state,
      nonce,
      ...(a.responseMode !== 'fragment' ? { response_mode: a.responseMode } : {}),
      request: requestObject,
    });
    return { url, session };
  }

  async exchangeCode(input: ExchangeCodeInput): Promise<BankTokenSet> {
    const { ctx } = this;
    const { session, callback } = input;
    const { code, state } = checkCallback(ctx.providerId, session, callback);
    const a = ctx.profile.authorisation;
    const hybrid = a.style === 'oidc_request_object' && a.responseType === 'code id_token';
    if (hybrid && !callback.id_token)
      throw bankError('bank_invalid_response', 'The hybrid-flow redirect carries no id_token.', {
        providerId: ctx.providerId,
      });
    const { token, claims } = await ctx.as.authorizationCode(ctx.reg, {
      operation: 'obie.exchangeCode',
      idTokenOperation: 'obie.verifyIdToken',
      callback: { code, state, ...(callback.id_token ? { id_token: callback.id_token } : {}) },
      redirectUri: session.redirectUri,
      codeVerifier: session.codeVerifier,
      nonce: session.nonce,
      issuer: session.issuer,
      idTokenAlgorithms: ctx.profile.idTokenAlgorithms,
      ...(hybrid ? { hybrid: { detachedSignature: a.requireHashes } } : {}),
      // The id_token must be about this consent, when it says.
      checkClaims: (c) => {
        if (c.openbanking_intent_id !== undefined && c.openbanking_intent_id !== session.externalConsentId)
          throw new IdTokenError('id_token is about another consent (openbanking_intent_id)');
      },
    });
    return bankTokenSet(token, session.externalConsentId, claims, ctx.now());
  }

  async refreshTokens(input: RefreshTokensInput): Promise<BankTokenSet> {
    const { ctx } = this;
    return refreshTokenSet(ctx.as, ctx.reg, input, {
      providerId: ctx.providerId,
      operation: 'obie.refreshTokens',
      now: ctx.now,
      consent: (externalConsentId) => this.consents.getConsentStatus({ externalConsentId }),
    });
  }
}
