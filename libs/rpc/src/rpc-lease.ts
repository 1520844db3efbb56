import { performance } from 'node:perf_hooks';
import type { Redis } from 'ioredis';

const RENEW_IF_HELD = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end`;
const RELEASE_IF_HELD = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;

/**
 * A lease in Redis naming the one instance of a service that answers its RPC requests: a key set with
 * NX and a TTL, renewed by its holder, released on shutdown, left to expire after a crash.
 *
 * `held` is judged on the local clock from the moment a successful SET / renewal was *sent*, so it
 * ends no later than Redis lets the key expire: a holder that cannot renew (paused, cut off from
 * Redis) stops counting itself the holder before anyone else can take the lease. That clock is the
 * monotonic one: a wall-clock step (NTP, a VM resumed) must neither fence a healthy holder (a step
 * forward dropped the requests of the next second) nor keep a cut-off one answering (a step back
 * would have kept it "holding" for as long as the step).
 */
export class RpcLease {
  private validUntil = 0;

  constructor(
    private readonly redis: Redis,
    readonly key: string,
    readonly holder: string,
    readonly ttlMs: number,
  ) {}

  /** True while this instance holds the lease for sure. */
  get held(): boolean {
    return performance.now() < this.validUntil;
  }

  /** Takes the lease if it is free, or keeps it if it is already ours. */
  async tryAcquire(): Promise<boolean> {
    const sentAt = performance.now();
    if ((await this.redis.set(this.key, this.holder, 'PX', this.ttlMs, 'NX')) === 'OK') {
      this.validUntil = sentAt + this.ttlMs;
      return true;
    }
    return this.renew();
  }

  /** Extends the lease if still ours; false (and no longer held) if someone else has it. */
  async renew(): Promise<boolean> {
    const sentAt = performance.now();
    const renewed = (await this.redis.eval(RENEW_IF_HELD, 1, this.key, this.holder, String(this.ttlMs))) === 1;
    this.validUntil = renewed ? sentAt + this.ttlMs : 0;
    return renewed;
  }

  /** Gives the lease up at once (graceful shutdown) so a standby can take over without waiting. */
  async release(): Promise<void> {
    this.validUntil = 0;
    await this.redis.eval(RELEASE_IF_HELD, 1, this.key, this.holder);
  }
}
