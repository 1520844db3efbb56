import { Inject, Injectable } from '@nestjs/common';
import { KeyRing } from '@ais/crypto';
import {
  AuditLogRepository,
  EventRepository,
  PRISMA,
  WebhookDeliveryRepository,
  WebhookEndpointRepository,
  retryOnWriteConflict,
  type Prisma,
  type PrismaClient,
  type WebhookAttemptRecord,
  type WebhookDeliveryRecord,
  type WebhookEndpointRecord,
} from '@ais/db';
import { AppError, newId } from '@ais/domain';
import { CursorCodec, DEFAULT_PAGE_LIMIT, cursorFields, defineCursor, toPage, type Page } from '@ais/http-kit';
import { TargetPolicy, checkEndpointUrl, generateWebhookSecret } from '@ais/webhooks';
import { GATEWAY_CONFIG, type GatewayConfig } from '../gateway.config.js';
import type { TenantContext } from '../auth/request-context.js';
import type {
  AdminDeliveryListQueryDto,
  CreateWebhookDto,
  DeliveryListQueryDto,
  UpdateWebhookDto,
} from './dto/webhook.dto.js';

export const webhookView = (e: WebhookEndpointRecord) => ({
  id: e.id,
  consentId: e.consentId,
  url: e.url,
  description: e.description,
  events: e.events,
  status: e.status,
  disabledReason: e.disabledReason,
  disabledAt: e.disabledAt?.toISOString() ?? null,
  failingSince: e.failingSince?.toISOString() ?? null,
  previousSecretExpiresAt:
    e.previousSecretExpiresAt && e.previousSecretExpiresAt > new Date()
      ? e.previousSecretExpiresAt.toISOString()
      : null,
  createdAt: e.createdAt.toISOString(),
  updatedAt: e.updatedAt.toISOString(),
});

export const deliveryView = (d: WebhookDeliveryRecord) => ({
  id: d.id,
  webhookId: d.endpointId,
  eventId: d.eventId,
  eventType: d.eventType,
  status: d.status,
  attempts: d.attempts,
  nextAttemptAt: d.status === 'pending' ? (d.nextAttemptAt?.toISOString() ?? null) : null,
  lastAttemptAt: d.lastAttemptAt?.toISOString() ?? null,
  lastResponseStatus: d.lastResponseStatus,
  lastError: d.lastError,
  lastLatencyMs: d.lastLatencyMs,
  succeededAt: d.succeededAt?.toISOString() ?? null,
  createdAt: d.createdAt.toISOString(),
  updatedAt: d.updatedAt.toISOString(),
});

const attemptView = (a: WebhookAttemptRecord) => ({
  attempt: a.attempt,
  startedAt: a.startedAt.toISOString(),
  latencyMs: a.latencyMs,
  responseStatus: a.responseStatus,
  error: a.error,
});

const DNS_CHECK_TIMEOUT_MS = 2_000;
/** Endpoints one consent may have of its own (beside the tenant-wide ones, which have their own limit). */
export const MAX_ENDPOINTS_PER_CONSENT = 5;
export const TEST_EVENT_MESSAGE =
  'This is a test event from AIS Gateway. It went through the normal delivery pipeline.';

const WEBHOOKS = defineCursor('webhooks', { c: cursorFields.instant, i: cursorFields.id('we') });
const DELIVERIES = defineCursor('webhook-deliveries', { e: cursorFields.id('evt') });
const ADMIN_DELIVERIES = defineCursor('admin-webhook-deliveries', { i: cursorFields.id('whd') });

/**
 * Tenants' webhook endpoints and their deliveries, and the operators' view of deliveries across
 * tenants. Secrets are generated here, sealed with the key ring (bound to the endpoint id) and
 * returned only by create and rotate. Every change is audited in its transaction.
 */
@Injectable()
export class WebhooksService {
  constructor(
    @Inject(PRISMA) private readonly prisma: PrismaClient,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    private readonly keyRing: KeyRing,
    private readonly policy: TargetPolicy,
    private readonly endpoints: WebhookEndpointRepository,
    private readonly deliveries: WebhookDeliveryRepository,
    private readonly events: EventRepository,
    private readonly audit: AuditLogRepository,
    private readonly cursors: CursorCodec,
  ) {}

  async create(ctx: TenantContext, input: CreateWebhookDto) {
    const url = await this.checkUrl(input.url);
    return this.createChecked(ctx, { ...input, url, consentId: input.consentId ?? null });
  }

  /**
   * The URL rules of `create`, for a caller that creates the endpoint later (POST /v1/consents with
   * `webhookUrl` checks it before the consent is opened at the bank). `field` names it in the 400.
   */
  checkUrl(raw: string, field = 'url'): Promise<string> {
    return this.checkedUrl(raw, field);
  }

  /**
   * Creates an endpoint whose URL `checkUrl` has accepted. Scoped to a consent (`consentId`), it counts
   * against that consent's limit (MAX_ENDPOINTS_PER_CONSENT) instead of the tenant's, so a tenant can
   * give each of its consents an endpoint; the consent must be the tenant's (else a 400 naming it).
   */
  async createChecked(
    ctx: TenantContext,
    input: { url: string; events: string[]; description?: string; consentId: string | null },
  ) {
    const id = newId('webhookEndpoint');
    const secret = generateWebhookSecret();
    const created = await this.prisma.$transaction(async (tx) => {
      if (input.consentId !== null) {
        // Locks the consent row: two concurrent creates for one consent cannot both pass the count.
        const [consent] = await tx.$queryRaw<
          { id: string }[]
        >`SELECT id FROM consents WHERE id = ${input.consentId} AND tenant_id = ${ctx.tenantId} FOR UPDATE`;
        if (!consent) throw AppError.validation([{ field: 'consentId', message: 'no consent of yours has this id' }]);
      }
      const count = await this.endpoints.countForTenant(ctx.tenantId, tx, input.consentId);
      const limit = input.consentId === null ? this.config.webhooks.maxEndpointsPerTenant : MAX_ENDPOINTS_PER_CONSENT;
      if (count >= limit) {
        throw new AppError(
          'conflict',
          input.consentId === null
            ? `A tenant can have at most ${limit} webhook endpoints that are not scoped to a consent.`
            : `A consent can have at most ${limit} webhook endpoints of its own.`,
        );
      }
      const endpoint = await this.endpoints.create(tx, ctx.tenantId, {
        id,
        url: input.url,
        description: input.description?.trim() || null,
        events: normaliseEvents(input.events),
        secretEncrypted: this.keyRing.seal(secret, id),
        consentId: input.consentId,
      });
      await this.record(tx, ctx, 'webhook.created', id, {
        url: input.url,
        events: endpoint.events,
        ...(input.consentId ? { consentId: input.consentId } : {}),
      });
      return endpoint;
    });
    return { ...webhookView(created), secret };
  }

  async list(
    tenantId: string,
    query: { limit?: number; cursor?: string; consentId?: string },
  ): Promise<Page<ReturnType<typeof webhookView>>> {
    const limit = query.limit ?? DEFAULT_PAGE_LIMIT;
    const after = this.cursors.decode(WEBHOOKS, query.cursor);
    const rows = await this.endpoints.listForTenant(tenantId, {
      consentId: query.consentId,
      limit: limit + 1,
      after: after && { createdAt: after.c, id: after.i },
    });
    return toPage(rows, limit, webhookView, (e) => this.cursors.encode(WEBHOOKS, { c: e.createdAt, i: e.id }));
  }

  async get(tenantId: string, id: string) {
    return webhookView(await this.require(tenantId, id));
  }

  async update(ctx: TenantContext, id: string, patch: UpdateWebhookDto) {
    const before = await this.require(ctx.tenantId, id);
    const url = patch.url !== undefined ? await this.checkedUrl(patch.url, 'url') : undefined;
    const updated = await this.prisma.$transaction(async (tx) => {
      const disabling = patch.status === 'disabled' && before.status === 'enabled';
      const enabling = patch.status === 'enabled' && before.status === 'disabled';
      const after = await this.endpoints.update(tx, ctx.tenantId, id, {
        ...(url !== undefined ? { url, failingSince: null } : {}),
        ...(patch.events !== undefined ? { events: normaliseEvents(patch.events) } : {}),
        ...(patch.description !== undefined ? { description: patch.description?.trim() || null } : {}),
        ...(disabling ? { status: 'disabled', disabledReason: 'disabled by the tenant', disabledAt: new Date() } : {}),
        ...(enabling ? { status: 'enabled', disabledReason: null, disabledAt: null, failingSince: null } : {}),
      });
      if (!after) throw AppError.notFound('Webhook');
      if (disabling) await this.deliveries.failPending(tx, [id], 'endpoint disabled: disabled by the tenant');
      await this.record(
        tx,
        ctx,
        disabling ? 'webhook.disabled' : enabling ? 'webhook.enabled' : 'webhook.updated',
        id,
        {
          before: { url: before.url, events: before.events, status: before.status },
          after: { url: after.url, events: after.events, status: after.status },
        },
      );
      return after;
    });
    return webhookView(updated);
  }

  async remove(ctx: TenantContext, id: string): Promise<void> {
    await retryOnWriteConflict(() =>
      this.prisma.$transaction(async (tx) => {
        if (!(await this.endpoints.delete(tx, ctx.tenantId, id))) throw AppError.notFound('Webhook');
        await this.record(tx, ctx, 'webhook.deleted', id, {});
      }),
    );
  }

  /**
   * A new secret signs from now on; the current one keeps signing alongside it (two signatures in
   * webhook-signature) until `previousSecretExpiresAt`, so subscribers can roll without dropping
   * deliveries. Rotating again within that window retires the oldest secret at once.
   */
  async rotateSecret(ctx: TenantContext, id: string) {
    const secret = generateWebhookSecret();
    const graceMs = this.config.webhooks.secretGraceMs;
    const rotated = await this.prisma.$transaction(async (tx) => {
      const current = await this.endpoints.findForTenant(ctx.tenantId, id, tx);
      if (!current) throw AppError.notFound('Webhook');
      const after = await this.endpoints.update(tx, ctx.tenantId, id, {
        secretEncrypted: this.keyRing.seal(secret, id),
        previousSecretEncrypted: graceMs > 0 ? current.secretEncrypted : null,
        previousSecretExpiresAt: graceMs > 0 ? new Date(Date.now() + graceMs) : null,
      });
      await this.record(tx, ctx, 'webhook.secret_rotated', id, {
        previousSecretExpiresAt: after!.previousSecretExpiresAt?.toISOString() ?? null,
      });
      return after!;
    });
    return { ...webhookView(rotated), secret };
  }

  /** Writes a `webhook.test` event addressed to this endpoint: it goes out through the normal pipeline. */
  async sendTest(ctx: TenantContext, id: string) {
    return this.prisma.$transaction(async (tx) => {
      const endpoint = await this.endpoints.findForTenant(ctx.tenantId, id, tx);
      if (!endpoint) throw AppError.notFound('Webhook');
      if (endpoint.status !== 'enabled')
        throw new AppError(
          'conflict',
          'The webhook is disabled; enable it (PATCH status) before sending a test event.',
        );
      const data = { webhookId: id, message: TEST_EVENT_MESSAGE };
      const eventId = await this.events.append(tx, ctx.tenantId, 'webhook.test', data);
      const [row] = await tx.$queryRaw<
        { createdAt: Date }[]
      >`SELECT created_at AS "createdAt" FROM events WHERE id = ${eventId}`;
      return { id: eventId, type: 'webhook.test', createdAt: row.createdAt.toISOString(), data };
    });
  }

  async listDeliveries(tenantId: string, endpointId: string, query: DeliveryListQueryDto) {
    await this.require(tenantId, endpointId);
    const limit = query.limit ?? DEFAULT_PAGE_LIMIT;
    const before = this.cursors.decode(DELIVERIES, query.cursor);
    const rows = await this.deliveries.listForEndpoint(tenantId, endpointId, {
      status: query.status,
      beforeEventId: before?.e,
      limit: limit + 1,
    });
    return toPage(rows, limit, deliveryView, (d) => this.cursors.encode(DELIVERIES, { e: d.eventId }));
  }

  /** Operators: deliveries across tenants (or of one), newest first. */
  async listDeliveriesAcrossTenants(query: AdminDeliveryListQueryDto) {
    const limit = query.limit ?? DEFAULT_PAGE_LIMIT;
    const before = this.cursors.decode(ADMIN_DELIVERIES, query.cursor);
    const rows = await this.deliveries.list({
      status: query.status,
      tenantId: query.tenantId,
      beforeId: before?.i,
      limit: limit + 1,
    });
    return toPage(
      rows,
      limit,
      (d) => ({ tenantId: d.tenantId, ...deliveryView(d) }),
      (d) => this.cursors.encode(ADMIN_DELIVERIES, { i: d.id }),
    );
  }

  async getDelivery(tenantId: string, endpointId: string, deliveryId: string) {
    const row = await this.deliveries.findForTenant(tenantId, endpointId, deliveryId);
    if (!row) throw AppError.notFound('Delivery');
    return { ...deliveryView(row), attemptLog: row.attemptLog.map(attemptView) };
  }

  async retryDelivery(ctx: TenantContext, endpointId: string, deliveryId: string) {
    const endpoint = await this.require(ctx.tenantId, endpointId);
    if (endpoint.status !== 'enabled')
      throw new AppError('conflict', 'The webhook is disabled; enable it (PATCH status) before retrying deliveries.');
    const result = await this.deliveries.retry(ctx.tenantId, endpointId, deliveryId);
    if (!result) throw AppError.notFound('Delivery');
    return deliveryView(result);
  }

  private async require(tenantId: string, id: string): Promise<WebhookEndpointRecord> {
    const endpoint = await this.endpoints.findForTenant(tenantId, id);
    if (!endpoint) throw AppError.notFound('Webhook');
    return endpoint;
  }

  /** The URL rules the dispatcher applies on every attempt, checked up front for a clear 400 (checkEndpointUrl). */
  private async checkedUrl(raw: string, field: string): Promise<string> {
    const checked = await checkEndpointUrl(this.policy, raw.trim(), { dnsTimeoutMs: DNS_CHECK_TIMEOUT_MS });
    if (!checked.ok) throw AppError.validation([{ field, message: checked.message }]);
    return checked.url;
  }

  private async record(
    tx: Prisma.TransactionClient,
    ctx: TenantContext,
    action: string,
    targetId: string,
    details: Record<string, unknown>,
  ) {
    await this.audit.record(tx, {
      actor: `credential:${ctx.credentialId}`,
      action,
      targetType: 'webhook_endpoint',
      targetId,
      tenantId: ctx.tenantId,
      details,
      requestId: ctx.requestId,
    });
  }
}

function normaliseEvents(events: string[]): string[] {
  return events.includes('*') ? ['*'] : [...events].sort();
}
