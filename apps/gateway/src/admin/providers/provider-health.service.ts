import { CursorCodec, DEFAULT_PAGE_LIMIT, cursorFields, defineCursor, pageByKey } from '@ais/http-kit';
import type { RedisClient } from '@ais/db';
import { Inject, Injectable } from '@nestjs/common';
import { syncQueueName } from '@ais/contracts';
import {
  AdminSyncRunRepository,
  AuditLogRepository,
  CircuitStore,
  PRISMA,
  ProviderOperationRepository,
  ProviderOpsRepository,
  REDIS,
  REDIS_SETTINGS,
  RegistrationGate,
  type PrismaClient,
  type ProviderOperationGroup,
  type RedisSettings,
} from '@ais/db';
import { AppError } from '@ais/domain';
import type { RpcClient } from '@ais/rpc';
import type { AdminContext } from '../../auth/request-context.js';
import type {
  OnboardProviderDto,
  OnboardedView,
  OperationWindowView,
  ProviderHealthListView,
  ProviderHealthView,
  RunWindowView,
} from './dto/provider-health.dto.js';
import { CONNECTOR_RPC } from '../../tokens.js';
import {
  assessProvider,
  summariseOperations,
  summariseRuns,
  type OperationKind,
  type OperationWindow,
  type RegistrationRejectionSignal,
  type RunWindow,
} from './provider-health.rules.js';
import { QueueInspector } from '../queues/queue-inspector.js';

const HOUR_MS = 3_600_000;
/** Registering at a bank (DCR, a directory round trip) takes longer than an ordinary RPC. */
export const ONBOARD_TIMEOUT_MS = 60_000;
/** The bank's raw detail of a failed onboarding, kept in the audit entry for operators, bounded. */
const MAX_BANK_DETAIL_CHARS = 2_000;

const windowView = (w: RunWindow): RunWindowView => ({
  runs: w.runs,
  succeeded: w.succeeded,
  failed: w.failed,
  deferred: w.deferred,
  inFlight: w.inFlight,
  failureRate: w.failureRate,
  errors: w.errors.map((e) => ({ code: e.code, runs: e.runs, lastAt: e.lastAt.toISOString() })),
});

/** A client issued by the bank comes with the method it was issued for, and a secret exactly when that method uses one. */
function checkIssuedClient(input: OnboardProviderDto): void {
  const errors: { field: string; message: string }[] = [];
  const usesSecret =
    input.tokenEndpointAuthMethod === 'client_secret_basic' || input.tokenEndpointAuthMethod === 'client_secret_post';
  if (input.clientSecret !== undefined && input.clientId === undefined)
    errors.push({ field: 'clientSecret', message: 'clientSecret needs clientId' });
  if (input.clientId !== undefined) {
    if (!input.tokenEndpointAuthMethod)
      errors.push({
        field: 'tokenEndpointAuthMethod',
        message: 'say which token endpoint authentication the bank issued the client for',
      });
    else if (usesSecret && input.clientSecret === undefined)
      errors.push({ field: 'clientSecret', message: `${input.tokenEndpointAuthMethod} needs the client secret` });
    else if (!usesSecret && input.clientSecret !== undefined)
      errors.push({ field: 'clientSecret', message: `${input.tokenEndpointAuthMethod} uses no client secret` });
  }
  if (errors.length > 0) throw AppError.validation(errors);
}

const operationView = (w: OperationWindow | undefined): OperationWindowView => ({
  succeeded: w?.succeeded ?? 0,
  failed: w?.failed ?? 0,
  failureRate: w?.failureRate ?? null,
  errors: (w?.errors ?? []).map((e) => ({ code: e.code, count: e.count, lastAt: e.lastAt.toISOString() })),
  lastSucceededAt: w?.lastSucceededAt?.toISOString() ?? null,
  lastFailedAt: w?.lastFailedAt?.toISOString() ?? null,
});

function byProvider<G extends { providerId: string }>(groups: G[]): Map<string, G[]> {
  const map = new Map<string, G[]>();
  for (const g of groups) map.set(g.providerId, [...(map.get(g.providerId) ?? []), g]);
  return map;
}

/**
 * Each bank as operators need to see it during an incident: registered or not, the outcome of its
 * recent sync runs and their error codes, 429s (the gateway exceeding the bank's limits), whether its
 * queue is paused or held back, and a verdict with reasons (provider-health.rules.ts).
 */
const PROVIDERS = defineCursor('provider-health', { p: cursorFields.name });

@Injectable()
export class ProviderHealthService {
  private readonly circuits: CircuitStore;
  private readonly gate: RegistrationGate;

  constructor(
    @Inject(PRISMA) private readonly prisma: PrismaClient,
    @Inject(CONNECTOR_RPC) private readonly connector: RpcClient,
    private readonly providers: ProviderOpsRepository,
    private readonly runs: AdminSyncRunRepository,
    private readonly queues: QueueInspector,
    private readonly audit: AuditLogRepository,
    private readonly operations: ProviderOperationRepository,
    @Inject(REDIS) redis: RedisClient,
    @Inject(REDIS_SETTINGS) redisSettings: RedisSettings,
    private readonly cursors: CursorCodec,
  ) {
    this.circuits = new CircuitStore(redis, redisSettings.prefix);
    this.gate = new RegistrationGate(redis, redisSettings.prefix);
  }

  /** Each provider's health, by id, a page at a time. */
  async health(query: { limit?: number; cursor?: string } = {}, now = new Date()): Promise<ProviderHealthListView> {
    const limit = query.limit ?? DEFAULT_PAGE_LIMIT;
    const after = this.cursors.decode(PROVIDERS, query.cursor);
    const [all, day, hour, outcomes, opsDay, opsHour, rejections] = await Promise.all([
      this.providers.list(),
      this.runs.groupsSince(new Date(now.getTime() - 24 * HOUR_MS)),
      this.runs.groupsSince(new Date(now.getTime() - HOUR_MS)),
      this.runs.lastOutcomes(),
      this.operations.groupsSince(new Date(now.getTime() - 24 * HOUR_MS)),
      this.operations.groupsSince(new Date(now.getTime() - HOUR_MS)),
      this.operations.rejections(),
    ]);
    const page = pageByKey(all, (p) => p.id, limit, after?.p);
    const providers = page.items;
    const ids = providers.map((p) => p.id);
    const [circuits, claims] = await Promise.all([this.circuits.read(ids, now), this.gate.read(ids)]);
    const dayBy = byProvider(day);
    const hourBy = byProvider(hour);
    const opsDayBy = byProvider<ProviderOperationGroup>(opsDay);
    const opsHourBy = byProvider<ProviderOperationGroup>(opsHour);
    const outcomeBy = new Map(outcomes.map((o) => [o.providerId, o]));
    const rejectionBy = new Map(rejections.map((r) => [r.providerId, r]));
    const data = await Promise.all(
      providers.map(async (p): Promise<ProviderHealthView> => {
        const queue = await this.queues.snapshot(
          { name: syncQueueName(p.id), kind: 'sync', providerId: p.id, providerStatus: p.status },
          { workers: false },
        );
        const last24h = summariseRuns(dayBy.get(p.id) ?? []);
        const lastHour = summariseRuns(hourBy.get(p.id) ?? []);
        const outcome = outcomeBy.get(p.id);
        const lastSucceededAt = outcome?.lastSucceededAt ?? null;
        const circuit = circuits.get(p.id) ?? { state: 'closed' as const, since: null, halfOpenAt: null, instances: 0 };
        const operations = {
          lastHour: summariseOperations(opsHourBy.get(p.id) ?? []),
          last24h: summariseOperations(opsDayBy.get(p.id) ?? []),
        };
        const windows = (kind: OperationKind) => ({
          lastHour: operationView(operations.lastHour[kind]),
          last24h: operationView(operations.last24h[kind]),
        });
        const rejected = rejectionBy.get(p.id);
        const claim = claims.get(p.id);
        const rejection: RegistrationRejectionSignal | null = rejected
          ? {
              since: rejected.since,
              rejected: rejected.rejected,
              lastReregistration:
                rejected.lastReregistrationAt && rejected.lastReregistrationOutcome
                  ? { at: rejected.lastReregistrationAt, outcome: rejected.lastReregistrationOutcome }
                  : null,
              nextAttemptAt: claim && claim.nextAllowedAt > now ? claim.nextAllowedAt : null,
            }
          : null;
        const assessment = assessProvider({
          status: p.status,
          registered: p.registration !== null,
          queue: { paused: queue.paused, backoffMs: queue.backoffMs },
          lastHour,
          last24h,
          lastSucceededAt,
          circuit: circuit.state,
          operations,
          rejection: p.status === 'active' ? rejection : null,
        });
        const reg = p.registration;
        return {
          providerId: p.id,
          name: p.name,
          country: p.country,
          standard: p.standard,
          status: p.status,
          verdict: assessment.verdict,
          reasons: assessment.reasons,
          registration: {
            present: reg !== null,
            clientId: reg?.clientId ?? null,
            tokenEndpointAuthMethod: reg?.tokenEndpointAuthMethod ?? null,
            registeredAt: reg?.registeredAt.toISOString() ?? null,
            updatedAt: reg?.updatedAt.toISOString() ?? null,
            rejectedSince: rejection?.since.toISOString() ?? null,
            rejected: rejection?.rejected ?? null,
            rejectionDetail: rejected?.detail ?? null,
            lastReregistration: rejection?.lastReregistration
              ? { at: rejection.lastReregistration.at.toISOString(), outcome: rejection.lastReregistration.outcome }
              : null,
            nextReregistrationAt: claim && claim.nextAllowedAt > now ? claim.nextAllowedAt.toISOString() : null,
          },
          operations: {
            consentCreations: windows('consent_creation'),
            codeExchanges: windows('code_exchange'),
            tokenRefreshes: windows('token_refresh'),
          },
          lastSucceededAt: lastSucceededAt?.toISOString() ?? null,
          lastFailure: outcome?.lastFailedAt
            ? {
                at: outcome.lastFailedAt.toISOString(),
                code: outcome.lastFailureCode,
                detail: outcome.lastFailureDetail,
              }
            : null,
          lastHour: windowView(lastHour),
          last24h: windowView(last24h),
          budgetPressure: {
            bankRateLimited24h: last24h.bankRateLimited,
            budgetExhausted24h: last24h.budgetExhausted,
            rateLimitedShare24h: last24h.runs > 0 ? last24h.bankRateLimited / last24h.runs : null,
          },
          circuit: {
            state: circuit.state,
            since: circuit.since?.toISOString() ?? null,
            halfOpenAt: circuit.halfOpenAt?.toISOString() ?? null,
            instances: circuit.instances,
          },
          queue: {
            name: queue.name,
            paused: queue.paused,
            backoffMs: queue.backoffMs,
            waiting: queue.counts.waiting + queue.counts.prioritized,
            active: queue.counts.active,
            delayed: queue.counts.delayed,
            failed: queue.counts.failed,
          },
        };
      }),
    );
    return {
      generatedAt: now.toISOString(),
      data,
      nextCursor: page.more ? this.cursors.encode(PROVIDERS, { p: providers.at(-1)!.id }) : null,
    };
  }

  /**
   * Registers the gateway at the bank through the connector-service (DCR, developer portal or
   * configuration). The registration happens there, so the audit entry follows the outcome: one for
   * a success, one for a failure with the bank's detail (operators only; never shown to a tenant).
   */
  async onboard(providerId: string, input: OnboardProviderDto, ctx: AdminContext): Promise<OnboardedView> {
    checkIssuedClient(input);
    if (!(await this.providers.find(providerId))) throw AppError.notFound('Provider');
    // What the audit log keeps: never the client secret.
    const request = {
      providerId,
      ...(input.tokenEndpointAuthMethod ? { tokenEndpointAuthMethod: input.tokenEndpointAuthMethod } : {}),
      force: input.force ?? false,
      ...(input.clientId ? { clientId: input.clientId, clientSecretGiven: input.clientSecret !== undefined } : {}),
    };
    const credentials = input.clientId
      ? {
          credentials: {
            clientId: input.clientId,
            ...(input.clientSecret ? { clientSecret: input.clientSecret } : {}),
          },
        }
      : {};
    let result: OnboardedView;
    try {
      result = await this.connector.send(
        'connector.onboard',
        {
          providerId,
          ...(input.tokenEndpointAuthMethod ? { tokenEndpointAuthMethod: input.tokenEndpointAuthMethod } : {}),
          force: input.force ?? false,
          ...credentials,
        },
        ONBOARD_TIMEOUT_MS,
      );
    } catch (error) {
      const failure =
        error instanceof AppError ? error : new AppError('internal_error', 'Onboarding failed unexpectedly.');
      const bank =
        failure.extensions.bank === undefined
          ? undefined
          : JSON.stringify(failure.extensions.bank).slice(0, MAX_BANK_DETAIL_CHARS);
      await this.record(
        'provider.onboard_failed',
        providerId,
        { request, code: failure.code, detail: failure.detail, ...(bank ? { bank } : {}) },
        ctx,
      );
      throw error;
    }
    await this.record(
      'provider.onboarded',
      providerId,
      {
        request,
        clientId: result.clientId,
        tokenEndpointAuthMethod: result.tokenEndpointAuthMethod,
        source: result.source,
      },
      ctx,
    );
    return {
      providerId: result.providerId,
      clientId: result.clientId,
      tokenEndpointAuthMethod: result.tokenEndpointAuthMethod,
      source: result.source,
    };
  }

  private async record(
    action: string,
    providerId: string,
    details: Record<string, unknown>,
    ctx: AdminContext,
  ): Promise<void> {
    await this.prisma.$transaction(async (tx) => {
      await this.audit.record(tx, {
        actor: 'admin',
        action,
        targetType: 'provider',
        targetId: providerId,
        details,
        requestId: ctx.requestId,
      });
    });
  }
}
