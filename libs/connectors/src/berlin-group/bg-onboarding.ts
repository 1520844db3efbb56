import { AppError } from '@ais/domain';
import type { OnboardInput, ProviderRegistration } from '../connector.js';
import { configuredRegistration, registerAtPortal, registrationMethod } from '../oauth/client-registration.js';
import type { BgContext } from './bg-context.js';

/** Registers the gateway at a Berlin Group bank: its developer portal, or configured credentials. */
export class BgOnboarding {
  constructor(private readonly ctx: BgContext) {}

  async onboard(input: OnboardInput): Promise<ProviderRegistration> {
    const { ctx } = this;
    const method = registrationMethod(input, ctx.profile);
    if (input.configured)
      return configuredRegistration(ctx.providerId, { ...input, configured: input.configured }, method);
    if (ctx.profile.onboarding !== 'developer_portal' || !ctx.endpoints.onboardingUrl) {
      throw new AppError(
        'provider_unavailable',
        `${ctx.profile.name} has no self-service onboarding: configure its client credentials.`,
        { providerId: ctx.providerId },
      );
    }
    return registerAtPortal(ctx.http, {
      url: ctx.endpoints.onboardingUrl,
      input,
      method,
      withJwks: false,
      now: ctx.now,
    });
  }
}
