import { AppError, accessWindowStart, computeAccessBudget } from '@ais/domain';
import type { AccessGrant, AccessGuard, AccessRequest } from '@ais/connectors';
import type { PrismaClient } from '@ais/db';

/**
 * The unattended-access budget on the `access_ledger` table. One transaction per reservation: an
 * advisory lock on the scope serialises concurrent workers, then count and insert. PSU-present calls
 * are recorded (for operators) and never limited.
 */
export class PostgresAccessGuard implements AccessGuard {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async reserve(r: AccessRequest): Promise<AccessGrant> {
    if (r.psuPresent) {
      await this.prisma.accessLedgerEntry.create({
        data: { consentId: r.consentId, scope: r.scope, resource: r.resource, psuPresent: true, at: this.now() },
      });
      return { used: 0, remaining: r.limit };
    }
    const scope = { consentId: r.consentId, scope: r.scope, resource: r.resource };
    return this.prisma.$transaction(
      async (tx) => {
        await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${`${r.consentId}|${r.scope}|${r.resource}`}, 0))`;
        // The clock is read under the lock: a reservation that waited must see (and count) the ones
        // granted meanwhile, whose timestamps are later than the moment it started waiting.
        const now = this.now();
        const since = accessWindowStart(r.window, now);
        const entries = await tx.accessLedgerEntry.findMany({
          where: {
            consentId: r.consentId,
            scope: r.scope,
            resource: r.resource,
            psuPresent: false,
            at: { gte: since },
          },
          select: { consentId: true, scope: true, resource: true, psuPresent: true, at: true },
        });
        const budget = computeAccessBudget(entries, scope, r.limit, r.window, now);
        if (budget.remaining <= 0) {
          throw new AppError('budget_exhausted', 'The unattended access budget of this consent is spent for now.', {
            providerId: r.providerId,
            scope: r.scope,
            resource: r.resource,
            nextAllowedAt: budget.nextAllowedAt?.toISOString() ?? null,
          });
        }
        await tx.accessLedgerEntry.create({
          data: { consentId: r.consentId, scope: r.scope, resource: r.resource, psuPresent: false, at: now },
        });
        return { used: budget.used + 1, remaining: budget.remaining - 1 };
        // Reservations of one scope queue on the lock: wait for a pooled connection and the lock.
      },
      { maxWait: 10_000, timeout: 10_000 },
    );
  }
}
