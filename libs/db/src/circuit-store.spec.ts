import { aggregate } from './circuit-store.js';

const now = new Date('2026-11-21T12:00:00Z');
const at = (minutesAgo: number) => new Date(now.getTime() - minutesAgo * 60_000).toISOString();

describe('circuit readings across connector-service instances', () => {
  it('is closed when no instance reports a breaker that is not closed (or only unreadable entries)', () => {
    expect(aggregate([], now)).toEqual({ state: 'closed', since: null, halfOpenAt: null, instances: 0 });
    expect(aggregate([null], now).state).toBe('closed');
  });

  it('is open when any instance is open, since the earliest, half-opening at the first', () => {
    const r = aggregate(
      [
        { state: 'open', since: at(3), halfOpenAt: at(-27) },
        { state: 'open', since: at(1), halfOpenAt: at(-29) },
        { state: 'half_open', since: at(2), halfOpenAt: null },
      ],
      now,
    );
    expect(r).toEqual({ state: 'open', since: new Date(at(3)), halfOpenAt: new Date(at(-27)), instances: 3 });
  });

  it('shows an open breaker past its wait as half-open: the next call tries the bank', () => {
    expect(aggregate([{ state: 'open', since: at(40), halfOpenAt: at(10) }], now)).toEqual({
      state: 'half_open',
      since: new Date(at(40)),
      halfOpenAt: null,
      instances: 1,
    });
  });

  it('leaves out entries that have not moved for an hour: their instance is gone or idle', () => {
    expect(aggregate([{ state: 'half_open', since: at(61), halfOpenAt: null }], now).state).toBe('closed');
    expect(aggregate([{ state: 'open', since: at(100), halfOpenAt: at(61) }], now).state).toBe('closed');
    expect(
      aggregate(
        [
          { state: 'open', since: at(100), halfOpenAt: at(59) },
          { state: 'half_open', since: at(90), halfOpenAt: null },
        ],
        now,
      ),
    ).toMatchObject({ state: 'half_open', instances: 1 });
  });
});
