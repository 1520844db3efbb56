import { Prisma } from './prisma.js';

/**
 * Runs `work` (a whole transaction) again when Postgres aborted it as a deadlock victim or a
 * serialisation failure (Prisma P2034), as the Postgres manual advises for such errors. Endpoint
 * deletion uses it as a safety net: the known cycle (its cascade locking deliveries in heap order
 * against the dispatcher's outcome statement) is removed by locking in id order on both sides (see
 * WebhookEndpointRepository.delete). Any other error, or the last attempt's, propagates.
 */
export async function retryOnWriteConflict<T>(work: () => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      const conflict = error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2034';
      if (!conflict || attempt >= attempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20 * attempt + Math.random() * 30));
    }
  }
}
