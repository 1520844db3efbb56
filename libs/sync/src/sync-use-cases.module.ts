import { Module } from '@nestjs/common';
import { SyncJobQueues } from './queues/sync-job-queues.js';
import { RequestSync } from './request-sync/request-sync.usecase.js';
import { CheckSyncBudget } from './check-budget/check-sync-budget.usecase.js';
import { RecordBankCondition } from './record-bank-condition/record-bank-condition.usecase.js';
import { PurgeConsentData } from './purge-consent-data/purge-consent-data.usecase.js';

const provided = [SyncJobQueues, RequestSync, CheckSyncBudget, RecordBankCondition, PurgeConsentData];

/**
 * The sync use cases and the sync queues, for any app that starts, checks or ends syncs. Needs the
 * global DbModule and RedisModule (every app has both).
 */
@Module({ providers: provided, exports: provided })
export class SyncUseCasesModule {}
