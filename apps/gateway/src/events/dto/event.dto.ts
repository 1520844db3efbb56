import { ApiProperty, ApiPropertyOptional, getSchemaPath } from '@nestjs/swagger';
import type { Type } from '@nestjs/common';
import { IsString, Matches, MaxLength } from 'class-validator';
import { IsOptional, PageQueryDto } from '@ais/http-kit';
import { EVENT_TYPES, MAX_TRANSACTION_IDS_PER_EVENT, type EventPayloads, type EventType } from '@ais/contracts';

// ── payloads: one class per shape, checked against the contract with `implements` ──

type Payload<T extends EventType> = EventPayloads[T];

class ConsentRefData {
  @ApiProperty({ example: 'cons_01JD8Z…' }) consentId!: string;
  @ApiProperty({ example: 'ob-allstar' }) providerId!: string;
  @ApiProperty({ nullable: true, type: String, description: 'The tenant’s own reference for the end user.' })
  endUserId!: string | null;
}

export class ConsentAuthorisedData extends ConsentRefData implements Payload<'consent.authorised'> {
  @ApiProperty({ format: 'date-time' }) authorisedAt!: string;
  @ApiProperty({ format: 'date-time' }) expiresAt!: string;
}
export class ConsentRejectedData extends ConsentRefData implements Payload<'consent.rejected'> {
  @ApiProperty({ nullable: true, type: String }) reason!: string | null;
}
export class ConsentRevokedData extends ConsentRefData implements Payload<'consent.revoked'> {
  @ApiProperty({ format: 'date-time' }) revokedAt!: string;
  @ApiProperty({ enum: ['tenant', 'bank'] }) revokedBy!: 'tenant' | 'bank';
}
export class ConsentExpiringData extends ConsentRefData implements Payload<'consent.expiring'> {
  @ApiProperty({ format: 'date-time' }) expiresAt!: string;
}
export class ConsentExpiredData extends ConsentRefData implements Payload<'consent.expired'> {
  @ApiProperty({ format: 'date-time' }) expiredAt!: string;
}

const TRIGGERS = ['initial', 'scheduled', 'psu_present', 'manual'] as const;

export class SyncCompletedData implements Payload<'sync.completed'> {
  @ApiProperty() consentId!: string;
  @ApiProperty({ example: 'sr_01JD8Z…' }) syncRunId!: string;
  @ApiProperty({ enum: TRIGGERS }) trigger!: (typeof TRIGGERS)[number];
  @ApiProperty() accounts!: number;
  @ApiProperty() transactionsAdded!: number;
  @ApiProperty() transactionsModified!: number;
  @ApiProperty() transactionsRemoved!: number;
  @ApiProperty({
    type: [String],
    example: ['beneficiaries'],
    description: 'Optional resources the bank refused in this run; everything else was stored.',
  })
  unavailable!: string[];
}

class SyncErrorData {
  @ApiProperty({ example: 'bank_unavailable' }) code!: string;
  @ApiProperty() detail!: string;
}
export class SyncFailedData implements Payload<'sync.failed'> {
  @ApiProperty() consentId!: string;
  @ApiProperty() syncRunId!: string;
  @ApiProperty({ enum: TRIGGERS }) trigger!: (typeof TRIGGERS)[number];
  @ApiProperty({ type: SyncErrorData }) error!: SyncErrorData;
}

export class TransactionsChangedData implements Payload<'transactions.added'> {
  @ApiProperty() consentId!: string;
  @ApiProperty({ example: 'acc_01JD8Z…' }) accountId!: string;
  @ApiProperty() syncRunId!: string;
  @ApiProperty({ description: 'How many transactions changed in this sync for this account.' }) count!: number;
  @ApiProperty({
    type: [String],
    maxItems: MAX_TRANSACTION_IDS_PER_EVENT,
    description: `At most ${MAX_TRANSACTION_IDS_PER_EVENT} ids; GET /v1/accounts/{accountId}/transactions resolves them.`,
  })
  transactionIds!: string[];
  @ApiProperty({ description: 'count > transactionIds.length: page GET /v1/transactions/sync for the rest.' })
  truncated!: boolean;
}

export class WebhookTestData implements Payload<'webhook.test'> {
  @ApiProperty({ example: 'we_01JD8Z…' }) webhookId!: string;
  @ApiProperty() message!: string;
}

const PAYLOADS = {
  'consent.authorised': ConsentAuthorisedData,
  'consent.rejected': ConsentRejectedData,
  'consent.revoked': ConsentRevokedData,
  'consent.expiring': ConsentExpiringData,
  'consent.expired': ConsentExpiredData,
  'sync.completed': SyncCompletedData,
  'sync.failed': SyncFailedData,
  'transactions.added': TransactionsChangedData,
  'transactions.modified': TransactionsChangedData,
  'transactions.removed': TransactionsChangedData,
  'webhook.test': WebhookTestData,
} satisfies Record<EventType, Type<unknown>>;

// ── envelopes: one named schema per event type (components), e.g. `TransactionsAddedEvent` ──

const schemaName = (type: string) =>
  type
    .split(/[._]/)
    .map((part) => part[0].toUpperCase() + part.slice(1))
    .join('') + 'Event';

function envelopeFor(type: EventType): Type<unknown> {
  class Envelope {
    id!: string;
    type!: string;
    createdAt!: string;
    data!: unknown;
  }
  Object.defineProperty(Envelope, 'name', { value: schemaName(type) });
  ApiProperty({ type: String, example: 'evt_01JD8Z…', description: 'Also the webhook-id header of its deliveries.' })(
    Envelope.prototype,
    'id',
  );
  ApiProperty({ type: String, enum: [type] })(Envelope.prototype, 'type');
  ApiProperty({ type: String, format: 'date-time' })(Envelope.prototype, 'createdAt');
  ApiProperty({ type: PAYLOADS[type] })(Envelope.prototype, 'data');
  return Envelope;
}

/** Named schema per event type: the body of a webhook and an item of GET /v1/events. */
export const EVENT_SCHEMAS = EVENT_TYPES.map(envelopeFor);

/** Any event: `type` tells which `data` shape it carries (see the per-type schemas). */
export class EventEnvelopeView {
  @ApiProperty({ example: 'evt_01JD8Z…', description: 'Also the webhook-id header of its deliveries.' }) id!: string;
  @ApiProperty({ enum: EVENT_TYPES }) type!: string;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({
    description: 'Shape depends on type.',
    oneOf: [...new Set(Object.values(PAYLOADS))].map((payload) => ({ $ref: getSchemaPath(payload) })),
  })
  data!: unknown;
}

export class EventListView {
  @ApiProperty({ type: [EventEnvelopeView] }) data!: EventEnvelopeView[];
  @ApiProperty({ nullable: true, type: String }) nextCursor!: string | null;
}

const EVENT_TYPE_LIST = new RegExp(
  `^(${EVENT_TYPES.map((t) => t.replace('.', '\\.')).join('|')})(,(${EVENT_TYPES.map((t) => t.replace('.', '\\.')).join('|')}))*$`,
);

export class EventListQueryDto extends PageQueryDto {
  @ApiPropertyOptional({
    description: 'Return events after this event id (exclusive), oldest first.',
    example: 'evt_01JD8Z…',
  })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  after?: string;

  @ApiPropertyOptional({
    description: 'Only these types (comma-separated).',
    example: 'transactions.added,sync.completed',
  })
  @IsOptional()
  @IsString()
  @MaxLength(400)
  @Matches(EVENT_TYPE_LIST, { message: `type must be a comma-separated list of: ${EVENT_TYPES.join(', ')}` })
  type?: string;
}
