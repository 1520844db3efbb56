import { z } from 'zod';
import { defineSection, env } from '../define-section.js';
import { DEFAULT_DATABASE_URL } from './database.section.js';

const isoInstant = z.iso.datetime({
  offset: true,
  message: 'expected an ISO-8601 instant such as 2026-01-15T09:00:00Z',
});
const postgresUrl = z.string().regex(/^postgres(ql)?:\/\//, 'expected a postgresql:// connection URL');
const isoDate = z.iso.date({ message: 'expected a date such as 2024-01-01' });

/**
 * The sandbox banks (apps/sandbox-bank): ports, public URL, data seed, clock and paging defaults, and
 * the database that keeps the banks' state (schema `sandbox_bank`): SANDBOX_DATABASE_URL, else
 * DATABASE_URL, else the product's default database.
 */
export const sandboxSection = defineSection(
  'sandbox',
  {
    SANDBOX_PORT: env.port(3100),
    SANDBOX_MTLS_PORT: env.port(3443),
    SANDBOX_HOST: z.string().default('127.0.0.1'),
    SANDBOX_PUBLIC_URL: z.url({ message: 'expected an absolute URL such as http://localhost:3100' }).optional(),
    SANDBOX_MTLS_PUBLIC_URL: z.url({ message: 'expected an absolute URL such as https://localhost:3443' }).optional(),
    /**
     * Extra DNS names / IP addresses (comma-separated) the mTLS listener's certificate is valid for,
     * beside localhost, 127.0.0.1, ::1 and the hosts of the two public URLs: the names clients reach
     * the sandbox by, e.g. its compose service name.
     */
    SANDBOX_TLS_HOSTS: env.list(''),
    SANDBOX_SEED: z.string().min(1).default('ais-sandbox'),
    SANDBOX_DATA_EPOCH: isoDate.default('2024-01-01'),
    SANDBOX_CLOCK_START: isoInstant.optional(),
    SANDBOX_CLOCK_SCALE: z.coerce.number().positive().max(1_000_000).default(1),
    SANDBOX_PAGE_SIZE: env.int(100, 1, 10_000),
    SANDBOX_DATABASE_URL: postgresUrl.optional(),
    DATABASE_URL: postgresUrl.optional(),
    SANDBOX_MTLS_ENABLED: env.bool(true),
  },
  (v) => {
    const publicUrl = (v.SANDBOX_PUBLIC_URL ?? `http://localhost:${v.SANDBOX_PORT}`).replace(/\/$/, '');
    return {
      port: v.SANDBOX_PORT,
      mtlsPort: v.SANDBOX_MTLS_PORT,
      host: v.SANDBOX_HOST,
      publicUrl,
      mtlsPublicUrl: (v.SANDBOX_MTLS_PUBLIC_URL ?? `https://localhost:${v.SANDBOX_MTLS_PORT}`).replace(/\/$/, ''),
      tlsHosts: v.SANDBOX_TLS_HOSTS,
      seed: v.SANDBOX_SEED,
      dataEpoch: v.SANDBOX_DATA_EPOCH,
      clockStart: v.SANDBOX_CLOCK_START,
      clockScale: v.SANDBOX_CLOCK_SCALE,
      pageSize: v.SANDBOX_PAGE_SIZE,
      databaseUrl: v.SANDBOX_DATABASE_URL ?? v.DATABASE_URL ?? DEFAULT_DATABASE_URL,
      mtlsEnabled: v.SANDBOX_MTLS_ENABLED,
    };
  },
);
export type SandboxConfig =
  ReturnType<typeof sandboxSection.parse> extends { ok: true; value: infer T } | { ok: false } ? T : never;
