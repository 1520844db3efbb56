import { Global, Inject, Injectable, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import type { HealthCheck } from '@ais/observability';
import { createPrismaClient, poolOf, type DatabaseSettings, type PrismaClient } from './prisma.js';
import { PgReader } from './pg-reader.js';
import { TenantRepository } from './repositories/tenant.repository.js';
import { CredentialRepository } from './repositories/credential.repository.js';
import { AuditLogRepository } from './repositories/audit-log.repository.js';
import { IdempotencyRepository } from './repositories/idempotency.repository.js';
import { SigningKeyRepository } from './repositories/signing-key.repository.js';
import { ProviderRepository } from './repositories/provider.repository.js';
import { EventRepository } from './repositories/event.repository.js';
import { WebhookEndpointRepository } from './repositories/webhook-endpoint.repository.js';
import { WebhookDeliveryRepository } from './repositories/webhook-delivery.repository.js';
import { WebhookOutboxRepository } from './repositories/webhook-outbox.repository.js';
import { EventLogRepository } from './repositories/webhook-event-log.repository.js';
import { ConsentRepository } from './repositories/consent.repository.js';
import { AuthorisationSessionRepository } from './repositories/authorisation-session.repository.js';
import { TokenSetRepository } from './repositories/token-set.repository.js';
import { AccountDataRepository } from './repositories/account-data.repository.js';
import { SyncRunRepository } from './repositories/sync-run.repository.js';
import { SyncConsentRepository } from './repositories/sync-consent.repository.js';
import { AccessBudgetRepository } from './repositories/access-budget.repository.js';
import { AccountWriteRepository } from './repositories/account-write.repository.js';
import { TransactionWriteRepository } from './repositories/transaction-write.repository.js';
import { OpsStatsRepository } from './repositories/ops-stats.repository.js';
import { AdminSyncRunRepository } from './repositories/admin-sync-run.repository.js';
import { ProviderOpsRepository } from './repositories/provider-ops.repository.js';
import { ProviderOperationRepository } from './repositories/provider-operation.repository.js';

import { ConsentConditionRepository } from './repositories/consent-condition.repository.js';
import { PRISMA } from './tokens.js';
export { PRISMA };

@Injectable()
export class PrismaLifecycle implements OnApplicationShutdown {
  constructor(@Inject(PRISMA) private readonly prisma: PrismaClient) {}
  async onApplicationShutdown(): Promise<void> {
    await this.prisma.$disconnect();
  }
}

@Injectable()
export class PostgresHealthCheck implements HealthCheck {
  readonly name = 'postgres';
  constructor(@Inject(PRISMA) private readonly prisma: PrismaClient) {}
  async check(): Promise<void> {
    await this.prisma.$queryRaw`SELECT 1`;
  }
}

const repositories = [
  TenantRepository,
  CredentialRepository,
  AuditLogRepository,
  IdempotencyRepository,
  SigningKeyRepository,
  ProviderRepository,
  EventRepository,
  SyncRunRepository,
  SyncConsentRepository,
  AccessBudgetRepository,
  AccountWriteRepository,
  TransactionWriteRepository,
  WebhookEndpointRepository,
  WebhookDeliveryRepository,
  WebhookOutboxRepository,
  EventLogRepository,
  ConsentRepository,
  ConsentConditionRepository,
  AuthorisationSessionRepository,
  TokenSetRepository,
  AccountDataRepository,
  OpsStatsRepository,
  AdminSyncRunRepository,
  ProviderOpsRepository,
  ProviderOperationRepository,
];

/** Prisma client (one pool per process) and the repositories, available app-wide. */
@Global()
@Module({})
export class DbModule {
  static forRoot(settings: DatabaseSettings): DynamicModule {
    return {
      module: DbModule,
      providers: [
        { provide: PRISMA, useFactory: () => createPrismaClient(settings) },
        { provide: PgReader, useFactory: (prisma: PrismaClient) => new PgReader(poolOf(prisma)), inject: [PRISMA] },
        PrismaLifecycle,
        PostgresHealthCheck,
        ...repositories,
      ],
      exports: [PRISMA, PgReader, PostgresHealthCheck, ...repositories],
    };
  }
}
