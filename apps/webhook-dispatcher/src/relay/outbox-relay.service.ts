import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { WebhookDispatchRepository, WebhookOutboxRepository } from '@ais/db';
import { newId } from '@ais/domain';
import type { Logger } from '@ais/observability';
import { DISPATCHER_CONFIG, type WebhookDispatcherConfig } from '../webhook-dispatcher.config.js';
import { DispatcherMetrics } from '../dispatcher.metrics.js';
import { DeliveryScheduler } from '../delivery/delivery-scheduler.service.js';
import { LOGGER } from '../tokens.js';

export const OUTBOX_CURSOR = 'webhooks';
const LAG_SAMPLE_MS = 5_000;
const RELAY_IDLE_POLL_MS = 20;

/**
 * The outbox relay: turns committed events into deliveries, in (xid, seq) order below the oldest
 * running transaction (see WebhookDispatchRepository.relay), creating the deliveries and moving the
 * cursor in one transaction. Several instances may run: the cursor row is locked with SKIP LOCKED, so
 * one relays while the others only deliver. Dying at any point loses nothing: the next step repeats
 * from the committed cursor and the (endpoint, event) unique key absorbs what was already created.
 */
@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private running = false;
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private lagTimer: NodeJS.Timeout | null = null;

  constructor(
    @Inject(DISPATCHER_CONFIG) private readonly config: WebhookDispatcherConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly outbox: WebhookOutboxRepository,
    private readonly dispatch: WebhookDispatchRepository,
    private readonly scheduler: DeliveryScheduler,
    private readonly metrics: DispatcherMetrics,
  ) {}

  onApplicationBootstrap(): void {
    this.running = true;
    this.loop = this.run();
    this.lagTimer = setInterval(() => {
      this.outbox.lagSeconds(OUTBOX_CURSOR).then(
        (lag) => this.metrics.outboxLag.set(lag),
        () => undefined,
      );
    }, LAG_SAMPLE_MS);
    this.lagTimer.unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.running = false;
    if (this.lagTimer) clearInterval(this.lagTimer);
    this.wake?.();
    await this.loop;
  }

  private async run(): Promise<void> {
    const { relayBatch, pollIntervalMs } = this.config.webhooks;
    // Idle polls are a read-only EXISTS; the locking step runs only when there is something to relay.
    const idlePollMs = Math.min(RELAY_IDLE_POLL_MS, pollIntervalMs);
    let ready = false;
    let backoffMs = 0;
    let more = true;
    while (this.running) {
      try {
        if (!ready) {
          await this.dispatch.ensureCursor(OUTBOX_CURSOR);
          ready = true;
        }
        if (more || (await this.dispatch.hasNewEvents(OUTBOX_CURSOR))) {
          const endTimer = this.metrics.relayDuration.startTimer();
          const step = await this.dispatch.relay(OUTBOX_CURSOR, relayBatch, () => newId('webhookDelivery'));
          endTimer();
          if (step.events > 0) {
            this.metrics.relayedEvents.inc(step.events);
            this.metrics.createdDeliveries.inc(step.deliveries);
          }
          if (step.deliveries > 0) this.scheduler.wake(step.endpoints);
          more = step.full;
        }
        backoffMs = 0;
      } catch (error) {
        backoffMs = Math.min(Math.max(backoffMs * 2, 200), 5_000);
        more = true;
        this.logger.error({ err: error }, 'outbox relay step failed');
      }
      if ((more && backoffMs === 0) || !this.running) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, backoffMs || idlePollMs);
        function done() {
          clearTimeout(timer);
          resolve();
        }
        this.wake = done;
      });
      this.wake = null;
    }
  }
}
