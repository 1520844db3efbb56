/** Injection token of the process-wide PrismaClient. */
export const PRISMA = Symbol('PRISMA');
