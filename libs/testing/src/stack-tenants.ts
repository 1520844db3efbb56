import pg from 'pg';
import type { RunningStack } from './stack.js';
import { until } from './webhooks.js';

/** The sandbox banks a stack's connector-service registers at. */
export const SANDBOX_BANKS = ['allstar', 'alsalam', 'saltbank'] as const;

/**
 * Waits until the stack's connector-service has registered at these banks: it onboards in the
 * background after it starts, so a consent created before then finds the provider not onboarded.
 */
export async function waitForOnboarding(
  stack: RunningStack,
  providers: readonly string[] = SANDBOX_BANKS,
  timeoutMs = 30_000,
): Promise<void> {
  const db = new pg.Client({ connectionString: stack.db.url });
  await db.connect();
  try {
    await until(
      `registrations at ${providers.join(', ')}`,
      async () =>
        (await db.query('SELECT 1 FROM provider_registrations WHERE provider_id = ANY($1::text[])', [[...providers]]))
          .rowCount === providers.length,
      timeoutMs,
      250,
    );
  } finally {
    await db.end();
  }
}

export interface CreatedTenant {
  id: string;
  name: string;
  apiKey: string;
  apiKeyId: string;
  clientId: string;
  clientSecret: string;
  oauthClientCredentialId: string;
}

/** A tenant made the way an operator makes one (POST /admin/tenants), with the credentials shown once. */
export async function createTenant(
  stack: RunningStack,
  body: { name: string; redirectUris: string[]; rateLimitPerMinute?: number },
): Promise<CreatedTenant> {
  const res = await fetch(`${stack.gatewayUrl}/admin/tenants`, {
    method: 'POST',
    headers: { authorization: `Bearer ${stack.adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (res.status !== 201) throw new Error(`POST /admin/tenants: ${res.status} ${await res.text()}`);
  return (await res.json()) as CreatedTenant;
}
