import { Injectable, type ArgumentMetadata, type PipeTransform } from '@nestjs/common';
import { AppError, ID_PREFIXES, type IdKind } from '@ais/domain';

interface ParamFormat {
  pattern: RegExp;
  /** The resource the 404 names: a malformed id names nothing, exactly like an unknown one. */
  resource: string;
}

/** Our own ids: the kind’s prefix, then a bounded body of letters, digits and _ (a ULID in production). */
const ownId = (kind: IdKind, resource: string): ParamFormat => ({
  pattern: new RegExp(`^${ID_PREFIXES[kind]}_[0-9A-Za-z_]{1,64}$`),
  resource,
});

/**
 * The format of every path parameter the gateway takes, by name. A route parameter with a name not
 * listed here fails the gateway's unit test (id-params.pipe.spec), so a new route cannot skip the check.
 */
export const PARAM_FORMATS: Record<string, ParamFormat> = {
  consentId: ownId('consent', 'Consent'),
  accountId: ownId('account', 'Account'),
  statementId: ownId('resource', 'Statement'),
  webhookId: ownId('webhookEndpoint', 'Webhook endpoint'),
  deliveryId: ownId('webhookDelivery', 'Webhook delivery'),
  eventId: ownId('event', 'Event'),
  tenantId: ownId('tenant', 'Tenant'),
  credentialId: ownId('credential', 'Credential'),
  providerId: { pattern: /^[a-z0-9][a-z0-9_-]{0,63}$/, resource: 'Provider' },
  // BullMQ's: `sync-cons_…`, `revoke-…`, `repeat:<key>:<ms>`, numbers.
  jobId: { pattern: /^[A-Za-z0-9:_.-]{1,200}$/, resource: 'Job' },
  queue: { pattern: /^[a-z0-9][a-z0-9._-]{0,99}$/, resource: 'Queue' },
};

/**
 * Path parameters are checked by their format before any handler or query runs (after the guards, so
 * an unauthenticated caller still gets 401): a malformed id is the same 404 as an unknown one.
 */
@Injectable()
export class IdParamsPipe implements PipeTransform {
  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    if (metadata.type !== 'param' || metadata.data === undefined) return value;
    const format = PARAM_FORMATS[metadata.data];
    if (!format) throw new Error(`path parameter "${metadata.data}" has no format in PARAM_FORMATS`);
    if (typeof value !== 'string' || !format.pattern.test(value)) throw AppError.notFound(format.resource);
    return value;
  }
}
