import { Module } from '@nestjs/common';
import { SyncUseCasesModule } from '@ais/sync';
import { SyncRunsController } from './sync-runs.controller.js';
import { SyncRunsService } from './sync-runs.service.js';

/**
 * POST /v1/consents/{id}/refresh and GET /v1/consents/{id}/sync-runs (the sync-worker does the work).
 * Exports the sync use cases to the gateway (the consents' `budget` comes from CheckSyncBudget).
 */
@Module({
  imports: [SyncUseCasesModule],
  controllers: [SyncRunsController],
  providers: [SyncRunsService],
  exports: [SyncUseCasesModule],
})
export class SyncModule {}
