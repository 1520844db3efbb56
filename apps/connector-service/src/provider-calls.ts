import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { AppError } from '@ais/domain';
import {
  BANK_DETAIL_EXTENSION,
  bankProfile,
  type BankErrorDetail,
  type ClientAuthMethod,
  type ClosableConnector,
  type ProviderRegistration,
} from '@ais/connectors';
import type {
  AuditLogRepository,
  PrismaClient,
  ProviderOperationKind,
  ProviderOperationRepository,
  RegistrationGate,
  RegistrationRejection,
} from '@ais/db';
import { PROVIDER_OPERATION_RETENTION_MS } from '@ais/db';
import type { Logger, Metrics } from '@ais/observability';
import type { BuiltConnector, ConnectorRegistry } from './connector-registry.service.js';

/**
 * What a connector.* call is, for healing and for provider health: consent creation, the
 * authorisation request that completes it, the code exchange at the callback, a token refresh, a
 * client-level consent call (status, revocation) or a data call.
 */
export type CallKind =
  'consent_creation' | 'authorisation_request' | 'code_exchange' | 'token_refresh' | 'consent_call' | 'data_call';

/** Kinds whose every outcome is recorded for provider health, and under which operation. */
const RECORDED: Partial<Record<CallKind, ProviderOperationKind>> = {
  consent_creation: 'consent_creation',
  code_exchange: 'code_exchange',
  token_refresh: 'token_refresh',
};

/**
 * After registering again, the original request is sent once more, except where it carries a grant
 * issued to the old client (an authorisation code, a refresh token): the bank would refuse it from
 * the new one, so the original refusal is the honest answer.
 */
const RETRY_AFTER_HEALING: Record<CallKind, boolean> = {
  consent_creation: true,
  authorisation_request: true,
  code_exchange: false,
  token_refresh: false,
  consent_call: true,
  data_call: true,
};

/** Berlin Group message codes by which a bank refuses our transport certificate (QWAC). */
const CERTIFICATE_CODES = new Set([
  'CERTIFICATE_INVALID',
  'CERTIFICATE_EXPIRED',
  'CERTIFICATE_BLOCKED',
  'CERTIFICATE_REVOKED',
  'CERTIFICATE_MISSING',
]);
/**
 * TLS failures that say a certificate is not accepted: ours refused by the bank (its alerts), or the
 * bank's no longer verifiable with the CA our identity came with (the sandbox CA regenerated).
 */
const TLS_CERTIFICATE_FAILURE =
  /^(CERT_|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT|SELF_SIGNED_CERT_IN_CHAIN|DEPTH_ZERO_SELF_SIGNED_CERT|ERR_SSL_(SSLV3|TLSV1|TLSV13)_ALERT_(BAD_CERTIFICATE|UNKNOWN_CA|UNSUPPORTED_CERTIFICATE|CERTIFICATE_))/;
/** Calls authenticated with the connector's cached client-credentials token. */
const CLIENT_TOKEN_OPERATIONS = new Set(['obie.createConsent', 'obie.getConsent', 'obie.revokeConsent']);

const PRUNE_EVERY_MS = 3_600_000;

function bankDetail(error: AppError): BankErrorDetail {
  const bank = error.extensions[BANK_DETAIL_EXTENSION];
  return bank && typeof bank === 'object' ? bank : {};
}

/**
 * Whether the bank refused our registration (invalid_client: it does not know our client) or our
 * transport certificate (refused by code, or the TLS handshake failed over a certificate); null for
 * anything else (a consent's token, a 5xx, a timeout…), which registering again would not mend.
 */
export function registrationRejection(error: unknown): RegistrationRejection | null {
  if (!(error instanceof AppError)) return null;
  const bank = bankDetail(error);
  if (error.code === 'bank_unauthorised') {
    if (bank.bankCode === 'invalid_client') return 'registration';
    if (bank.bankCode !== undefined && CERTIFICATE_CODES.has(bank.bankCode)) return 'certificate';
    return null;
  }
  if (error.code === 'bank_unavailable' && typeof bank.cause === 'string' && TLS_CERTIFICATE_FAILURE.test(bank.cause))
    return 'certificate';
  return null;
}

/** A 401 to a call made with the cached client-credentials token: the bank may have forgotten the token (or us). */
function staleClientToken(error: unknown): boolean {
  if (!(error instanceof AppError) || error.code !== 'bank_unauthorised') return false;
  const bank = bankDetail(error);
  return bank.httpStatus === 401 && bank.operation !== undefined && CLIENT_TOKEN_OPERATIONS.has(bank.operation);
}

/** What the bank said, in one line for operators (scrubbed upstream; no tokens, no secrets). */
function describe(error: unknown): string {
  if (!(error instanceof AppError)) return error instanceof Error ? error.message : String(error);
  const bank = bankDetail(error);
  const parts = [
    bank.operation,
    bank.bankCode,
    bank.httpStatus === undefined ? undefined : `HTTP ${bank.httpStatus}`,
    bank.cause,
  ].filter((x): x is string => Boolean(x));
  return parts.length > 0 ? `${error.code}: ${parts.join(', ')}` : `${error.code}: ${error.detail}`;
}

/** The answer when the bank still refuses us: a clear bank_unauthorised, the bank's detail kept for operators only. */
function rejectedError(providerId: string, rejection: RegistrationRejection, error: AppError): AppError {
  const bank = error.extensions[BANK_DETAIL_EXTENSION];
  const detail =
    rejection === 'registration'
      ? 'The bank does not accept the gateway’s registration (it does not know our client); the gateway’s operators must re-register.'
      : 'The bank does not accept the gateway’s transport certificate; the gateway’s operators must renew it.';
  return new AppError('bank_unauthorised', detail, {
    providerId,
    ...(bank === undefined ? {} : { [BANK_DETAIL_EXTENSION]: bank }),
  });
}

type HealOutcome = 'succeeded' | 'failed' | 'skipped' | 'unsupported';

export interface ProviderCallsDeps {
  prisma: PrismaClient;
  registry: ConnectorRegistry;
  operations: ProviderOperationRepository;
  audit: AuditLogRepository;
  gate: RegistrationGate;
  metrics: Metrics;
  logger: Logger;
  /** CONNECTOR_REREGISTER_INTERVAL_SECONDS; 0: never register again by itself. */
  reregisterIntervalSeconds: number;
}

/**
 * Every connector.* call goes through here. When the bank refuses our registration or our transport
 * certificate, the connector-service registers again (a new DCR registration, or a new sandbox
 * identity with a fresh certificate; with a configured TPP identity only at DCR banks), at most once
 * per provider per interval across all instances (RegistrationGate), audited and counted, then sends
 * the original request once more. Never more than that: one healing and one retry per call. It also
 * records the outcome of consent creations, code exchanges and token refreshes for provider health.
 */
export class ProviderCalls {
  readonly instance = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  private readonly healing = new Map<string, Promise<HealOutcome>>();
  private lastPrune = 0;

  constructor(private readonly deps: ProviderCallsDeps) {}

  private get reregistrations() {
    return this.deps.metrics.counter(
      'connector_reregistrations_total',
      'Automatic re-registrations at a bank that rejected our registration or certificate, by outcome (succeeded, failed, skipped: within the interval, unsupported: cannot be mended by registering)',
      ['provider', 'outcome'],
    );
  }

  async run<T>(providerId: string, kind: CallKind, call: (connector: ClosableConnector) => Promise<T>): Promise<T> {
    const recorded = RECORDED[kind];
    try {
      const result = await this.attempt(providerId, kind, call);
      if (recorded) await this.record({ providerId, operation: recorded, outcome: 'succeeded' });
      return result;
    } catch (error) {
      const rejected = registrationRejection(error);
      const operation =
        recorded ?? (kind === 'authorisation_request' ? 'consent_creation' : rejected ? 'data_call' : undefined);
      if (operation) {
        await this.record({
          providerId,
          operation,
          outcome: 'failed',
          errorCode: error instanceof AppError ? error.code : 'internal_error',
          rejected,
          detail: describe(error),
        });
      }
      throw error;
    }
  }

  /** The outcome of an explicit onboarding (operator, start-up): a success shows the bank accepts us again. */
  async recordOnboarding(providerId: string, outcome: 'succeeded' | 'failed', error?: unknown): Promise<void> {
    await this.record({
      providerId,
      operation: 'registration',
      outcome,
      ...(error === undefined
        ? {}
        : { errorCode: error instanceof AppError ? error.code : 'internal_error', detail: describe(error) }),
    });
  }

  private async attempt<T>(
    providerId: string,
    kind: CallKind,
    call: (connector: ClosableConnector) => Promise<T>,
  ): Promise<T> {
    let built = await this.deps.registry.getStamped(providerId);
    let error: unknown;
    try {
      return await call(built.connector);
    } catch (e) {
      error = e;
    }
    let rejection = registrationRejection(error);
    if (!rejection && staleClientToken(error)) {
      // A fresh connector asks for a new client-credentials token: the bank tells us whether it still knows our client.
      await this.deps.registry.evict(providerId, built);
      built = await this.deps.registry.getStamped(providerId);
      try {
        return await call(built.connector);
      } catch (e) {
        error = e;
        rejection = registrationRejection(e);
      }
    }
    if (!rejection) throw error;
    return this.healAndRetry(providerId, kind, built, rejection, error as AppError, call);
  }

  private async healAndRetry<T>(
    providerId: string,
    kind: CallKind,
    built: BuiltConnector,
    rejection: RegistrationRejection,
    error: AppError,
    call: (connector: ClosableConnector) => Promise<T>,
  ): Promise<T> {
    const log = { providerId, kind, rejection, bank: describe(error) };
    // Registered again since this connector was built (another instance, or a call here): use that one.
    let renewed = (await this.deps.registry.stampOfStored(providerId)) !== built.stamp;
    if (!renewed) {
      let running = this.healing.get(providerId);
      if (!running) {
        running = this.heal(providerId, kind, built, rejection, error)
          .then((outcome) => {
            this.reregistrations.inc({ provider: providerId, outcome });
            return outcome;
          })
          .finally(() => this.healing.delete(providerId));
        this.healing.set(providerId, running);
      }
      const outcome = await running;
      renewed = outcome === 'succeeded' || (await this.deps.registry.stampOfStored(providerId)) !== built.stamp;
    }
    if (!renewed) {
      this.deps.logger.warn(log, 'the bank rejects our registration; not registering again now');
      throw rejectedError(providerId, rejection, error);
    }
    await this.deps.registry.evict(providerId, built);
    if (!RETRY_AFTER_HEALING[kind]) throw rejectedError(providerId, rejection, error);
    const fresh = await this.deps.registry.getStamped(providerId);
    try {
      return await call(fresh.connector);
    } catch (retryError) {
      const again = registrationRejection(retryError);
      if (again) {
        this.deps.logger.error(
          { ...log, retry: describe(retryError) },
          'the bank still rejects our registration after registering again',
        );
        throw rejectedError(providerId, again, retryError as AppError);
      }
      throw retryError;
    }
  }

  /** Registers again when this provider's registration can be renewed and the interval allows it. */
  private async heal(
    providerId: string,
    kind: CallKind,
    built: BuiltConnector,
    rejection: RegistrationRejection,
    error: AppError,
  ): Promise<HealOutcome> {
    const previous = built.registration;
    const profile = bankProfile(built.provider.profile);
    const configured = this.deps.registry.identityConfigured;
    const log = { providerId, kind, rejection, bank: describe(error), previousClientId: previous?.clientId ?? null };
    // A client an operator brought (developer portal of a real bank), or a configured identity at a
    // bank without DCR: registering again is not something the gateway can do by itself.
    if (!previous || previous.source === 'configured' || (configured && profile.onboarding !== 'dcr')) {
      this.deps.logger.warn(
        log,
        'the bank rejects our registration and it cannot be renewed automatically: onboard the provider',
      );
      return 'unsupported';
    }
    const intervalMs = this.deps.reregisterIntervalSeconds * 1000;
    const claimed = await this.deps.gate.claim(providerId, this.instance, intervalMs).catch((err: unknown) => {
      this.deps.logger.error({ ...log, err }, 'could not claim the re-registration (Redis)');
      return false;
    });
    if (!claimed) return 'skipped';
    this.deps.logger.warn(log, 'the bank rejects our registration: registering again');
    const details = {
      reason:
        rejection === 'registration'
          ? 'the bank rejected our registration'
          : 'the bank rejected our transport certificate',
      rejection,
      operation: kind,
      bank: describe(error),
      identity: configured ? 'configured' : 'sandbox_directory',
      instance: this.instance,
      previousClientId: previous.clientId,
    };
    try {
      const registration = await this.deps.registry.onboard(
        providerId,
        this.methodFor(previous, profile.preferredAuthMethod),
        true,
      );
      await this.audit('provider.reregistered', providerId, {
        ...details,
        clientId: registration.clientId,
        tokenEndpointAuthMethod: registration.tokenEndpointAuthMethod,
        source: registration.source,
        transportCertificate: Boolean(registration.transport),
      });
      await this.record({
        providerId,
        operation: 're_registration',
        outcome: 'succeeded',
        detail: `${details.reason} (${details.bank}); new client ${registration.clientId}`,
      });
      this.deps.logger.warn({ ...log, clientId: registration.clientId }, 'registered again at the bank');
      return 'succeeded';
    } catch (failure) {
      await this.audit('provider.reregister_failed', providerId, {
        ...details,
        code: failure instanceof AppError ? failure.code : 'internal_error',
        failure: describe(failure),
      });
      await this.record({
        providerId,
        operation: 're_registration',
        outcome: 'failed',
        errorCode: failure instanceof AppError ? failure.code : 'internal_error',
        detail: `${details.reason}; registering again failed: ${describe(failure)}`,
      });
      this.deps.logger.error({ ...log, err: failure }, 'registering again at the bank failed');
      return 'failed';
    }
  }

  /** The method to register again with: the one in use, unless it is the profile's default (then the same defaults apply, certificate included). */
  private methodFor(previous: ProviderRegistration, preferred: ClientAuthMethod): ClientAuthMethod | undefined {
    return previous.tokenEndpointAuthMethod === preferred ? undefined : previous.tokenEndpointAuthMethod;
  }

  private async audit(action: string, providerId: string, details: Record<string, unknown>): Promise<void> {
    await this.deps.prisma
      .$transaction(async (tx) => {
        await this.deps.audit.record(tx, {
          actor: 'connector-service',
          action,
          targetType: 'provider',
          targetId: providerId,
          details,
        });
      })
      .catch((err: unknown) => this.deps.logger.error({ err, providerId, action }, 'could not write the audit entry'));
  }

  private async record(entry: Parameters<ProviderOperationRepository['record']>[0]): Promise<void> {
    await this.deps.operations
      .record(entry)
      .catch((err: unknown) =>
        this.deps.logger.error({ err, providerId: entry.providerId }, 'could not record the operation outcome'),
      );
    const now = Date.now();
    if (now - this.lastPrune > PRUNE_EVERY_MS) {
      this.lastPrune = now;
      void this.deps.operations
        .prune(new Date(now - PROVIDER_OPERATION_RETENTION_MS))
        .catch((err: unknown) => this.deps.logger.warn({ err }, 'could not prune provider_operations'));
    }
  }
}
