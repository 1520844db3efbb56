import { AppError } from '@ais/domain';
import type { ZodType } from 'zod';
import { bankError } from './bank-error.js';

/** A wire payload that breaks the standard: the whole response is refused. */
export class WireViolation extends Error {
  constructor(
    message: string,
    readonly issues: string[] = [],
  ) {
    super(message);
    this.name = 'WireViolation';
  }
}

/** Parses JSON text; malformed JSON is a wire violation. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new WireViolation(`the body is not valid JSON: ${(error as Error).message}`);
  }
}

/** Validates against a schema derived from the standard; every issue is reported. */
export function validateWire<T>(schema: ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = result.error.issues.slice(0, 20).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
  throw new WireViolation(`${what} does not follow the standard`, issues);
}

/**
 * Runs a mapping step; a WireViolation (or any mapping failure such as a malformed amount) becomes
 * bank_invalid_response, so nothing is ever returned half-mapped.
 */
export function mapOrInvalid<T>(providerId: string, operation: string, fn: () => T, body?: unknown): T {
  try {
    return fn();
  } catch (error) {
    if (error instanceof AppError) throw error;
    const issues = error instanceof WireViolation ? error.issues : [];
    throw bankError('bank_invalid_response', 'The bank sent a response that does not follow its API standard.', {
      providerId,
      detail: { operation, cause: (error as Error).message, body: issues.length > 0 ? { issues, body } : body },
    });
  }
}
