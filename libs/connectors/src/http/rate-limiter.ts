/**
 * Outbound rate limit per provider: a token bucket (`ratePerSecond` sustained, `burst` at once).
 * Callers wait for a token; a caller that would wait longer than `maxWaitMs` is told so instead.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;
  private readonly waiters: (() => void)[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    if (ratePerSecond <= 0 || burst < 1) throw new RangeError('rate must be positive and burst at least 1');
    this.tokens = burst;
    this.last = now();
  }

  private refill(): void {
    const t = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) / 1000) * this.ratePerSecond);
    this.last = t;
  }

  /** Milliseconds a new caller would wait now. */
  estimatedWaitMs(): number {
    this.refill();
    const deficit = this.waiters.length + 1 - this.tokens;
    return deficit <= 0 ? 0 : Math.ceil((deficit / this.ratePerSecond) * 1000);
  }

  async acquire(): Promise<void> {
    this.refill();
    if (this.waiters.length === 0 && this.tokens >= 1) {
      this.tokens -= 1;
      return;
    }
    await new Promise<void>((resolve) => {
      this.waiters.push(resolve);
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.timer) return;
    this.refill();
    const wait = this.tokens >= 1 ? 0 : Math.ceil(((1 - this.tokens) / this.ratePerSecond) * 1000);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.refill();
      while (this.waiters.length > 0 && this.tokens >= 1) {
        this.tokens -= 1;
        this.waiters.shift()!();
      }
      if (this.waiters.length > 0) this.schedule();
    }, wait);
    this.timer.unref?.();
  }
}
