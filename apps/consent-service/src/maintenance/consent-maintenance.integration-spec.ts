import { createLogger } from '@ais/observability';
import {
  AuthorisationSessionRepository,
  ConsentRepository,
  EventRepository,
  IdempotencyRepository,
  TokenSetRepository,
  createPrismaClient,
  type PrismaClient,
} from '@ais/db';
import { createTestDatabase, testEnv, type TestDatabase } from '@ais/testing';
import { loadConsentServiceConfig } from '../consent-service.config.js';
import { ConsentMaintenanceService } from './consent-maintenance.service.js';

describe('consent maintenance: expiry notices and expiry', () => {
  let db: TestDatabase;
  let prisma: PrismaClient;
  let service: ConsentMaintenanceService;
  const now = new Date('2026-11-21T12:00:00Z');
  const day = 86_400_000;

  const consent = async (
    id: string,
    status: 'authorised' | 'awaiting_authorisation' | 'revoked',
    expiresInDays: number,
  ) => {
    await prisma.consent.create({
      data: {
        id,
        tenantId: 'ten_1',
        providerId: 'bank',
        status,
        expiresAt: new Date(now.getTime() + expiresInDays * day),
        frequencyPerDay: 4,
        redirectUri: 'https://x.example/cb',
        nextSyncAt: now,
      },
    });
    await prisma.consentTokenSet.create({ data: { consentId: id, keyId: 'k', ciphertext: 'v1.k.x.y.z' } });
  };
  const eventsOf = async (id: string) =>
    (
      await prisma.event.findMany({ where: { data: { path: ['consentId'], equals: id } }, orderBy: { seq: 'asc' } })
    ).map((e) => e.type);

  beforeAll(async () => {
    db = await createTestDatabase('maint');
    prisma = createPrismaClient({ url: db.url, poolSize: 2 });
    const config = loadConsentServiceConfig(testEnv({ DATABASE_URL: db.url, CONSENT_EXPIRING_NOTICE_DAYS: '7' }));
    service = new ConsentMaintenanceService(
      prisma,
      config,
      createLogger('test', 'silent'),
      new ConsentRepository(prisma),
      new AuthorisationSessionRepository(prisma),
      new TokenSetRepository(prisma),
      new EventRepository(prisma),
      new IdempotencyRepository(prisma),
    );
    await prisma.tenant.create({ data: { id: 'ten_1', name: 't', rateLimitPerMinute: 10 } });
    await prisma.provider.create({
      data: { id: 'bank', name: 'Bank', country: 'GB', standard: 'obie_3_1', profile: 'allstar', capabilities: {} },
    });
    await consent('cons_soon', 'authorised', 6.5);
    await consent('cons_later', 'authorised', 8);
    await consent('cons_lapsed', 'authorised', -0.01);
    await consent('cons_never_authorised', 'awaiting_authorisation', -1);
    await consent('cons_revoked', 'revoked', -1);
  });
  afterAll(async () => {
    await prisma.$disconnect();
    await db.drop();
  });

  it('sends consent.expiring once, 7 days ahead, and expires lapsed consents with consent.expired', async () => {
    expect(await service.run(now)).toEqual({ expiring: 1, expired: 2 });
    expect(await eventsOf('cons_soon')).toEqual(['consent.expiring']);
    expect(await eventsOf('cons_later')).toEqual([]);
    expect(await eventsOf('cons_lapsed')).toEqual(['consent.expired']);
    expect(await eventsOf('cons_never_authorised')).toEqual(['consent.expired']);
    expect(await eventsOf('cons_revoked')).toEqual([]);
    const statuses = Object.fromEntries((await prisma.consent.findMany()).map((c) => [c.id, [c.status, c.nextSyncAt]]));
    expect(statuses).toMatchObject({
      cons_lapsed: ['expired', null],
      cons_never_authorised: ['expired', null],
      cons_revoked: ['revoked', expect.any(Date)],
      cons_soon: ['authorised', expect.any(Date)],
    });
    // Tokens of expired consents are destroyed.
    expect((await prisma.consentTokenSet.findMany()).map((t) => t.consentId).sort()).toEqual([
      'cons_later',
      'cons_revoked',
      'cons_soon',
    ]);

    expect(await service.run(now)).toEqual({ expiring: 0, expired: 0 }); // each notice once
    expect(await service.run(new Date(now.getTime() + 1.5 * day))).toEqual({ expiring: 1, expired: 0 }); // cons_later enters the window
  });
});
