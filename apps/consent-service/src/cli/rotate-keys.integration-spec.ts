import { randomBytes } from 'node:crypto';
import { KeyRing } from '@ais/crypto';
import { createTestDatabase, type TestDatabase } from '@ais/testing';
import { createPrismaClient, reencryptAll, type PrismaClient } from '@ais/db';

describe('key rotation: re-encryption of every sealed column', () => {
  let db: TestDatabase;
  let prisma: PrismaClient;
  const k1 = randomBytes(32);
  const k2 = randomBytes(32);
  const old = new KeyRing(new Map([['k1', k1]]), 'k1');

  beforeAll(async () => {
    db = await createTestDatabase('rotate');
    prisma = createPrismaClient({ url: db.url, poolSize: 2 });
    await prisma.tenant.create({ data: { id: 'ten_1', name: 't', rateLimitPerMinute: 10 } });
    await prisma.provider.create({
      data: { id: 'bank', name: 'Bank', country: 'GB', standard: 'obie_3_1', profile: 'allstar', capabilities: {} },
    });
    await prisma.consent.create({
      data: {
        id: 'cons_1',
        tenantId: 'ten_1',
        providerId: 'bank',
        expiresAt: new Date(Date.now() + 86_400_000),
        frequencyPerDay: 4,
        redirectUri: 'https://x.example/cb',
      },
    });
    await prisma.consentTokenSet.create({
      data: { consentId: 'cons_1', keyId: 'k1', ciphertext: old.sealJson({ accessToken: 'at-1' }, 'cons_1') },
    });
    await prisma.authorisationSession.create({
      data: {
        id: 'auth_1',
        consentId: 'cons_1',
        stateHash: 'h',
        secretsEncrypted: old.sealJson({ nonce: 'n' }, 'auth_1'),
        authorisationUrl: 'https://bank/auth',
        expiresAt: new Date(),
      },
    });
    await prisma.providerRegistration.create({
      data: {
        providerId: 'bank',
        clientId: 'c',
        tokenEndpointAuthMethod: 'private_key_jwt',
        secretsEncrypted: old.sealJson({ clientSecret: 's' }, 'bank'),
      },
    });
    await prisma.webhookEndpoint.create({
      data: {
        id: 'we_1',
        tenantId: 'ten_1',
        url: 'https://x.example/h',
        secretEncrypted: old.seal('whsec_a', 'we_1'),
        previousSecretEncrypted: old.seal('whsec_b', 'we_1'),
      },
    });
    await prisma.signingKey.create({
      data: {
        kid: 'key_1',
        alg: 'ES256',
        publicJwk: {},
        privateJwkEncrypted: old.sealJson({ d: 'x' }, 'signing-key:key_1'),
      },
    });
  });
  afterAll(async () => {
    await prisma.$disconnect();
    await db.drop();
  });

  it('moves everything to the active key, keeps it readable, and lets the old key go', async () => {
    const rotated = new KeyRing(
      new Map([
        ['k1', k1],
        ['k2', k2],
      ]),
      'k2',
    );
    const report = await reencryptAll(prisma, rotated);
    expect(report.failed).toEqual([]);
    expect(report.remaining).toBe(0);
    expect(Object.values(report.reencrypted).reduce((a, b) => a + b, 0)).toBe(6);
    expect((await reencryptAll(prisma, rotated)).reencrypted['consent_token_sets.ciphertext']).toBe(0); // idempotent

    const onlyNew = new KeyRing(new Map([['k2', k2]]), 'k2');
    const tokens = await prisma.consentTokenSet.findUniqueOrThrow({ where: { consentId: 'cons_1' } });
    expect(tokens.keyId).toBe('k2');
    expect(onlyNew.openJson(tokens.ciphertext, 'cons_1')).toEqual({ accessToken: 'at-1' });
    const hook = await prisma.webhookEndpoint.findUniqueOrThrow({ where: { id: 'we_1' } });
    expect([
      onlyNew.openText(hook.secretEncrypted, 'we_1'),
      onlyNew.openText(hook.previousSecretEncrypted!, 'we_1'),
    ]).toEqual(['whsec_a', 'whsec_b']);
    const key = await prisma.signingKey.findUniqueOrThrow({ where: { kid: 'key_1' } });
    expect(onlyNew.openJson(key.privateJwkEncrypted, 'signing-key:key_1')).toEqual({ d: 'x' });
    const reg = await prisma.providerRegistration.findUniqueOrThrow({ where: { providerId: 'bank' } });
    expect(onlyNew.openJson(reg.secretsEncrypted, 'bank')).toEqual({ clientSecret: 's' });
  });

  it('reports a value it cannot open (e.g. its key already removed) instead of stopping', async () => {
    const lost = randomBytes(32);
    await prisma.consentTokenSet.update({
      where: { consentId: 'cons_1' },
      data: { ciphertext: new KeyRing(new Map([['gone', lost]]), 'gone').sealJson({}, 'cons_1') },
    });
    const report = await reencryptAll(prisma, new KeyRing(new Map([['k2', k2]]), 'k2'));
    expect(report.failed).toEqual([
      expect.objectContaining({ table: 'consent_token_sets', id: 'cons_1', error: expect.stringContaining('"gone"') }),
    ]);
    expect(report.remaining).toBe(1);
  });
});
