import { Inject, Injectable } from '@nestjs/common';
import type { PrismaClient, Prisma } from '../prisma.js';
import { PRISMA } from '../tokens.js';

export interface SigningKeyRecord {
  kid: string;
  alg: string;
  status: 'active' | 'retiring' | 'retired';
  publicJwk: Record<string, unknown>;
  privateJwkEncrypted: string;
  createdAt: Date;
  rotatedAt: Date | null;
}

@Injectable()
export class SigningKeyRepository {
  constructor(@Inject(PRISMA) private readonly prisma: PrismaClient) {}

  async listPublishable(): Promise<SigningKeyRecord[]> {
    const rows = await this.prisma.signingKey.findMany({
      where: { status: { in: ['active', 'retiring'] } },
      orderBy: { createdAt: 'desc' },
    });
    return rows as unknown as SigningKeyRecord[];
  }

  /**
   * Makes `next` the active key and the previous active key `retiring` (still published so tokens it
   * signed verify until they expire), under an advisory lock so concurrent instances rotate once.
   */
  async rotate(
    next: { kid: string; alg: string; publicJwk: Record<string, unknown>; privateJwkEncrypted: string },
    onlyIfOlderThan: Date | null,
  ): Promise<boolean> {
    return this.prisma.$transaction(async (tx) => {
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext('signing_keys.rotate'))`;
      const active = await tx.signingKey.findFirst({ where: { status: 'active' }, orderBy: { createdAt: 'desc' } });
      if (active && onlyIfOlderThan && active.createdAt > onlyIfOlderThan) return false;
      const now = new Date();
      await tx.signingKey.updateMany({ where: { status: 'active' }, data: { status: 'retiring', rotatedAt: now } });
      await tx.signingKey.create({
        data: {
          kid: next.kid,
          alg: next.alg,
          publicJwk: next.publicJwk as Prisma.InputJsonValue,
          privateJwkEncrypted: next.privateJwkEncrypted,
        },
      });
      return true;
    });
  }

  async retireOlderThan(cutoff: Date): Promise<number> {
    return (
      await this.prisma.signingKey.updateMany({
        where: { status: 'retiring', rotatedAt: { lt: cutoff } },
        data: { status: 'retired' },
      })
    ).count;
  }
}
