import { Inject, Injectable } from '@nestjs/common';
import {
  AuditLogRepository,
  PRISMA,
  WebhookDeliveryRepository,
  WebhookDispatchRepository,
  WebhookEndpointRepository,
  type DeliveryOutcome,
  type Prisma,
  type PrismaClient,
} from '@ais/db';
import type { Logger } from '@ais/observability';
import { DISPATCHER_CONFIG, type WebhookDispatcherConfig } from '../webhook-dispatcher.config.js';
import { LOGGER } from '../tokens.js';
import { describeDuration, type AttemptResult } from './retry-policy.js';

export interface FinishedAttempt extends DeliveryOutcome {
  endpointId: string;
  tenantId: string;
  kind: AttemptResult['kind'];
}

export interface RecordResult {
  /** Endpoints disabled by this batch (410 Gone, or failing for too long). */
  disabled: string[];
}

/**
 * Writes a batch of attempt outcomes (one statement: deliveries and attempt log), then the endpoints'
 * health: a success ends a failing streak; a failure starts one (failing_since); an endpoint is
 * disabled at once on 410 Gone, or when it has failed every attempt for WEBHOOK_DISABLE_AFTER, with
 * its pending deliveries marked failed with the reason and an audit entry, in one transaction. Health
 * is best effort after the outcomes: if it cannot be written, the endpoint's next failure writes it.
 */
@Injectable()
export class OutcomeRecorder {
  constructor(
    @Inject(PRISMA) private readonly prisma: PrismaClient,
    @Inject(DISPATCHER_CONFIG) private readonly config: WebhookDispatcherConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly dispatch: WebhookDispatchRepository,
    private readonly deliveries: WebhookDeliveryRepository,
    private readonly endpoints: WebhookEndpointRepository,
    private readonly audit: AuditLogRepository,
  ) {}

  async record(batch: FinishedAttempt[]): Promise<RecordResult> {
    const written = new Set((await this.dispatch.recordOutcomes(batch)).map((w) => w.id));
    const mine = batch.filter((o) => written.has(o.id)); // the rest were taken over by another instance
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.applyHealth(mine);
      } catch (error) {
        if (attempt >= 3) {
          this.logger.error({ err: error }, 'could not update endpoint health; the next failure will');
          return { disabled: [] };
        }
        await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
      }
    }
  }

  private async applyHealth(mine: FinishedAttempt[]): Promise<RecordResult> {
    // Per endpoint, in the order the attempts finished: a success ends a failing streak.
    const health = new Map<string, { ok: boolean; failingSince: Date | null; goneAt: Date | null }>();
    for (const o of mine) {
      const h = health.get(o.endpointId) ?? { ok: true, failingSince: null, goneAt: null };
      if (o.ok) {
        h.ok = true;
        h.failingSince = null;
      } else {
        if (h.ok) h.failingSince = o.startedAt;
        h.ok = false;
        if (o.kind === 'gone') h.goneAt ??= o.startedAt;
      }
      health.set(o.endpointId, h);
    }
    await this.dispatch.markHealthy([...health].filter(([, h]) => h.ok).map(([id]) => id));
    const failing = [...health].filter(([, h]) => !h.ok).map(([id, h]) => ({ id, since: h.failingSince! }));
    if (failing.length === 0) return { disabled: [] };

    const disableAfterMs = this.config.webhooks.disableAfterMs;
    const disabled = await this.prisma.$transaction(async (tx) => {
      const out: string[] = [];
      const overdue = await this.endpoints.markFailing(tx, failing, disableAfterMs);
      for (const [id, h] of health) {
        if (!h.goneAt) continue;
        const reason = `the endpoint answered 410 Gone at ${h.goneAt.toISOString()}`;
        for (const row of await this.endpoints.disable(tx, [id], reason)) {
          out.push(row.id);
          await this.afterDisable(tx, row, reason, 'gone');
        }
      }
      for (const { id, failingSince } of overdue.filter((o) => !out.includes(o.id))) {
        const reason = `failing continuously since ${failingSince.toISOString()} (${describeDuration(disableAfterMs)} or more)`;
        for (const row of await this.endpoints.disable(tx, [id], reason)) {
          out.push(row.id);
          await this.afterDisable(tx, row, reason, 'failing');
        }
      }
      return out;
    });
    return { disabled };
  }

  private async afterDisable(
    tx: Prisma.TransactionClient,
    row: { id: string; tenantId: string; failingSince: Date | null },
    reason: string,
    kind: 'gone' | 'failing',
  ): Promise<void> {
    await this.deliveries.failPending(tx, [row.id], `endpoint disabled: ${reason}`);
    await this.audit.record(tx, {
      actor: 'webhook-dispatcher',
      action: 'webhook.disabled',
      targetType: 'webhook_endpoint',
      targetId: row.id,
      tenantId: row.tenantId,
      details: { kind, reason, failingSince: row.failingSince?.toISOString() ?? null },
    });
  }
}
