import { Controller, Get, HttpCode, Inject, Module, Res, type DynamicModule, type Provider } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';

import type { HealthCheck } from '@ais/observability';

export type { HealthCheck } from '@ais/observability';

export const HEALTH_CHECKS = Symbol('HEALTH_CHECKS');
const CHECK_TIMEOUT_MS = 2_000;

async function runCheck(
  check: HealthCheck,
): Promise<{ name: string; status: 'up' | 'down'; error?: string; ms: number }> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      check.check(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
      }),
    ]);
    return { name: check.name, status: 'up', ms: Math.round(performance.now() - started) };
  } catch (error) {
    return {
      name: check.name,
      status: 'down',
      error: (error as Error).message,
      ms: Math.round(performance.now() - started),
    };
  } finally {
    clearTimeout(timer);
  }
}

@ApiExcludeController()
@Controller('health')
export class HealthController {
  constructor(@Inject(HEALTH_CHECKS) private readonly checks: HealthCheck[]) {}

  @Get('live')
  @HttpCode(200)
  live() {
    return { status: 'up' };
  }

  @Get('ready')
  async ready(@Res({ passthrough: true }) reply: FastifyReply) {
    const results = await Promise.all(this.checks.map(runCheck));
    const up = results.every((r) => r.status === 'up');
    void reply.status(up ? 200 : 503);
    return { status: up ? 'up' : 'down', checks: results };
  }
}

@Module({})
export class HealthModule {
  /** `checks`: provider tokens (classes) implementing HealthCheck, resolved from the importing app. */
  static register(checks: Provider[], tokens: unknown[]): DynamicModule {
    return {
      module: HealthModule,
      controllers: [HealthController],
      providers: [
        ...checks,
        {
          provide: HEALTH_CHECKS,
          useFactory: (...resolved: HealthCheck[]) => resolved,
          inject: tokens as never[],
        },
      ],
    };
  }
}
