import { Inject, Injectable } from '@nestjs/common';
import type { PrismaClient, Prisma } from '../prisma.js';
import { PRISMA } from '../tokens.js';

export interface AuditEntry {
  actor: string;
  action: string;
  targetType: string;
  targetId?: string | null;
  tenantId?: string | null;
  details?: Record<string, unknown>;
  requestId?: string | null;
}

@Injectable()
export class AuditLogRepository {
  constructor(@Inject(PRISMA) private readonly prisma: PrismaClient) {}

  /** Written in the caller's transaction, so an action and its audit entry commit together. */
  async record(tx: Prisma.TransactionClient, entry: AuditEntry): Promise<void> {
    await tx.auditLog.create({
      data: {
        actor: entry.actor,
        action: entry.action,
        targetType: entry.targetType,
        targetId: entry.targetId ?? null,
        tenantId: entry.tenantId ?? null,
        details: (entry.details ?? {}) as Prisma.InputJsonValue,
        requestId: entry.requestId ?? null,
      },
    });
  }

  async list(filter: { tenantId?: string; beforeId?: bigint; limit: number }) {
    return this.prisma.auditLog.findMany({
      where: {
        ...(filter.tenantId ? { tenantId: filter.tenantId } : {}),
        ...(filter.beforeId ? { id: { lt: filter.beforeId } } : {}),
      },
      orderBy: { id: 'desc' },
      take: filter.limit,
    });
  }
}
