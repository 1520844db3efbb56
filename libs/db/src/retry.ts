import { Prisma } from './prisma.js';

/**
 * Runs `work` (a whole transaction) again when Postgres aborted it as a deadlock victim or a
 * serialisation failure (Prisma P2034), as the Postgres manual advises for such errors. Endpoint
 * deletion needs it: its cascade to deliveries and leases can meet the dispatcher's row locks in
 * the other order. Any other error, or the last attempt's, propagates.
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
