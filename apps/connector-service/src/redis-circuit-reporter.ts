import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { CircuitReporter, CircuitTransition } from '@ais/connectors';
import type { CircuitStore } from '@ais/db';
import type { Logger } from '@ais/observability';

/**
 * Publishes this instance's breaker transitions to Redis (CircuitStore), where the gateway's
 * GET /admin/providers/health reads every instance's. Best effort: a lost write is logged and the
 * next transition corrects it; the breaker itself never waits on Redis.
 */
export class RedisCircuitReporter implements CircuitReporter {
  readonly instance = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;

  constructor(
    private readonly store: CircuitStore,
    private readonly logger: Logger,
  ) {}

  report(transition: CircuitTransition): void {
    this.logger[transition.state === 'closed' ? 'info' : 'warn'](
      { providerId: transition.providerId, circuit: transition.state },
      `circuit ${transition.state} for ${transition.providerId}`,
    );
    this.store
      .report(this.instance, transition)
      .catch((err: unknown) =>
        this.logger.error({ err, providerId: transition.providerId }, 'could not publish the circuit state'),
      );
  }
}
