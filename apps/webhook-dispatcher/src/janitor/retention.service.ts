import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { WebhookDeliveryRepository, WebhookOutboxRepository } from '@ais/db';
import type { Logger } from '@ais/observability';
import { DISPATCHER_CONFIG, type WebhookDispatcherConfig } from '../webhook-dispatcher.config.js';
import { OUTBOX_CURSOR } from '../relay/outbox-relay.service.js';
import { LOGGER } from '../tokens.js';

const SWEEP_EVERY_MS = 3_600_000;
const FIRST_SWEEP_AFTER_MS = 60_000;
const BATCH = 5_000;

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** The smallest ULID of a millisecond: ids (time-sortable ULIDs) below it were made before that time. */
export function ulidFloor(ms: number): string {
  let time = '';
  for (let i = 0, t = ms; i < 10; i++, t = Math.floor(t / 32)) time = CROCKFORD[t % 32] + time;
  return time + '0'.repeat(16);
}

/**
 * Keeps the event log and the delivery log to WEBHOOK_RETENTION (30 days by default: GET /v1/events
 * promises at least that). Events go only once the relay has passed them; only finished deliveries
 * go. Deletes in small batches so it never holds long locks. Running on several instances is harmless.
 */
@Injectable()
export class RetentionJanitor implements OnApplicationBootstrap, OnApplicationShutdown {
  private timers: NodeJS.Timeout[] = [];

  constructor(
    @Inject(DISPATCHER_CONFIG) private readonly config: WebhookDispatcherConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly outbox: WebhookOutboxRepository,
    private readonly deliveries: WebhookDeliveryRepository,
  ) {}

  onApplicationBootstrap(): void {
    const run = () =>
      void this.sweep().catch((error: unknown) => this.logger.warn({ err: error }, 'retention sweep failed'));
    this.timers.push(setTimeout(run, FIRST_SWEEP_AFTER_MS), setInterval(run, SWEEP_EVERY_MS));
    for (const t of this.timers) t.unref();
  }

  onApplicationShutdown(): void {
    for (const t of this.timers) clearTimeout(t);
  }

  async sweep(now = Date.now()): Promise<{ events: number; deliveries: number }> {
    const cutoff = now - this.config.webhooks.retentionMs;
    let events = 0;
    let deliveries = 0;
    for (let n = BATCH; n === BATCH; events += n)
      n = await this.outbox.pruneEvents(OUTBOX_CURSOR, new Date(cutoff), BATCH);
    for (let n = BATCH; n === BATCH; deliveries += n)
      n = await this.deliveries.pruneFinished(`whd_${ulidFloor(cutoff)}`, BATCH);
    if (events + deliveries > 0) this.logger.info({ events, deliveries }, 'pruned the event and delivery logs');
    return { events, deliveries };
  }
}
