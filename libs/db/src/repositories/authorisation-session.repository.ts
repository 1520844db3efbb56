import { Inject, Injectable } from '@nestjs/common';
import type { PrismaClient, Prisma } from '../prisma.js';
import { PRISMA } from '../tokens.js';

export interface AuthorisationSessionRecord {
  id: string;
  consentId: string;
  stateHash: string;
  secretsEncrypted: string;
  purpose: string;
  authorisationUrl: string;
  expiresAt: Date;
  consumedAt: Date | null;
  createdAt: Date;
}

/** One authorisation attempt (state, nonce, PKCE verifier), single use, short-lived. */
@Injectable()
export class AuthorisationSessionRepository {
  constructor(@Inject(PRISMA) private readonly prisma: PrismaClient) {}

  async create(
    tx: Prisma.TransactionClient,
    data: Omit<AuthorisationSessionRecord, 'consumedAt' | 'createdAt'>,
  ): Promise<void> {
    await tx.authorisationSession.create({ data });
  }

  /**
   * Consumes the session for `stateHash` exactly once: concurrent or replayed callbacks get null.
   * Expired sessions are consumed too (and reported expired) so they can never be used later.
   */
  async consume(stateHash: string, now: Date): Promise<AuthorisationSessionRecord | null> {
    const rows = await this.prisma.$queryRaw<AuthorisationSessionRecord[]>`
      UPDATE authorisation_sessions SET consumed_at = ${now}
       WHERE state_hash = ${stateHash} AND consumed_at IS NULL
       RETURNING id, consent_id AS "consentId", state_hash AS "stateHash", secrets_encrypted AS "secretsEncrypted",
                 purpose, authorisation_url AS "authorisationUrl", expires_at AS "expiresAt", consumed_at AS "consumedAt",
                 created_at AS "createdAt"`;
    return rows[0] ?? null;
  }

  /** The newest unconsumed, unexpired session of a consent (its authorisationUrl is shown). */
  async openFor(consentIds: string[], now: Date): Promise<Map<string, AuthorisationSessionRecord>> {
    if (consentIds.length === 0) return new Map();
    const rows = await this.prisma.authorisationSession.findMany({
      where: { consentId: { in: consentIds }, consumedAt: null, expiresAt: { gt: now } },
      orderBy: { createdAt: 'desc' },
    });
    const out = new Map<string, AuthorisationSessionRecord>();
    for (const row of rows) if (!out.has(row.consentId)) out.set(row.consentId, row);
    return out;
  }

  /** Invalidates every open session of a consent (a new one replaces them; revocation ends them). */
  async closeAll(tx: Prisma.TransactionClient, consentId: string, now: Date): Promise<void> {
    await tx.authorisationSession.updateMany({ where: { consentId, consumedAt: null }, data: { consumedAt: now } });
  }

  async purgeOlderThan(cutoff: Date): Promise<number> {
    return (await this.prisma.authorisationSession.deleteMany({ where: { expiresAt: { lt: cutoff } } })).count;
  }
}
