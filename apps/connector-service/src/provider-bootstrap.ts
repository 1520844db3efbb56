import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { bankProfile } from '@ais/connectors';
import { PRISMA, type PrismaClient } from '@ais/db';
import type { Logger } from '@ais/observability';
import type { ConnectorServiceConfig } from './connector-service.config.js';
import { ConnectorRegistry } from './connector-registry.service.js';
import { seedProviders } from './provider-seed.js';

export const CONNECTOR_SERVICE_CONFIG = Symbol('CONNECTOR_SERVICE_CONFIG');
export const CONNECTOR_SERVICE_LOGGER = Symbol('CONNECTOR_SERVICE_LOGGER');

const ONBOARD_RETRY_MS = 3_000;
const ONBOARD_MAX_ROUNDS = 40;

/**
 * On start: upserts the provider catalogue (before the app is ready, so GET /v1/providers on a fresh
 * stack lists it), then, when CONNECTOR_ONBOARD_ON_START is on, registers at every active provider
 * that has no registration yet. Onboarding runs in the background and retries: the banks (the local
 * sandbox) may start after this service.
 */
@Injectable()
export class ProviderBootstrap implements OnApplicationBootstrap, OnApplicationShutdown {
  private started = false;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private wake: (() => void) | undefined;
  /** Settles when the background onboarding has finished (tests and shutdown wait for it). */
  onboarding: Promise<void> = Promise.resolve();

  constructor(
    @Inject(PRISMA) private readonly prisma: PrismaClient,
    @Inject(ConnectorRegistry) private readonly registry: ConnectorRegistry,
    @Inject(CONNECTOR_SERVICE_CONFIG) private readonly config: ConnectorServiceConfig,
    @Inject(CONNECTOR_SERVICE_LOGGER) private readonly logger: Logger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    // A hybrid app (HTTP + RPC microservice) runs the bootstrap hooks once per part: seed once.
    if (this.started) return;
    this.started = true;
    const c = this.config.connectors;
    const count = await seedProviders(this.prisma, {
      sandboxUrl: c.sandboxUrl,
      sandboxMtlsUrl: c.sandboxMtlsUrl,
      endpointOverrides: c.endpointOverrides,
      activeProviders: c.activeProviders,
      consentStatusCheckSeconds: c.consentStatusCheckSeconds,
    });
    this.logger.info({ providers: count }, 'provider catalogue seeded');
    if (c.onboardOnStart) this.onboarding = this.onboardMissing();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.wake?.();
    await this.onboarding;
  }

  /** Active providers that onboard themselves (DCR, developer portal) and have no registration. */
  private async missing(): Promise<string[]> {
    const rows = await this.prisma.provider.findMany({
      where: { status: 'active', registration: null },
      select: { id: true, profile: true },
    });
    return rows.filter((r) => bankProfile(r.profile).onboarding !== 'configured').map((r) => r.id);
  }

  private async onboardMissing(): Promise<void> {
    for (let round = 1; round <= ONBOARD_MAX_ROUNDS && !this.stopped; round++) {
      const todo = await this.missing().catch(() => []);
      if (todo.length === 0) return;
      let failed = 0;
      for (const id of todo) {
        if (this.stopped) return;
        try {
          const registration = await this.registry.onboard(id);
          this.logger.info(
            {
              provider: id,
              clientId: registration.clientId,
              method: registration.tokenEndpointAuthMethod,
              source: registration.source,
            },
            'onboarded at the bank',
          );
        } catch (error) {
          failed++;
          this.logger.warn({ provider: id, round, err: error }, 'onboarding failed; will retry');
        }
      }
      if (failed === 0) return;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        this.timer = setTimeout(resolve, ONBOARD_RETRY_MS);
        this.timer.unref();
      });
      this.wake = undefined;
    }
  }
}
