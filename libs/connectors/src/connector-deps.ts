import type { Logger, Metrics } from '@ais/observability';
import { BankHttpClient, type HttpExchange, type ResilienceSettings } from './http/bank-http-client.js';
import type { TransportCertificate } from './connector.js';
import type { AccessGuard, CircuitReporter, ThrottleBoard, TokenSource } from './ports.js';

/** What every connector is built with. */
export interface ConnectorDeps {
  accessGuard: AccessGuard;
  tokenSource: TokenSource;
  resilience: ResilienceSettings;
  /** CA bundle to trust for bank servers (the sandbox CA in development and tests). */
  caPem?: string;
  logger?: Logger;
  metrics?: Metrics;
  /** Sees every request / response (conformance tests validate them against the specs). */
  observer?: (exchange: HttpExchange) => void;
  now?: () => Date;
  /** The gateway's own IP: sent as PSU-IP-Address where the standard says to when the PSU's is unknown. */
  tppIpAddress?: string;
  /** Told of every circuit-breaker transition. */
  circuitReporter?: CircuitReporter;
  /** Shares banks' 429 pauses across connector-service instances. */
  throttleBoard?: ThrottleBoard;
}

/** The HTTP client of one provider's connector, wired from the ports (same for every standard). */
export function connectorHttpClient(
  providerId: string,
  deps: ConnectorDeps,
  transport: TransportCertificate | undefined,
  now: () => Date,
): BankHttpClient {
  return new BankHttpClient({
    providerId,
    resilience: deps.resilience,
    transport,
    caPem: deps.caPem,
    logger: deps.logger,
    metrics: deps.metrics,
    observer: deps.observer,
    circuitReporter: deps.circuitReporter,
    throttleBoard: deps.throttleBoard,
    now,
  });
}
