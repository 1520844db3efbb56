/**
 * A bank's clock: bank time = anchor + (real elapsed) × scale. Tests set it, advance it, or compress
 * a day into a minute with the scale. Everything time-dependent in a bank reads this clock. The anchor
 * is wall-clock real time, so a clock restored from its saved state has kept running while the
 * process was stopped (at its scale), like a real bank's.
 */
export interface ClockState {
  anchorBankMs: number;
  anchorRealMs: number;
  scale: number;
}

export class BankClock {
  private state: ClockState;
  /** Called after every set, advance or change of scale (the store persists the anchor). */
  onChange: () => void = () => undefined;

  constructor(
    initialBankMs: number,
    scale = 1,
    private readonly realNow: () => number = Date.now,
  ) {
    this.state = { anchorBankMs: initialBankMs, anchorRealMs: realNow(), scale };
  }

  now(): number {
    const { anchorBankMs, anchorRealMs, scale } = this.state;
    return Math.floor(anchorBankMs + (this.realNow() - anchorRealMs) * scale);
  }

  get scale(): number {
    return this.state.scale;
  }

  set(bankMs: number, scale = this.state.scale): void {
    this.state = { anchorBankMs: bankMs, anchorRealMs: this.realNow(), scale };
    this.onChange();
  }

  snapshot(): ClockState {
    return { ...this.state };
  }

  /** Continues from a saved anchor: now() is what it would have been had the clock never stopped. */
  restore(state: ClockState): void {
    this.state = { anchorBankMs: state.anchorBankMs, anchorRealMs: state.anchorRealMs, scale: state.scale };
  }

  advance(ms: number): void {
    this.set(this.now() + ms);
  }

  setScale(scale: number): void {
    this.set(this.now(), scale);
  }

  /** Real seconds until `bankMs` is reached at the current scale (for Retry-After). */
  realSecondsUntil(bankMs: number): number {
    return Math.max(1, Math.ceil((bankMs - this.now()) / this.state.scale / 1000));
  }

  toJSON(): { now: string; scale: number } {
    return { now: new Date(this.now()).toISOString(), scale: this.state.scale };
  }
}
