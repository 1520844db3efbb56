import { parseDurationMs, webhooksSection } from './webhooks.section.js';

describe('webhooks config section', () => {
  it('defaults to production values: 15 s timeout and a retry schedule of more than 24 hours', () => {
    const parsed = webhooksSection.parse({});
    if (!parsed.ok) throw new Error(parsed.issues.join('; '));
    expect(parsed.value.timeoutMs).toBe(15_000);
    expect(parsed.value.allowedPrivateTargets).toEqual([]);
    expect(parsed.value.retryScheduleMs).toEqual([
      5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000,
    ]);
    expect(parsed.value.retryScheduleMs.reduce((a, b) => a + b, 0)).toBeGreaterThan(24 * 3_600_000);
    expect(parsed.value.disableAfterMs).toBe(5 * 86_400_000);
    expect(parsed.value.secretGraceMs).toBe(86_400_000);
  });

  it('reads compressed schedules and allow-lists', () => {
    const parsed = webhooksSection.parse({
      WEBHOOK_RETRY_SCHEDULE: '100ms, 0.5s,1s',
      WEBHOOK_ALLOWED_PRIVATE_TARGETS: '127.0.0.1:3900, localhost:3900,10.0.0.0/8,[::1]:3900,fd00::/8:9000',
      WEBHOOK_TIMEOUT: '1s',
      WEBHOOK_LEASE: '3s',
    });
    if (!parsed.ok) throw new Error(parsed.issues.join('; '));
    expect(parsed.value.retryScheduleMs).toEqual([100, 500, 1000]);
    expect(parsed.value.allowedPrivateTargets.map((t) => t.entry)).toEqual([
      '127.0.0.1:3900',
      'localhost:3900',
      '10.0.0.0/8',
      '[::1]:3900',
      'fd00::/8:9000',
    ]);
    expect(parsed.value.allowedPrivateTargets.map((t) => t.kind)).toEqual([
      'address',
      'host',
      'network',
      'address',
      'network',
    ]);
  });

  it('refuses at load an allow-list entry without a port, naming the variable and the fix', () => {
    const parsed = webhooksSection.parse({ WEBHOOK_ALLOWED_PRIVATE_TARGETS: '127.0.0.1,localhost:3900,10.0.0.0/99' });
    expect(!parsed.ok && parsed.issues).toEqual([
      'WEBHOOK_ALLOWED_PRIVATE_TARGETS: "127.0.0.1" has no port: write 127.0.0.1:<port> for one port, or 127.0.0.1/32 for every port',
      'WEBHOOK_ALLOWED_PRIVATE_TARGETS: "10.0.0.0/99" is not a CIDR: an IPv4 prefix is at most 32',
    ]);
  });

  it('names every bad variable', () => {
    const parsed = webhooksSection.parse({
      WEBHOOK_RETRY_SCHEDULE: '5s,soon',
      WEBHOOK_TIMEOUT: 'fast',
      WEBHOOK_ALLOWED_PRIVATE_TARGETS: '10.0.0.0/99',
    });
    expect(parsed.ok).toBe(false);
    const text = !parsed.ok ? parsed.issues.join('\n') : '';
    expect(text).toContain('WEBHOOK_RETRY_SCHEDULE');
    expect(text).toContain('WEBHOOK_TIMEOUT');
    expect(text).toContain('WEBHOOK_ALLOWED_PRIVATE_TARGETS');
    const lease = webhooksSection.parse({ WEBHOOK_TIMEOUT: '20s', WEBHOOK_LEASE: '10s' });
    expect(!lease.ok && lease.issues).toEqual([
      'WEBHOOK_LEASE: must be longer than WEBHOOK_TIMEOUT (a claim must outlive one attempt)',
    ]);
  });

  it('parses durations', () => {
    expect(parseDurationMs('250ms')).toBe(250);
    expect(parseDurationMs('2h')).toBe(7_200_000);
    expect(parseDurationMs('1500')).toBe(1500);
    expect(parseDurationMs('1.5s')).toBe(1500);
    expect(parseDurationMs('-1s')).toBeNull();
    expect(parseDurationMs('1w')).toBeNull();
  });
});
