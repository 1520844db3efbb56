import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayNotEmpty,
  ArrayUnique,
  IsArray,
  IsIn,
  IsNotEmpty,
  IsString,
  MaxLength,
} from 'class-validator';
import { IsOptional, PageQueryDto } from '@ais/http-kit';
import { EVENT_TYPES } from '@ais/contracts';

/** `*` subscribes to every event type, including types added later. */
export const EVENT_FILTERS = [...EVENT_TYPES, '*'] as const;

export class CreateWebhookDto {
  @ApiProperty({
    example: 'https://hooks.acme.example/ais',
    maxLength: 2048,
    description:
      'https only; it must resolve to public addresses (private, loopback and metadata ranges are refused). Redirects are not followed.',
  })
  @IsString()
  @IsNotEmpty()
  @MaxLength(2048)
  url!: string;

  @ApiProperty({
    type: [String],
    enum: EVENT_FILTERS,
    example: ['transactions.added', 'consent.revoked'],
    description: 'Event types to receive; `*` for all.',
  })
  @IsArray()
  @ArrayNotEmpty()
  @ArrayMaxSize(EVENT_FILTERS.length)
  @ArrayUnique()
  @IsIn(EVENT_FILTERS, { each: true, message: `each value in events must be one of: ${EVENT_FILTERS.join(', ')}` })
  events!: string[];

  @ApiPropertyOptional({ maxLength: 500 })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  description?: string;

  @ApiPropertyOptional({
    example: 'cons_01JD8Z…',
    maxLength: 64,
    description:
      'Scope the endpoint to one of your consents: it then receives only that consent’s events (Fena’s per-consent model). Without it, the endpoint receives the events of every consent.',
  })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  consentId?: string;
}

export class WebhookListQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ maxLength: 64, description: 'Only the endpoints scoped to this consent.' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  consentId?: string;
}

export class UpdateWebhookDto {
  @ApiPropertyOptional({ maxLength: 2048 })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(2048)
  url?: string;

  @ApiPropertyOptional({ type: [String], enum: EVENT_FILTERS })
  @IsOptional()
  @IsArray()
  @ArrayNotEmpty()
  @ArrayMaxSize(EVENT_FILTERS.length)
  @ArrayUnique()
  @IsIn(EVENT_FILTERS, { each: true, message: `each value in events must be one of: ${EVENT_FILTERS.join(', ')}` })
  events?: string[];

  @ApiPropertyOptional({ maxLength: 500, nullable: true, description: 'null clears it.' })
  @IsOptional({ nullable: true })
  @IsString()
  @MaxLength(500)
  description?: string | null;

  @ApiPropertyOptional({
    enum: ['enabled', 'disabled'],
    description:
      'disabled stops deliveries (pending ones are marked failed); enabled resumes with new events and clears the disabled reason.',
  })
  @IsOptional()
  @IsIn(['enabled', 'disabled'])
  status?: 'enabled' | 'disabled';
}

/** POST bodies that take no fields: an empty object (or none), unknown fields rejected. */
export class EmptyBodyDto {}

export class DeliveryListQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: ['pending', 'succeeded', 'failed'] })
  @IsOptional()
  @IsIn(['pending', 'succeeded', 'failed'])
  status?: 'pending' | 'succeeded' | 'failed';
}

/** Operators: deliveries across tenants (GET /admin/webhooks/deliveries). */
export class AdminDeliveryListQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: ['pending', 'succeeded', 'failed'] })
  @IsOptional()
  @IsIn(['pending', 'succeeded', 'failed'])
  status?: 'pending' | 'succeeded' | 'failed';

  @ApiPropertyOptional({ description: 'Only this tenant’s deliveries.' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  tenantId?: string;
}

export class WebhookView {
  @ApiProperty({ example: 'we_01JD8Z…' }) id!: string;
  @ApiProperty({
    nullable: true,
    type: String,
    description: 'The consent this endpoint is scoped to (it receives only its events); null: every consent.',
  })
  consentId!: string | null;
  @ApiProperty() url!: string;
  @ApiProperty({ nullable: true, type: String }) description!: string | null;
  @ApiProperty({ type: [String], enum: EVENT_FILTERS }) events!: string[];
  @ApiProperty({ enum: ['enabled', 'disabled'] }) status!: string;
  @ApiProperty({
    nullable: true,
    type: String,
    description: 'Why the endpoint was disabled (by us or by you).',
    example: 'failing continuously since 2026-11-16T08:00:00.000Z (5 days)',
  })
  disabledReason!: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) disabledAt!: string | null;
  @ApiProperty({
    nullable: true,
    type: String,
    format: 'date-time',
    description: 'Start of the current run of failed attempts; null while healthy.',
  })
  failingSince!: string | null;
  @ApiProperty({
    nullable: true,
    type: String,
    format: 'date-time',
    description: 'While set, deliveries are signed with the previous secret too.',
  })
  previousSecretExpiresAt!: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;
}

export class WebhookWithSecretView extends WebhookView {
  @ApiProperty({
    example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
    description: 'Shown only now. Verify signatures with it (Standard Webhooks).',
  })
  secret!: string;
}

export class DeliveryView {
  @ApiProperty({ example: 'whd_01JD8Z…' }) id!: string;
  @ApiProperty() webhookId!: string;
  @ApiProperty({ description: 'The event id: also the webhook-id header of every attempt.' }) eventId!: string;
  @ApiProperty({ nullable: true, type: String }) eventType!: string | null;
  @ApiProperty({ enum: ['pending', 'succeeded', 'failed'] }) status!: string;
  @ApiProperty({ description: 'Attempts made so far.' }) attempts!: number;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) nextAttemptAt!: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) lastAttemptAt!: string | null;
  @ApiProperty({
    nullable: true,
    type: Number,
    description: 'HTTP status of the last attempt; null when no response came.',
  })
  lastResponseStatus!: number | null;
  @ApiProperty({ nullable: true, type: String, example: 'timed out after 15000 ms' }) lastError!: string | null;
  @ApiProperty({ nullable: true, type: Number }) lastLatencyMs!: number | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) succeededAt!: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;
}

/** A delivery as operators see it across tenants. */
export class AdminDeliveryView extends DeliveryView {
  @ApiProperty() tenantId!: string;
}

export class AttemptView {
  @ApiProperty() attempt!: number;
  @ApiProperty({ format: 'date-time' }) startedAt!: string;
  @ApiProperty() latencyMs!: number;
  @ApiProperty({ nullable: true, type: Number }) responseStatus!: number | null;
  @ApiProperty({ nullable: true, type: String }) error!: string | null;
}

export class DeliveryDetailView extends DeliveryView {
  @ApiProperty({ type: [AttemptView] }) attemptLog!: AttemptView[];
}
