import { AppError } from '@ais/domain';
import { classifySyncError, isResourceRefusal } from './sync-error.js';

describe('classifySyncError', () => {
  it('defers a spent budget to when the bank allows the next call', () => {
    const c = classifySyncError(
      new AppError('budget_exhausted', 'spent', { nextAllowedAt: '2026-03-11T05:00:00.000Z' }),
    );
    expect(c.failure).toEqual({ kind: 'defer', until: new Date('2026-03-11T05:00:00.000Z'), pauseProvider: false });
  });

  it('reschedules at the bank’s retry time on a 429, pausing the provider', () => {
    const c = classifySyncError(
      new AppError('bank_rate_limited', 'slow down', { retryAt: '2026-03-10T10:00:30.000Z', retryAfterSeconds: 30 }),
    );
    expect(c.failure).toEqual({ kind: 'defer', until: new Date('2026-03-10T10:00:30.000Z'), pauseProvider: true });
  });

  it('ends the consent when the bank says it is revoked or expired', () => {
    expect(classifySyncError(new AppError('consent_revoked', 'gone')).failure).toEqual({
      kind: 'consent_ended',
      status: 'revoked',
    });
    expect(classifySyncError(new AppError('consent_expired', 'over')).failure).toEqual({
      kind: 'consent_ended',
      status: 'expired',
    });
  });

  it('retries an unavailable bank, and pauses the provider while its circuit is open', () => {
    expect(classifySyncError(new AppError('bank_unavailable', 'down')).failure).toEqual({ kind: 'retry' });
    expect(classifySyncError(new AppError('bank_unavailable', 'down', { circuit: 'open' })).failure).toEqual({
      kind: 'circuit_open',
    });
    expect(classifySyncError(new Error('connection reset')).failure).toEqual({ kind: 'retry' });
    expect(
      classifySyncError(new AppError('bank_unavailable', 'maintenance', { retryAt: '2026-03-10T11:00:00.000Z' }))
        .failure,
    ).toEqual({
      kind: 'defer',
      until: new Date('2026-03-10T11:00:00.000Z'),
      pauseProvider: true,
    });
  });

  it('fails the run for an invalid bank response', () => {
    expect(classifySyncError(new AppError('bank_invalid_response', 'garbage'))).toEqual({
      failure: { kind: 'fail' },
      code: 'bank_invalid_response',
      detail: 'garbage',
    });
  });
});

describe('isResourceRefusal', () => {
  it('takes the bank refusing one resource (403 permission, 404 / 4xx) as that resource being unavailable', () => {
    for (const code of ['bank_forbidden_permission', 'bank_rejected_request', 'permission_not_granted'] as const)
      expect(isResourceRefusal(new AppError(code, 'no'))).toBe(true);
  });

  it('leaves every other failure to mean what it means for any call', () => {
    for (const code of [
      'consent_revoked',
      'consent_expired',
      'budget_exhausted',
      'bank_rate_limited',
      'bank_unavailable',
      'bank_unauthorised',
      'bank_invalid_response',
      'internal_error',
    ] as const)
      expect(isResourceRefusal(new AppError(code, 'no'))).toBe(false);
    expect(isResourceRefusal(new Error('socket hang up'))).toBe(false);
  });
});
