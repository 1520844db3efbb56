import { Module } from '@nestjs/common';
import { SyncJobQueues } from '@ais/db';
import { SyncRunsController } from './sync-runs.controller.js';
import { SyncRunsService } from './sync-runs.service.js';

/** POST /v1/consents/{id}/refresh and GET /v1/consents/{id}/sync-runs (the sync-worker does the work). */
@Module({ controllers: [SyncRunsController], providers: [SyncRunsService, SyncJobQueues] })
export class SyncModule {}
