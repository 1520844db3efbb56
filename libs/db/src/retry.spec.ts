import { Prisma } from './prisma.js';
import { retryOnWriteConflict } from './retry.js';

const conflict = () =>
  new Prisma.PrismaClientKnownRequestError('Transaction failed due to a write conflict or a deadlock', {
    code: 'P2034',
    clientVersion: 'test',
  });

describe('retryOnWriteConflict', () => {
  it('runs the work again after a deadlock or serialisation failure', async () => {
    let calls = 0;
    const result = await retryOnWriteConflict(async () => {
      calls++;
      if (calls < 3) throw conflict();
      return 'done';
    });
    expect([result, calls]).toEqual(['done', 3]);
  });

  it('gives up after the last attempt with the conflict itself', async () => {
    let calls = 0;
    await expect(
      retryOnWriteConflict(async () => {
        calls++;
        throw conflict();
      }, 2),
    ).rejects.toMatchObject({ code: 'P2034' });
    expect(calls).toBe(2);
  });

  it('never retries any other error', async () => {
    let calls = 0;
    const notFound = new Prisma.PrismaClientKnownRequestError('not found', { code: 'P2025', clientVersion: 'test' });
    await expect(
      retryOnWriteConflict(async () => {
        calls++;
        throw notFound;
      }),
    ).rejects.toBe(notFound);
    expect(calls).toBe(1);
  });
});
