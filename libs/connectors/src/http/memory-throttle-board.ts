import type { ThrottleBoard, ThrottlePause } from '../ports.js';

/**
 * Banks' 429 pauses in this process's memory: what a BankHttpClient uses on its own, and what a
 * shared board (the connector-service's Redis one) keeps locally so that a call never waits on I/O.
 */
export class MemoryThrottleBoard implements ThrottleBoard {
  /** `${providerId} ${key}` → pause end, epoch ms. */
  private readonly pauses = new Map<string, number>();

  constructor(protected readonly now: () => number = Date.now) {}

  publish(pause: ThrottlePause): void {
    this.record(pause);
  }

  pausedUntil(providerId: string, key: string): number {
    const id = `${providerId} ${key}`;
    const until = this.pauses.get(id);
    if (until === undefined) return 0;
    if (until <= this.now()) {
      this.pauses.delete(id);
      return 0;
    }
    return until;
  }

  /** Keeps the later of a key's pauses; an ended one is not kept. */
  protected record(p: ThrottlePause): void {
    const now = this.now();
    if (p.until <= now) return;
    // Consent-level pauses come and go: drop the ended ones now and then rather than keep them all.
    if (this.pauses.size >= 1000) for (const [id, until] of this.pauses) if (until <= now) this.pauses.delete(id);
    const id = `${p.providerId} ${p.key}`;
    this.pauses.set(id, Math.max(this.pauses.get(id) ?? 0, p.until));
  }
}
