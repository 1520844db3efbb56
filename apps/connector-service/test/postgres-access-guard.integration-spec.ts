import { jest } from '@jest/globals';
import { AppError, type AccessWindow } from '@ais/domain';
import { createPrismaClient, type PrismaClient } from '@ais/db';
import { createTestDatabase, type TestDatabase } from '@ais/testing';
import type { AccessRequest } from '@ais/connectors';
import { PostgresAccessGuard } from '../src/postgres-access-guard.js';

// A fresh migrated database; dozens of concurrent transactions on two connection pools.
jest.setTimeout(60_000);

const ROLLING: AccessWindow = { kind: 'rolling24h' };
const BERLIN_DAY: AccessWindow = { kind: 'calendarDay', timeZone: 'Europe/Berlin' };

function request(overrides: Partial<AccessRequest> = {}): AccessRequest {
  return {
    providerId: 'saltbank',
    consentId: 'cns_1',
    scope: 'acc-1',
    resource: 'transactions',
    psuPresent: false,
    limit: 4,
    window: ROLLING,
    ...overrides,
  };
}

describe('PostgresAccessGuard (access_ledger)', () => {
  let db: TestDatabase;
  let a: PrismaClient;
  let b: PrismaClient;

  beforeAll(async () => {
    db = await createTestDatabase('guard');
    a = createPrismaClient({ url: db.url, poolSize: 8 });
    b = createPrismaClient({ url: db.url, poolSize: 8 });
  });
  afterAll(async () => {
    await a.$disconnect();
    await b.$disconnect();
    await db.drop();
  });

  it('never grants more unattended calls than the limit, however many workers reserve at once', async () => {
    const guards = [new PostgresAccessGuard(a), new PostgresAccessGuard(b)];
    const results = await Promise.allSettled(
      Array.from({ length: 40 }, (_, i) => guards[i % 2].reserve(request({ consentId: 'cns_race' }))),
    );
    const granted = results.filter((r) => r.status === 'fulfilled');
    const refused = results
      .filter((r): r is PromiseRejectedResult => r.status === 'rejected')
      .map((r) => r.reason as AppError);
    expect(granted).toHaveLength(4);
    expect(refused).toHaveLength(36);
    expect(refused.every((e) => e instanceof AppError && e.code === 'budget_exhausted')).toBe(true);
    expect(await a.accessLedgerEntry.count({ where: { consentId: 'cns_race', psuPresent: false } })).toBe(4);
    const first = await a.accessLedgerEntry.findFirst({ where: { consentId: 'cns_race' }, orderBy: { at: 'asc' } });
    expect(refused[0].extensions.nextAllowedAt).toBe(new Date(first!.at.getTime() + 86_400_000).toISOString());
  });

  it('counts per consent, account and resource; PSU-present calls are recorded and never limited', async () => {
    const guard = new PostgresAccessGuard(a);
    for (let i = 0; i < 4; i++) await guard.reserve(request({ consentId: 'cns_scopes' }));
    await expect(guard.reserve(request({ consentId: 'cns_scopes' }))).rejects.toMatchObject({
      code: 'budget_exhausted',
    });
    await expect(guard.reserve(request({ consentId: 'cns_scopes', scope: 'acc-2' }))).resolves.toMatchObject({
      used: 1,
      remaining: 3,
    });
    await expect(guard.reserve(request({ consentId: 'cns_scopes', resource: 'balances' }))).resolves.toMatchObject({
      used: 1,
    });
    await Promise.all(
      Array.from({ length: 10 }, () => guard.reserve(request({ consentId: 'cns_scopes', psuPresent: true }))),
    );
    expect(await a.accessLedgerEntry.count({ where: { consentId: 'cns_scopes', psuPresent: true } })).toBe(10);
    await expect(guard.reserve(request({ consentId: 'cns_scopes' }))).rejects.toMatchObject({
      code: 'budget_exhausted',
    });
  });

  it('waits for a reservation of the same scope that holds its lock, and counts it', async () => {
    const guard = new PostgresAccessGuard(b);
    for (let i = 0; i < 3; i++) await guard.reserve(request({ consentId: 'cns_wait' }));
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let locked!: () => void;
    const lockTaken = new Promise<void>((r) => (locked = r));
    // Another reservation of the scope, in flight: it holds the lock and grants the fourth call.
    const other = a.$transaction(async (tx) => {
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${'cns_wait|acc-1|transactions'}, 0))`;
      locked();
      await held;
      await tx.accessLedgerEntry.create({
        data: { consentId: 'cns_wait', scope: 'acc-1', resource: 'transactions', psuPresent: false, at: new Date() },
      });
    });
    await lockTaken;
    const waiting = guard.reserve(request({ consentId: 'cns_wait' }));
    await new Promise((r) => setTimeout(r, 100));
    release();
    await other;
    await expect(waiting).rejects.toMatchObject({ code: 'budget_exhausted' });
    expect(await a.accessLedgerEntry.count({ where: { consentId: 'cns_wait', psuPresent: false } })).toBe(4);
  });

  it('frees the budget as calls leave the rolling 24 hours, and at midnight of the bank for calendar-day banks', async () => {
    let now = new Date('2026-03-10T10:00:00Z');
    const guard = new PostgresAccessGuard(a, () => now);
    for (let i = 0; i < 4; i++) await guard.reserve(request({ consentId: 'cns_roll' }));
    now = new Date('2026-03-11T09:59:59Z');
    await expect(guard.reserve(request({ consentId: 'cns_roll' }))).rejects.toMatchObject({
      code: 'budget_exhausted',
      extensions: { nextAllowedAt: '2026-03-11T10:00:00.000Z' },
    });
    now = new Date('2026-03-11T10:00:01Z');
    await expect(guard.reserve(request({ consentId: 'cns_roll' }))).resolves.toMatchObject({ used: 1 });

    now = new Date('2026-03-10T22:30:00Z'); // 23:30 in Berlin
    for (let i = 0; i < 4; i++) await guard.reserve(request({ consentId: 'cns_day', window: BERLIN_DAY }));
    await expect(guard.reserve(request({ consentId: 'cns_day', window: BERLIN_DAY }))).rejects.toMatchObject({
      extensions: { nextAllowedAt: '2026-03-10T23:00:00.000Z' },
    });
    now = new Date('2026-03-10T23:00:00Z'); // local midnight: a new day at the bank
    await expect(guard.reserve(request({ consentId: 'cns_day', window: BERLIN_DAY }))).resolves.toMatchObject({
      used: 1,
      remaining: 3,
    });
  });
});
