import { BankClock } from './clock.js';

describe('BankClock snapshot and restore', () => {
  it('goes on after a restore as if it had never stopped, at its scale', () => {
    let real = 1_000_000;
    const clock = new BankClock(Date.parse('2026-03-10T10:00:00Z'), 1, () => real);
    let changes = 0;
    clock.onChange = () => changes++;
    clock.setScale(60);
    clock.advance(3_600_000);
    expect(changes).toBe(2);
    const saved = clock.snapshot();
    const atStop = clock.now();

    real += 10_000; // the process is down for 10 real seconds
    const restarted = new BankClock(Date.parse('2030-01-01T00:00:00Z'), 1, () => real);
    restarted.restore(saved);
    expect(restarted.scale).toBe(60);
    expect(restarted.now()).toBe(atStop + 600_000);
  });
});
