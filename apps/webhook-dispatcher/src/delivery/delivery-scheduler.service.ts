import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { WebhookDispatchRepository, type ClaimedDelivery } from '@ais/db';
import type { Logger } from '@ais/observability';
import { DISPATCHER_CONFIG, type WebhookDispatcherConfig } from '../webhook-dispatcher.config.js';
import { DispatcherMetrics } from '../dispatcher.metrics.js';
import { LOGGER } from '../tokens.js';
import { EndpointDirectory } from './endpoint-directory.js';
import { OutcomeRecorder, type FinishedAttempt } from './outcome-recorder.js';
import { decide, type AttemptResult } from './retry-policy.js';
import { WebhookSender } from './webhook-sender.js';

interface EndpointLane {
  id: string;
  queue: ClaimedDelivery[];
  inFlight: number;
  /** In the round-robin ring right now. */
  ready: boolean;
  /** The last claim filled the lane to the prefetch: more may be due, so claim again once it runs low. */
  full: boolean;
  /** Ids in flight. */
  sending: Set<string>;
}

const FLUSH_BATCH = 500;
const FLUSH_DELAY_MS = 5;
const ENDPOINT_REFRESH_MS = 1_000;
const DEPTH_SAMPLE_MS = 5_000;

/**
 * Turns due deliveries into signed HTTP requests.
 *
 * Claims: an instance takes the lease of an endpoint (webhook_endpoint_leases) and reads up to
 * `prefetch × concurrency` of its due deliveries in order; deliveries are never marked, so a crash
 * leaves nothing to undo: when the lease expires another instance reads the same pending deliveries
 * (a subscriber sees a duplicate at worst, never a gap, and the order survives). A lane is refilled
 * when it runs below half a prefetch, leaving out what this process holds (queued, in flight, or
 * attempted but not recorded yet). Leases are renewed while the process lives and given up when a
 * lane stays empty, or on shutdown.
 *
 * Scheduling: one lane per endpoint, at most WEBHOOK_ENDPOINT_CONCURRENCY requests in flight per lane,
 * lanes served round-robin under a global WEBHOOK_MAX_IN_FLIGHT. A slow or dead endpoint fills only
 * its own lane, so it cannot hold back the others.
 *
 * Outcomes are written in batches (a few ms apart) by the OutcomeRecorder, fenced by the attempt
 * count seen at claim time: a stalled instance whose endpoint was taken over records nothing.
 */
@Injectable()
export class DeliveryScheduler implements OnApplicationBootstrap, BeforeApplicationShutdown {
  readonly holder = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  private readonly lanes = new Map<string, EndpointLane>();
  private readonly ring: EndpointLane[] = [];
  private queued = 0;
  private inFlight = 0;
  /** Attempted but not recorded yet: excluded from claims, and their endpoints keep their lease. */
  private readonly unrecorded = new Map<string, string>();
  /** Endpoints that answered 410 Gone: not claimed until the outcome (and the disabling) is written. */
  private readonly gone = new Set<string>();
  private finished: FinishedAttempt[] = [];
  private flushing: Promise<void> | null = null;
  private flushTimer: NodeJS.Timeout | null = null;
  private running = false;
  private wakeClaim: (() => void) | null = null;
  private claimRequested = false;
  private claimLoop: Promise<void> | null = null;
  private rrCursor = '';
  private timers: NodeJS.Timeout[] = [];
  private idleWaiters: (() => void)[] = [];

  private readonly settings: WebhookDispatcherConfig['webhooks'];
  private readonly perEndpoint: number;

  constructor(
    @Inject(DISPATCHER_CONFIG) config: WebhookDispatcherConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly deliveries: WebhookDispatchRepository,
    private readonly directory: EndpointDirectory,
    private readonly recorder: OutcomeRecorder,
    private readonly sender: WebhookSender,
    private readonly metrics: DispatcherMetrics,
  ) {
    this.settings = config.webhooks;
    this.perEndpoint = this.settings.endpointPrefetch * this.settings.endpointConcurrency;
  }

  onApplicationBootstrap(): void {
    this.running = true;
    this.claimLoop = this.runClaims();
    const every = (ms: number, task: () => Promise<unknown>) => {
      const timer = setInterval(
        () => void task().catch((error: unknown) => this.logger.warn({ err: error }, 'webhook background task failed')),
        ms,
      );
      timer.unref();
      this.timers.push(timer);
    };
    every(Math.max(100, Math.floor(this.settings.leaseMs / 3)), () =>
      this.deliveries.renewLeases(this.holder, this.busyEndpoints(), this.settings.leaseMs),
    );
    every(ENDPOINT_REFRESH_MS, () => this.refreshEndpoints());
    every(DEPTH_SAMPLE_MS, async () => this.metrics.queueDepth.set(await this.deliveries.countDue()));
    this.logger.info({ holder: this.holder }, 'webhook delivery scheduler started');
  }

  /** Stop claiming, let in-flight attempts finish (bounded by the timeout), record them, give up the endpoints. */
  async beforeApplicationShutdown(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    for (const timer of this.timers) clearInterval(timer);
    this.wakeClaim?.();
    await this.claimLoop;
    for (const lane of this.lanes.values()) this.queued -= lane.queue.splice(0).length;
    await this.waitFor(() => this.inFlight === 0, this.settings.timeoutMs + 1_000);
    await this.flush();
    await this.deliveries
      .releaseLeases(this.holder)
      .catch((error: unknown) =>
        this.logger.warn({ err: error }, 'could not release endpoint leases; they expire by themselves'),
      );
    await this.sender.close();
  }

  /** Called by the relay when it created deliveries: claim now instead of at the next poll. */
  wake(): void {
    this.claimRequested = true;
    this.wakeClaim?.();
  }

  // ── claiming ──

  private async runClaims(): Promise<void> {
    let backoffMs = 0;
    while (this.running) {
      this.claimRequested = false;
      let again = false;
      try {
        again = await this.claimOnce();
        backoffMs = 0;
      } catch (error) {
        backoffMs = Math.min(Math.max(backoffMs * 2, 200), 5_000);
        this.logger.error({ err: error }, 'claiming webhook deliveries failed');
      }
      if (!this.running) break;
      if ((again || this.claimRequested) && backoffMs === 0) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, backoffMs || this.settings.pollIntervalMs);
        function done() {
          clearTimeout(timer);
          resolve();
        }
        this.wakeClaim = done;
      });
      this.wakeClaim = null;
    }
  }

  /**
   * One claim for the endpoints whose lanes run low (less than half a prefetch), leaving out what
   * this process already holds; true when capacity cut it short.
   */
  private async claimOnce(): Promise<boolean> {
    const perEndpoint = this.perEndpoint;
    const capacity = this.settings.maxInFlight * 2 - this.queued - this.inFlight;
    if (capacity <= 0) return false;
    const skip = [...this.gone];
    const exclude = [...this.unrecorded.keys()];
    for (const lane of this.lanes.values()) {
      if (lane.queue.length + lane.inFlight >= perEndpoint / 2) skip.push(lane.id);
      else exclude.push(...lane.queue.map((d) => d.id), ...lane.sending);
    }
    const endTimer = this.metrics.claimDuration.startTimer();
    const claimed = await this.deliveries.claim(this.holder, {
      perEndpoint,
      total: capacity,
      leaseMs: this.settings.leaseMs,
      skip,
      exclude,
      startAfter: this.rrCursor,
    });
    endTimer();
    this.metrics.claimSize.observe(claimed.length);
    if (claimed.length === 0) return false;

    const versions = new Map<string, Date>();
    for (const d of claimed) {
      const known = versions.get(d.endpointId);
      if (!known || known < d.endpointUpdatedAt) versions.set(d.endpointId, d.endpointUpdatedAt);
    }
    await this.directory.ensure(versions);

    // Rows come in endpoint order, each endpoint's in its delivery order.
    const perLane = new Map<string, number>();
    for (const d of claimed) {
      this.lane(d.endpointId).queue.push(d);
      perLane.set(d.endpointId, (perLane.get(d.endpointId) ?? 0) + 1);
    }
    this.queued += claimed.length;
    const cutShort = claimed.length >= capacity;
    this.rrCursor = cutShort ? claimed[claimed.length - 1].endpointId : '';
    for (const [id, n] of perLane) {
      const lane = this.lane(id);
      lane.full = n >= perEndpoint;
      this.markReady(lane);
    }
    this.metrics.held.set(this.queued + this.inFlight);
    this.pump();
    return cutShort;
  }

  /** Endpoints this process still works on: queued, in flight, or with outcomes to record. */
  private busyEndpoints(): string[] {
    return [...new Set([...this.lanes.keys(), ...this.unrecorded.values()])];
  }

  // ── scheduling ──

  private lane(id: string): EndpointLane {
    let lane = this.lanes.get(id);
    if (!lane) {
      lane = { id, queue: [], inFlight: 0, ready: false, full: false, sending: new Set() };
      this.lanes.set(id, lane);
    }
    return lane;
  }

  private markReady(lane: EndpointLane): void {
    if (!lane.ready && lane.queue.length > 0 && lane.inFlight < this.settings.endpointConcurrency) {
      lane.ready = true;
      this.ring.push(lane);
    }
  }

  /** Round-robin: one request per ready lane per turn, while the global bound allows. */
  private pump(): void {
    while (this.running && this.inFlight < this.settings.maxInFlight && this.ring.length > 0) {
      const lane = this.ring.shift()!;
      lane.ready = false;
      const next = lane.queue.shift();
      if (!next) continue;
      this.queued--;
      lane.inFlight++;
      lane.sending.add(next.id);
      this.inFlight++;
      this.markReady(lane);
      void this.attempt(lane, next);
    }
    this.metrics.inFlight.set(this.inFlight);
  }

  private async attempt(lane: EndpointLane, delivery: ClaimedDelivery): Promise<void> {
    const body = delivery.body;
    try {
      const endpoint = this.directory.get(delivery.endpointId);
      if (!endpoint || !endpoint.enabled) return; // disabled or deleted since the claim: its deliveries went with it
      const startedAt = new Date();
      let result: AttemptResult;
      if (body === null) {
        result = {
          kind: 'network_error',
          responseStatus: null,
          latencyMs: 0,
          error: 'the event is no longer in the event log',
        };
      } else {
        result = await this.sender.send(endpoint.url, endpoint.signer.headers(delivery.eventId, body, startedAt), body);
      }
      const decision =
        body === null
          ? { status: 'failed' as const, nextAttemptAt: null }
          : decide(
              delivery,
              result,
              { scheduleMs: this.settings.retryScheduleMs, jitter: this.settings.retryJitter },
              new Date(),
            );
      this.metrics.observeAttempt(result);
      if (result.kind === 'success' && delivery.attempts === 0 && delivery.eventCreatedMs !== null) {
        this.metrics.commitToDelivery.observe((Date.now() - delivery.eventCreatedMs) / 1000);
      }
      if (result.kind === 'gone') {
        this.gone.add(delivery.endpointId);
        this.stopLane(lane, 'answered 410 Gone'); // the rest would only hear the same
      }
      this.unrecorded.set(delivery.id, delivery.endpointId);
      this.finished.push({
        id: delivery.id,
        attemptsBefore: delivery.attempts,
        endpointId: delivery.endpointId,
        tenantId: delivery.tenantId,
        kind: result.kind,
        ok: result.kind === 'success',
        status: decision.status,
        nextAttemptAt: decision.nextAttemptAt,
        startedAt,
        latencyMs: result.latencyMs,
        responseStatus: result.responseStatus,
        error: result.error,
      });
      this.scheduleFlush();
    } catch (error) {
      // Nothing was recorded: the delivery stays pending and is attempted again.
      this.logger.error({ err: error, deliveryId: delivery.id }, 'webhook attempt crashed');
    } finally {
      lane.inFlight--;
      lane.sending.delete(delivery.id);
      this.inFlight--;
      this.markReady(lane);
      if (lane.full && lane.queue.length + lane.inFlight < this.perEndpoint / 2) {
        lane.full = false;
        this.wake(); // refill before it runs dry
      }
      if (lane.queue.length === 0 && lane.inFlight === 0) this.lanes.delete(lane.id);
      this.pump();
      this.notifyIdle();
    }
  }

  // ── recording ──

  private scheduleFlush(): void {
    if (this.finished.length >= FLUSH_BATCH) {
      void this.flush();
      return;
    }
    this.flushTimer ??= setTimeout(() => {
      this.flushTimer = null;
      void this.flush();
    }, FLUSH_DELAY_MS);
  }

  /** Writes finished attempts; one write at a time, retried until the database takes it. */
  private async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
    if (this.finished.length === 0) return;
    const batch = this.finished;
    this.finished = [];
    this.flushing = (async () => {
      for (let delay = 100; ; delay = Math.min(delay * 2, 5_000)) {
        try {
          const endTimer = this.metrics.recordDuration.startTimer();
          const { disabled } = await this.recorder.record(batch);
          endTimer();
          this.metrics.recordSize.observe(batch.length);
          for (const o of batch) {
            this.unrecorded.delete(o.id);
            if (o.kind === 'gone') this.gone.delete(o.endpointId);
          }
          for (const id of disabled) this.dropEndpoint(id, 'disabled');
          return;
        } catch (error) {
          this.logger.error({ err: error, count: batch.length }, 'recording webhook outcomes failed; retrying');
          if (!this.running && delay >= 5_000) return;
          await new Promise((resolve) => setTimeout(resolve, delay));
        }
      }
    })();
    try {
      await this.flushing;
    } finally {
      this.flushing = null;
      this.notifyIdle();
    }
    if (this.finished.length >= FLUSH_BATCH) await this.flush();
  }

  // ── endpoints changing under us ──

  private async refreshEndpoints(): Promise<void> {
    const ids = [...this.lanes.keys()];
    if (ids.length === 0) return;
    for (const id of await this.directory.refresh(ids)) this.dropEndpoint(id, 'disabled or deleted');
  }

  /** Stops sending what is queued for a lane (those deliveries are failed with the endpoint, or retried later). */
  private stopLane(lane: EndpointLane, why: string): void {
    const dropped = lane.queue.splice(0).length;
    this.queued -= dropped;
    lane.full = false;
    if (dropped > 0) this.logger.info({ endpointId: lane.id, dropped, why }, 'stopped delivering to an endpoint');
  }

  private dropEndpoint(id: string, why: string): void {
    this.directory.forget(id);
    const lane = this.lanes.get(id);
    if (!lane) return;
    this.stopLane(lane, why);
    if (lane.inFlight === 0) this.lanes.delete(id);
  }

  // ── shutdown support ──

  private notifyIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  private async waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition() && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        this.idleWaiters.push(resolve);
        setTimeout(resolve, 50).unref();
      });
    }
  }
}
