import type { FastifyReply, FastifyRequest } from 'fastify';
import type { BankRuntime } from '../sandbox-context.js';
import { BankHttpError, sendJson } from './http.js';
import { violateSchema, type InjectedStatus } from './faults.js';

export interface PipelineOptions {
  /** Renders an injected or unexpected failure in the bank's own format. */
  failure: (status: InjectedStatus, retryAfterSeconds?: number) => BankHttpError;
  /** Response headers every answer carries (x-fapi-interaction-id, X-Request-ID). */
  headers: Record<string, string>;
  /** Data-plane calls get faults; discovery, token and control calls do not. */
  faults: boolean;
  /**
   * Checks made before anything else, as a bank's TLS-terminating gateway would (Salt Bank's QWAC):
   * a request they refuse draws no injected fault and is not counted.
   */
  precheck?: () => void;
}

export interface Ok {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/**
 * Runs a bank handler: adds latency and injected failures (fault knobs), renders BankHttpErrors in
 * the bank's format, and corrupts successful JSON bodies when the malformed / schema faults say so.
 */
export async function runBankCall(
  bank: BankRuntime,
  req: FastifyRequest,
  reply: FastifyReply,
  options: PipelineOptions,
  handler: () => Promise<Ok> | Ok,
): Promise<void> {
  for (const [k, v] of Object.entries(options.headers)) void reply.header(k, v);
  const path = req.url.split('?')[0];
  try {
    options.precheck?.();
    if (options.faults) {
      const latency = bank.faults.faults.latencyMs;
      if (latency > 0) await new Promise((r) => setTimeout(r, latency));
      const fault = bank.faults.drawStatus(path);
      if (fault?.kind === 'status') throw options.failure(fault.status, bank.faults.faults.retryAfterSeconds);
    }
    const ok = await handler();
    for (const [k, v] of Object.entries(ok.headers ?? {})) void reply.header(k, v);
    if (ok.body === undefined) {
      void reply.status(ok.status).send();
      return;
    }
    const bodyFault = options.faults ? bank.faults.drawBody(path) : null;
    if (bodyFault?.kind === 'malformed')
      return sendJson(reply, ok.status, JSON.stringify(ok.body).slice(0, 40) + '{"broken');
    if (bodyFault?.kind === 'schema') return sendJson(reply, ok.status, violateSchema(ok.body));
    sendJson(reply, ok.status, ok.body);
  } catch (e) {
    const error = e instanceof BankHttpError ? e : options.failure(500);
    if (!(e instanceof BankHttpError)) req.log?.error?.({ err: e }, 'sandbox handler failed');
    error.render(reply);
  }
}
