import { randomUUID } from 'node:crypto';
import { importJWK, SignJWT } from 'jose';
import { AppError } from '@ais/domain';
import { bankError } from '../bank-error.js';
import type { ClientAuthMethod, OnboardInput, ProviderRegistration } from '../connector.js';
import {
  configuredRegistration,
  registerAtPortal,
  registeredClient,
  registrationMethod,
  registrationOf,
} from '../oauth/client-registration.js';
import type { ObieContext } from './obie-context.js';

/** Registers the gateway at an OBIE bank: OBIE DCR, the bank's developer portal, or configured credentials. */
export class ObieOnboarding {
  constructor(private readonly ctx: ObieContext) {}

  async onboard(input: OnboardInput): Promise<ProviderRegistration> {
    const { ctx } = this;
    const method = registrationMethod(input, ctx.profile, true);
    if (input.configured)
      return configuredRegistration(ctx.providerId, { ...input, configured: input.configured }, method);
    switch (ctx.profile.onboarding) {
      case 'dcr':
        return this.registerDynamically(input, method);
      case 'developer_portal':
        if (!ctx.endpoints.onboardingUrl)
          throw new AppError('provider_unavailable', `${ctx.profile.name} has no onboarding endpoint configured.`, {
            providerId: ctx.providerId,
          });
        return registerAtPortal(ctx.http, {
          url: ctx.endpoints.onboardingUrl,
          input,
          method,
          withJwks: true,
          now: ctx.now,
        });
      case 'configured':
        throw new AppError(
          'provider_unavailable',
          `${ctx.profile.name} has no dynamic registration: configure its client credentials.`,
          { providerId: ctx.providerId },
        );
    }
  }

  /** OBIE DCR 3.2/3.3: a request JWT signed with the TPP key, carrying the software statement. */
  private async registerDynamically(input: OnboardInput, method: ClientAuthMethod): Promise<ProviderRegistration> {
    const { ctx } = this;
    const tpp = input.tpp;
    if (!tpp.softwareStatement || !tpp.softwareId)
      throw new AppError('validation_failed', 'Dynamic registration needs a software statement and software id.');
    if (method === 'tls_client_auth' && !tpp.transport?.subjectDn)
      throw new AppError('validation_failed', 'tls_client_auth needs a transport certificate with its subject DN.');
    const meta = await ctx.as.getMetadata();
    const advertised = meta.token_endpoint_auth_methods_supported;
    if (advertised && !advertised.includes(method)) {
      throw new AppError(
        'validation_failed',
        `${ctx.profile.name} does not offer ${method} (it advertises ${advertised.join(', ')}).`,
        { providerId: ctx.providerId },
      );
    }
    const registrationUrl =
      tpp.transport && meta.mtls_endpoint_aliases?.registration_endpoint
        ? meta.mtls_endpoint_aliases.registration_endpoint
        : meta.registration_endpoint;
    if (!registrationUrl)
      throw bankError('bank_invalid_response', 'The bank advertises no registration endpoint.', {
        providerId: ctx.providerId,
      });
    const key = await importJWK(tpp.signingKey.privateJwk, tpp.signingKey.alg);
    const iat = Math.floor(ctx.now().getTime() / 1000);
    const dcr = ctx.profile.dcr;
    const claims: Record<string, unknown> = {
      redirect_uris: input.redirectUris,
      token_endpoint_auth_method: method,
      grant_types: dcr.grantTypes,
      response_types: dcr.responseTypes,
      software_id: tpp.softwareId,
      scope: dcr.scope,
      software_statement: tpp.softwareStatement,
      application_type: dcr.applicationType,
      id_token_signed_response_alg: 'PS256',
      request_object_signing_alg: 'PS256',
      ...(method === 'private_key_jwt' ? { token_endpoint_auth_signing_alg: 'PS256' } : {}),
      ...(method === 'tls_client_auth' ? { tls_client_auth_subject_dn: tpp.transport!.subjectDn } : {}),
    };
    const jwt = await new SignJWT(claims)
      .setProtectedHeader({ alg: tpp.signingKey.alg, kid: tpp.signingKey.kid, typ: 'JWT' })
      .setIssuer(tpp.softwareId)
      .setAudience(dcr.audience || meta.issuer)
      .setIssuedAt(iat)
      .setExpirationTime(iat + 300)
      .setJti(randomUUID())
      .sign(key);
    const res = await ctx.http.send({
      method: 'POST',
      url: registrationUrl,
      headers: { 'content-type': 'application/jwt', accept: 'application/json' },
      body: jwt,
      idempotent: false,
      mtls: Boolean(tpp.transport) && registrationUrl === meta.mtls_endpoint_aliases?.registration_endpoint,
      transport: tpp.transport,
      operation: 'obie.register',
    });
    return registrationOf(
      ctx.providerId,
      registeredClient(ctx.providerId, 'obie.register', res, ctx.now()),
      input,
      method,
      'dcr',
    );
  }
}
