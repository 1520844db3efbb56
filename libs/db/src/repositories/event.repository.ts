import { Inject, Injectable } from '@nestjs/common';
import { newId } from '@ais/domain';
import type { EventPayloads, EventType } from '@ais/contracts';
import type { PrismaClient, Prisma } from '../prisma.js';
import { PRISMA } from '../tokens.js';

/**
 * The outbox. `append` must run inside the transaction that writes the data the event describes, so
 * an event exists if and only if its data committed. Readers order by (xid, seq) below the oldest
 * running transaction (see the schema), so no reader skips an event that commits late.
 */
@Injectable()
export class EventRepository {
  constructor(@Inject(PRISMA) private readonly prisma: PrismaClient) {}

  async append<T extends EventType>(
    tx: Prisma.TransactionClient,
    tenantId: string,
    type: T,
    data: EventPayloads[T],
  ): Promise<string> {
    const id = newId('event');
    await tx.event.create({ data: { id, tenantId, type, data: data as unknown as Prisma.InputJsonValue } });
    return id;
  }
}
