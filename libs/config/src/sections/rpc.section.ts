import { z } from 'zod';
import { defineSection, env } from '../define-section.js';

/**
 * RPC between apps: @nestjs/microservices over NATS. Each service's instances form a queue group,
 * so every instance answers its share; subjects are scoped by the stack's REDIS_PREFIX, so stacks
 * can share one NATS. No message exceeds RPC_MAX_MESSAGE_BYTES (bank data moves a page at a time;
 * a NATS server's own max_payload, 1 MB by default, must be at least as large).
 */
export const rpcSection = defineSection(
  'rpc',
  {
    NATS_URL: z
      .string()
      .default('nats://127.0.0.1:4222')
      .refine((v) => v.split(',').every((u) => /^(nats|tls|wss?):\/\/[^\s]+$/.test(u.trim())), {
        message: 'a nats:// URL, or several separated by commas',
      }),
    RPC_TIMEOUT_MS: env.int(15_000, 100, 600_000),
    RPC_MAX_MESSAGE_BYTES: env.int(1_048_576, 65_536, 67_108_864),
  },
  (v) => ({
    natsServers: v.NATS_URL.split(',').map((u) => u.trim()),
    timeoutMs: v.RPC_TIMEOUT_MS,
    maxMessageBytes: v.RPC_MAX_MESSAGE_BYTES,
  }),
);
