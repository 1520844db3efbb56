import { Inject, Injectable } from '@nestjs/common';
import type { PrismaClient } from '../prisma.js';
import { PRISMA } from '../tokens.js';

/** The gateway's registration at a bank, without anything secret (no client secret, no registration token). */
export interface RegistrationSummary {
  clientId: string;
  tokenEndpointAuthMethod: string;
  registeredAt: Date;
  updatedAt: Date;
}

export interface ProviderOpsRecord {
  id: string;
  name: string;
  country: string;
  standard: string;
  status: 'active' | 'inactive';
  registration: RegistrationSummary | null;
}

const SELECT = {
  id: true,
  name: true,
  country: true,
  standard: true,
  status: true,
  // An explicit select: secrets_encrypted and the bank's registration response never leave the table.
  registration: { select: { clientId: true, tokenEndpointAuthMethod: true, registeredAt: true, updatedAt: true } },
} as const;

/** Providers as operators see them: catalogue fields and whether the gateway is registered at the bank. */
@Injectable()
export class ProviderOpsRepository {
  constructor(@Inject(PRISMA) private readonly prisma: PrismaClient) {}

  async list(): Promise<ProviderOpsRecord[]> {
    return this.prisma.provider.findMany({ select: SELECT, orderBy: [{ status: 'asc' }, { name: 'asc' }] });
  }

  async find(id: string): Promise<ProviderOpsRecord | null> {
    return this.prisma.provider.findUnique({ where: { id }, select: SELECT });
  }
}
