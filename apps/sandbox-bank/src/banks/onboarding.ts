import { z } from 'zod';

/** Developer-portal onboarding for banks without DCR (Al Salam, Salt Bank): POST /<bank>/sandbox/clients. */
export const onboardingSchema = z
  .object({
    client_name: z.string().min(1).max(100).default('Sandbox TPP'),
    redirect_uris: z.array(z.url()).min(1),
    jwks: z
      .object({ keys: z.array(z.record(z.string(), z.unknown())).min(1) })
      .loose()
      .optional(),
    jwks_uri: z.url().optional(),
    token_endpoint_auth_method: z
      .enum(['private_key_jwt', 'client_secret_basic', 'client_secret_post', 'none'])
      .optional(),
    organization_identifier: z
      .string()
      .regex(/^[A-Z0-9-]{6,40}$/)
      .optional(),
  })
  .strict();
export type Onboarding = z.infer<typeof onboardingSchema>;
