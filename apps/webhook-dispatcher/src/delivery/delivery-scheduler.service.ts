import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { WebhookDispatchRepository, type ClaimedDelivery, type ReadFrom } from '@ais/db';
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
  /**
   * More of the endpoint's deliveries may be due than the lane holds: the last read filled it to the
   * prefetch, or the relay created some since, or the endpoint was just taken. Refilled as soon as it
   * runs low; other lanes are looked at again at the next poll (for retries that became due).
   */
  more: boolean;
  /** The last first attempt read: reads asked for read on after it (polls read from the start). */
  readFrom: ReadFrom | null;
  /** Ids in flight. */
  sending: Set<string>;
  /** When it last ran out of work (queue and requests), 0 while busy: kept a while before it is given up. */
  idleSince: number;
}

/** A loop's wake-up: requested by others, or after a while. */
class Trigger {
  private requested = false;
  private wakeUp: (() => void) | null = null;

  private soon: NodeJS.Timeout | null = null;

  request(): void {
    this.requested = true;
    this.wakeUp?.();
  }

  /** A request that can wait `ms` for others to join it (one read for several lanes instead of one each). */
  requestSoon(ms: number): void {
    if (this.requested || this.soon) return;
    this.soon = setTimeout(() => {
      this.soon = null;
      this.request();
    }, ms);
    this.soon.unref();
  }

  /** Clears the request (the loop is about to do what was asked); whether there was one. */
  take(): boolean {
    const requested = this.requested;
    this.requested = false;
    return requested;
  }

  /** Returns when requested (at once if it was meanwhile), or after `ms`. */
  async wait(ms: number): Promise<void> {
    if (this.requested) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakeUp = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakeUp = done;
    });
  }
}

/** Endpoints after `cursor` first, then the rest: where the last claim cut short resumes. */
function roundRobin(ids: string[], cursor: string): string[] {
  return ids.sort((a, b) => (a > cursor === b > cursor ? (a < b ? -1 : 1) : a > cursor ? -1 : 1));
}

/** How long an endpoint's lane is kept with nothing to do before the endpoint is given up. */
const LANE_IDLE_MS = 1_000;
/**
 * Deliveries held (queued or in flight) per unit of WEBHOOK_MAX_IN_FLIGHT: room for every busy lane's
 * prefetch, so that lanes are read ahead half a prefetch at a time rather than in whatever trickle
 * the sends free up. A few MB per process at the defaults.
 */
const HELD_PER_IN_FLIGHT = 8;
/** How long a lane that ran below half a prefetch waits for others to be read with it (it has half left). */
const REFILL_GATHER_MS = 10;
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
 * attempted but not recorded yet), and reading on after the last first attempt it read (polls read
 * from the start, for retries). Taking leases and reading deliveries are two loops (runLoop), so a
 * lease transaction never holds up a read. Leases are renewed while the process lives and given up
 * when a lane stays idle, or on shutdown.
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
  /** Taking the leases of endpoints with due deliveries: when the relay created some, and at every poll. */
  private readonly leases = new Trigger();
  /** Reading due deliveries of the endpoints held whose lanes run low. */
  private readonly refills = new Trigger();
  private loops: Promise<void>[] = [];
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
    metrics.trackLoad(() => ({ inFlight: this.inFlight, held: this.queued + this.inFlight }));
  }

  onApplicationBootstrap(): void {
    this.running = true;
    this.loops = [
      this.runLoop('taking endpoint leases', this.leases, () => this.leaseOnce()),
      this.runLoop('claiming webhook deliveries', this.refills, (requested) => this.refillOnce(!requested)),
    ];
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
    this.leases.request();
    this.refills.request();
    await Promise.all(this.loops);
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

  /**
   * Called by the relay when it created deliveries for these endpoints: read them now instead of at
   * the next poll (and take the endpoints not held here).
   */
  wake(endpointIds: readonly string[]): void {
    let unheld = false;
    for (const id of endpointIds) {
      const lane = this.lanes.get(id);
      if (lane) lane.more = true;
      else unheld = true;
    }
    if (unheld) this.leases.request();
    this.refills.request();
  }

  // ── claiming ──

  /**
   * Two loops, so that neither waits for the other: one takes the leases of endpoints with due
   * deliveries (a transaction under the claim lock: when the relay created deliveries, and at every
   * poll, for due retries, other instances' events and the endpoints of a dead instance), the other
   * reads due deliveries of the endpoints held whose lanes run low (one statement, nothing written).
   */
  private async runLoop(what: string, trigger: Trigger, step: (requested: boolean) => Promise<boolean>): Promise<void> {
    let backoffMs = 0;
    while (this.running) {
      const requested = trigger.take();
      let again = false;
      try {
        again = await step(requested);
        backoffMs = 0;
      } catch (error) {
        backoffMs = Math.min(Math.max(backoffMs * 2, 200), 5_000);
        this.logger.error({ err: error }, `${what} failed`);
      }
      if (!this.running) break;
      if (again && backoffMs === 0) continue;
      await trigger.wait(backoffMs || this.settings.pollIntervalMs);
    }
  }

  /** Takes the endpoints with due deliveries that no live instance holds; their lanes are refilled next. */
  private async leaseOnce(): Promise<boolean> {
    const held = [...this.lanes.keys()];
    const endTimer = this.metrics.leaseDuration.startTimer();
    const taken = await this.deliveries.lease(this.holder, {
      held,
      skip: [...this.gone],
      leaseMs: this.settings.leaseMs,
    });
    endTimer();
    if (!this.running || taken.length === 0) return false;
    for (const id of taken) {
      const lane = this.lane(id);
      lane.more = true;
      lane.readFrom = null; // taken (back): from the endpoint's oldest due delivery
    }
    this.refills.request();
    return false;
  }

  /**
   * Reads due deliveries of the endpoints held whose lanes run low (less than half a prefetch) and
   * may have more (`poll`: all of them), leaving out what this process already holds of them; true
   * when capacity cut it short.
   */
  private async refillOnce(poll: boolean): Promise<boolean> {
    const perEndpoint = this.perEndpoint;
    const capacity = this.settings.maxInFlight * HELD_PER_IN_FLIGHT - this.queued - this.inFlight;
    if (capacity <= 0) return false;
    const refill: string[] = [];
    const exclude: string[] = [];
    for (const lane of this.lanes.values()) {
      if (this.gone.has(lane.id) || lane.queue.length + lane.inFlight >= perEndpoint / 2) continue;
      if (!lane.more && !poll) continue;
      refill.push(lane.id);
      for (const d of lane.queue) exclude.push(d.id);
      for (const id of lane.sending) exclude.push(id);
    }
    if (refill.length === 0) return false;
    // This read takes what was flagged so far; the relay may flag a lane again meanwhile.
    for (const id of refill) this.lanes.get(id)!.more = false;
    const refilled = new Set(refill);
    // Attempted but not recorded yet.
    for (const [id, endpointId] of this.unrecorded) if (refilled.has(endpointId)) exclude.push(id);

    const endpoints = roundRobin(refill, this.rrCursor);
    const endTimer = this.metrics.claimDuration.startTimer();
    const claimed = await this.deliveries.refill(this.holder, {
      endpoints,
      from: endpoints.map((id) => (poll ? null : (this.lanes.get(id)?.readFrom ?? null))),
      exclude,
      perEndpoint,
      total: capacity,
      leaseMs: this.settings.leaseMs,
    });
    endTimer();
    this.metrics.claimSize.observe(claimed.length);
    if (!this.running) return false;

    const versions = new Map<string, Date>();
    for (const d of claimed) {
      if (!versions.has(d.endpointId)) versions.set(d.endpointId, new Date(d.endpointUpdatedMs));
    }
    await this.directory.ensure(versions);

    const cutShort = claimed.length >= capacity;
    if (cutShort) {
      for (const id of refill) {
        const lane = this.lanes.get(id);
        if (lane) lane.more = true; // not read at all, or not to the end
      }
    }
    // Rows come in endpoint order, each endpoint's in its delivery order; a lane filled to the
    // prefetch may have more.
    for (let i = 0; i < claimed.length;) {
      const lane = this.lane(claimed[i].endpointId);
      const from = i;
      for (; i < claimed.length && claimed[i].endpointId === lane.id; i++) {
        const d = claimed[i];
        lane.queue.push(d);
        if (d.position !== null) lane.readFrom = { at: d.position, id: d.id };
      }
      if (i - from >= perEndpoint) lane.more = true;
      lane.idleSince = 0;
      this.markReady(lane);
    }
    // Lanes with nothing to do for a while: the endpoint is given up (the next renewal releases it).
    const now = Date.now();
    for (const id of refill) {
      const lane = this.lanes.get(id);
      if (lane && lane.idleSince > 0 && now - lane.idleSince >= LANE_IDLE_MS) this.lanes.delete(id);
    }
    this.queued += claimed.length;
    this.rrCursor = cutShort ? claimed[claimed.length - 1].endpointId : '';
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
      lane = {
        id,
        queue: [],
        inFlight: 0,
        ready: false,
        more: false,
        readFrom: null,
        sending: new Set(),
        idleSince: Date.now(),
      };
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
      if (lane.more && lane.queue.length + lane.inFlight === Math.ceil(this.perEndpoint / 2) - 1) {
        this.refills.requestSoon(REFILL_GATHER_MS); // below half a prefetch: before it runs dry
      }
      if (lane.queue.length === 0 && lane.inFlight === 0) {
        // A lane whose endpoint was dropped goes now; others stay a while, as more may come.
        if (this.directory.get(lane.id)) lane.idleSince = Date.now();
        else this.lanes.delete(lane.id);
      }
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
