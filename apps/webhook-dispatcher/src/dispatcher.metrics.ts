import { Inject, Injectable } from '@nestjs/common';
import { Gauge, type Counter, type Histogram } from 'prom-client';
import { Metrics } from '@ais/observability';
import type { AttemptResult } from './delivery/retry-policy.js';

/** The dispatcher's Prometheus series (on its own port, GET /metrics). */
@Injectable()
export class DispatcherMetrics {
  readonly attempts: Counter<'outcome'>;
  readonly attemptDuration: Histogram<'result'>;
  readonly commitToDelivery: Histogram;
  readonly relayedEvents: Counter;
  readonly createdDeliveries: Counter;
  readonly disabledEndpoints: Counter<'reason'>;
  readonly leaseDuration: Histogram;
  readonly claimDuration: Histogram;
  readonly claimSize: Histogram;
  readonly recordDuration: Histogram;
  readonly recordSize: Histogram;
  readonly relayDuration: Histogram;
  readonly queueDepth: Gauge;
  readonly outboxLag: Gauge;

  /** What the scheduler holds right now, read when the metrics are scraped (not written on every request). */
  private load: () => { inFlight: number; held: number } = () => ({ inFlight: 0, held: 0 });

  constructor(@Inject(Metrics) metrics: Metrics) {
    this.attempts = metrics.counter(
      'webhook_attempts_total',
      'Delivery attempts by outcome (success, http_error, gone, timeout, network_error, refused)',
      ['outcome'],
    );
    this.attemptDuration = metrics.histogram(
      'webhook_attempt_duration_seconds',
      'Time to the response headers (or the failure) of one attempt',
      ['result'],
      [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15],
    );
    this.commitToDelivery = metrics.histogram(
      'webhook_commit_to_delivery_seconds',
      'From the event being written to its first successful delivery',
      [],
      [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600],
    );
    this.relayedEvents = metrics.counter('webhook_outbox_events_total', 'Events the outbox relay has passed', []);
    this.createdDeliveries = metrics.counter(
      'webhook_deliveries_created_total',
      'Deliveries created by the outbox relay',
      [],
    );
    this.disabledEndpoints = metrics.counter(
      'webhook_endpoints_disabled_total',
      'Endpoints the dispatcher disabled, by reason (gone, failing)',
      ['reason'],
    );
    const seconds = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
    const sizes = [1, 10, 50, 100, 250, 500, 1000, 2500, 5000, 10000];
    this.leaseDuration = metrics.histogram(
      'webhook_lease_duration_seconds',
      'One transaction taking the leases of endpoints with due deliveries',
      [],
      seconds,
    );
    this.claimDuration = metrics.histogram(
      'webhook_claim_duration_seconds',
      'One claim: due deliveries of the endpoints held read ahead',
      [],
      seconds,
    );
    this.claimSize = metrics.histogram('webhook_claim_size', 'Deliveries leased by one claim', [], sizes);
    this.recordDuration = metrics.histogram(
      'webhook_record_duration_seconds',
      'One outcome-recording transaction',
      [],
      seconds,
    );
    this.recordSize = metrics.histogram('webhook_record_size', 'Outcomes written by one transaction', [], sizes);
    this.relayDuration = metrics.histogram('webhook_relay_duration_seconds', 'One relay step', [], seconds);
    const gauge = (name: string, help: string, collect?: (this: Gauge) => void) =>
      new Gauge({ name, help, registers: [metrics.registry], collect });
    const load = () => this.load();
    gauge('webhook_in_flight', 'Requests in flight from this process', function () {
      this.set(load().inFlight);
    });
    gauge('webhook_claimed', 'Deliveries this process holds (queued locally or in flight)', function () {
      this.set(load().held);
    });
    this.queueDepth = gauge('webhook_queue_depth', 'Deliveries due now and not yet claimed (all instances; sampled)');
    this.outboxLag = gauge(
      'webhook_outbox_lag_seconds',
      'Age of the oldest event the relay has not turned into deliveries yet (sampled)',
    );
  }

  /** The scheduler's in-flight and held counts, for webhook_in_flight and webhook_claimed. */
  trackLoad(read: () => { inFlight: number; held: number }): void {
    this.load = read;
  }

  observeAttempt(result: AttemptResult): void {
    this.attempts.inc({ outcome: result.kind });
    this.attemptDuration.observe(
      { result: result.kind === 'success' ? 'success' : 'failure' },
      result.latencyMs / 1000,
    );
  }
}
