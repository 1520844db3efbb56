import { Writable } from 'node:stream';
import { createLogger } from './logger.js';
import { scrubSecrets, scrubText } from './redaction.js';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  return { logger: createLogger('test', 'debug', stream), lines };
}

describe('log redaction', () => {
  it('redacts authorization headers, secrets and bank tokens by field name', () => {
    const { logger, lines } = capture();
    logger.info(
      {
        req: { headers: { authorization: 'Bearer sk_live_abcdefghijklmnop', 'x-request-id': 'r1' } },
        tokens: { access_token: 'at-123', refresh_token: 'rt-456' },
        client: { clientSecret: 'cs_zzz', client_secret: 'cs_yyy' },
        password: 'hunter2',
      },
      'calling bank',
    );
    const out = lines.join('');
    for (const secret of ['sk_live_abcdefghijklmnop', 'at-123', 'rt-456', 'cs_zzz', 'cs_yyy', 'hunter2'])
      expect(out).not.toContain(secret);
    expect(out).toContain('"x-request-id":"r1"');
    expect(JSON.parse(out).level).toBe('info');
  });

  it('masks tokens pasted into messages and error texts', () => {
    const { logger, lines } = capture();
    const jwt = 'eyJhbGciOiJQUzI1NiJ9.eyJzdWIiOiJhYmMifQ.c2lnbmF0dXJlc2lnbmF0dXJl';
    logger.error(
      { err: new Error(`bank said no to Bearer abc.def.ghi and ${jwt}`) },
      `retrying with sk_${'a'.repeat(20)}`,
    );
    const out = lines.join('');
    expect(out).not.toContain('abc.def.ghi');
    expect(out).not.toContain(jwt);
    expect(out).not.toContain('a'.repeat(20));
  });

  it('scrubs nested objects kept for operators', () => {
    expect(scrubSecrets({ detail: { id_token: 'x', Code: 'AUTH', nested: [{ refreshToken: 'y' }] } })).toEqual({
      detail: { id_token: '[REDACTED]', Code: 'AUTH', nested: [{ refreshToken: '[REDACTED]' }] },
    });
    expect(scrubText('whsec_abcdefghijklmnopqrstuvwxyz')).toBe('whsec_[REDACTED]');
  });
});
