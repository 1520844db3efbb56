import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsString, Length } from 'class-validator';
import { IsOptional } from '@ais/http-kit';
import type { ConnectorClientAuthMethod } from '@ais/contracts';

const AUTH_METHODS: ConnectorClientAuthMethod[] = [
  'client_secret_basic',
  'client_secret_post',
  'private_key_jwt',
  'tls_client_auth',
  'none',
];

export class OnboardProviderDto {
  @ApiPropertyOptional({
    enum: AUTH_METHODS,
    description: 'Token endpoint authentication to register with; default: the bank profile’s.',
  })
  @IsOptional()
  @IsIn(AUTH_METHODS)
  tokenEndpointAuthMethod?: ConnectorClientAuthMethod;

  @ApiPropertyOptional({
    default: false,
    description: 'Register again even when a registration exists (e.g. after the bank lost it).',
  })
  @IsOptional()
  @IsBoolean()
  force?: boolean;

  @ApiPropertyOptional({
    description:
      'A client the bank issued out of band (its developer portal, for banks without dynamic registration): stored encrypted as it is, with tokenEndpointAuthMethod, replacing any registration.',
  })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  clientId?: string;

  @ApiPropertyOptional({
    writeOnly: true,
    description:
      'That client’s secret (client_secret_basic / client_secret_post only). Stored encrypted, never shown or logged.',
  })
  @IsOptional()
  @IsString()
  @Length(1, 500)
  clientSecret?: string;
}

export class OnboardedView {
  @ApiProperty() providerId!: string;
  @ApiProperty({ description: 'The client_id the bank issued (public, not a secret).' }) clientId!: string;
  @ApiProperty({ enum: AUTH_METHODS }) tokenEndpointAuthMethod!: string;
  @ApiProperty({ enum: ['dcr', 'developer_portal', 'configured'] }) source!: string;
}

export class ReregistrationView {
  @ApiProperty() at!: string;
  @ApiProperty({ enum: ['succeeded', 'failed'] }) outcome!: string;
}

export class RegistrationView {
  @ApiProperty() present!: boolean;
  @ApiPropertyOptional({ nullable: true, type: String }) clientId!: string | null;
  @ApiPropertyOptional({ nullable: true, type: String, enum: AUTH_METHODS }) tokenEndpointAuthMethod!: string | null;
  @ApiPropertyOptional({ nullable: true, type: String }) registeredAt!: string | null;
  @ApiPropertyOptional({ nullable: true, type: String }) updatedAt!: string | null;
  @ApiPropertyOptional({
    nullable: true,
    type: String,
    description:
      'Since when the bank rejects our registration or transport certificate, with nothing succeeding with it since (a consent creation, code exchange, token refresh or onboarding); null when it does not.',
  })
  rejectedSince!: string | null;
  @ApiPropertyOptional({
    nullable: true,
    type: String,
    enum: ['registration', 'certificate'],
    description: 'What the bank rejects: our client registration, or our transport certificate.',
  })
  rejected!: string | null;
  @ApiPropertyOptional({
    nullable: true,
    type: String,
    description: 'What the bank said the last time (its error code, HTTP status or TLS error); never a secret.',
  })
  rejectionDetail!: string | null;
  @ApiPropertyOptional({
    nullable: true,
    type: ReregistrationView,
    description: 'The connector-service’s last automatic re-registration since the rejection began.',
  })
  lastReregistration!: ReregistrationView | null;
  @ApiPropertyOptional({
    nullable: true,
    type: String,
    description:
      'While CONNECTOR_REREGISTER_INTERVAL_SECONDS runs after an automatic re-registration: the earliest time of the next one.',
  })
  nextReregistrationAt!: string | null;
}

export class OperationErrorView {
  @ApiProperty({ example: 'bank_unauthorised' }) code!: string;
  @ApiProperty() count!: number;
  @ApiProperty() lastAt!: string;
}

export class OperationWindowView {
  @ApiProperty() succeeded!: number;
  @ApiProperty({
    description:
      'Failures that count against the bank (a consent revoked or expired at the bank, or a spent budget, does not).',
  })
  failed!: number;
  @ApiPropertyOptional({
    nullable: true,
    type: Number,
    description: 'failed / (succeeded + failed); null without any.',
  })
  failureRate!: number | null;
  @ApiProperty({ type: [OperationErrorView], description: 'Error codes seen, most frequent first.' })
  errors!: OperationErrorView[];
  @ApiPropertyOptional({ nullable: true, type: String }) lastSucceededAt!: string | null;
  @ApiPropertyOptional({ nullable: true, type: String }) lastFailedAt!: string | null;
}

export class OperationWindowsView {
  @ApiProperty({ type: OperationWindowView }) lastHour!: OperationWindowView;
  @ApiProperty({ type: OperationWindowView }) last24h!: OperationWindowView;
}

export class ProviderOperationsView {
  @ApiProperty({
    type: OperationWindowsView,
    description: 'Consents created at the bank (POST /v1/consents, re-authorisations).',
  })
  consentCreations!: OperationWindowsView;
  @ApiProperty({
    type: OperationWindowsView,
    description: 'Authorisation callbacks: the code exchanged for the bank’s tokens.',
  })
  codeExchanges!: OperationWindowsView;
  @ApiProperty({ type: OperationWindowsView, description: 'Bank token refreshes.' })
  tokenRefreshes!: OperationWindowsView;
}

export class ErrorCountView {
  @ApiProperty({ example: 'bank_unavailable' }) code!: string;
  @ApiProperty() runs!: number;
  @ApiProperty() lastAt!: string;
}

export class RunWindowView {
  @ApiProperty() runs!: number;
  @ApiProperty() succeeded!: number;
  @ApiProperty() failed!: number;
  @ApiProperty() deferred!: number;
  @ApiProperty({ description: 'Queued or running.' }) inFlight!: number;
  @ApiPropertyOptional({
    nullable: true,
    type: Number,
    description: 'failed / (succeeded + failed); null without finished runs.',
  })
  failureRate!: number | null;
  @ApiProperty({
    type: [ErrorCountView],
    description: 'Error codes of the window’s runs (failed, deferred or being retried), most frequent first.',
  })
  errors!: ErrorCountView[];
}

export class BudgetPressureView {
  @ApiProperty({
    description:
      'Runs in the last 24 h the bank answered with HTTP 429 (bank_rate_limited). Should be 0: the gateway keeps within the bank’s limits.',
  })
  bankRateLimited24h!: number;
  @ApiProperty({
    description: 'Runs in the last 24 h deferred because the consent’s unattended budget was spent (budget_exhausted).',
  })
  budgetExhausted24h!: number;
  @ApiPropertyOptional({
    nullable: true,
    type: Number,
    description: 'Share of the last 24 h’s runs the bank rate-limited.',
  })
  rateLimitedShare24h!: number | null;
}

export class LastFailureView {
  @ApiProperty() at!: string;
  @ApiPropertyOptional({ nullable: true, type: String }) code!: string | null;
  @ApiPropertyOptional({ nullable: true, type: String }) detail!: string | null;
}

export class ProviderQueueView {
  @ApiProperty({ example: 'sync.allstar' }) name!: string;
  @ApiProperty() paused!: boolean;
  @ApiProperty({ description: 'How long the sync-worker still holds the queue back; 0 = not.' }) backoffMs!: number;
  @ApiProperty() waiting!: number;
  @ApiProperty() active!: number;
  @ApiProperty() delayed!: number;
  @ApiProperty() failed!: number;
}

export class CircuitView {
  @ApiProperty({
    enum: ['closed', 'open', 'half_open'],
    description:
      'The bank’s circuit breaker as the connector-service instances report it (each keeps its own in memory and publishes its transitions): open if any instance’s is open (calls to the bank fail fast), half_open if one is letting a trial call through, else closed.',
  })
  state!: string;
  @ApiPropertyOptional({
    nullable: true,
    type: String,
    description: 'When the reported state began (the earliest instance); null when closed.',
  })
  since!: string | null;
  @ApiPropertyOptional({
    nullable: true,
    type: String,
    description: 'Open: when the first instance lets a trial call through.',
  })
  halfOpenAt!: string | null;
  @ApiProperty({ description: 'Connector-service instances whose breaker for this bank is not closed.' })
  instances!: number;
}

export class ProviderHealthView {
  @ApiProperty({ example: 'allstar' }) providerId!: string;
  @ApiProperty() name!: string;
  @ApiProperty() country!: string;
  @ApiProperty() standard!: string;
  @ApiProperty({ enum: ['active', 'inactive'] }) status!: string;
  @ApiProperty({ enum: ['healthy', 'degraded', 'down', 'inactive'] }) verdict!: string;
  @ApiProperty({ type: [String], description: 'Why the verdict, in operators’ words; empty when healthy.' })
  reasons!: string[];
  @ApiProperty({ type: RegistrationView, description: 'The gateway’s registration at the bank; never its secrets.' })
  registration!: RegistrationView;
  @ApiPropertyOptional({ nullable: true, type: String }) lastSucceededAt!: string | null;
  @ApiPropertyOptional({ nullable: true, type: LastFailureView }) lastFailure!: LastFailureView | null;
  @ApiProperty({ type: RunWindowView }) lastHour!: RunWindowView;
  @ApiProperty({ type: RunWindowView }) last24h!: RunWindowView;
  @ApiProperty({
    type: ProviderOperationsView,
    description: 'Outcomes of the operations that use our registration at the bank, beside the sync runs.',
  })
  operations!: ProviderOperationsView;
  @ApiProperty({ type: BudgetPressureView }) budgetPressure!: BudgetPressureView;
  @ApiProperty({ type: CircuitView }) circuit!: CircuitView;
  @ApiProperty({ type: ProviderQueueView }) queue!: ProviderQueueView;
}

export class ProviderHealthListView {
  @ApiProperty() generatedAt!: string;
  @ApiProperty({ type: [ProviderHealthView] }) data!: ProviderHealthView[];
  @ApiProperty({ nullable: true, type: String, description: 'Pass as cursor for the next page; null on the last.' })
  nextCursor!: string | null;
}
