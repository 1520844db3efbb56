import { DEFAULT_DATABASE_URL } from './database.section.js';
import { sandboxSection } from './sandbox.section.js';

function parse(env: Record<string, string>) {
  const parsed = sandboxSection.parse(env);
  if (!parsed.ok) throw new Error(parsed.issues.join('; '));
  return parsed.value;
}

describe('sandbox config section', () => {
  it('keeps the banks state in SANDBOX_DATABASE_URL, else DATABASE_URL, else the default database', () => {
    expect(parse({}).databaseUrl).toBe(DEFAULT_DATABASE_URL);
    expect(parse({ DATABASE_URL: 'postgresql://u@db:5432/gw' }).databaseUrl).toBe('postgresql://u@db:5432/gw');
    expect(
      parse({ DATABASE_URL: 'postgresql://u@db:5432/gw', SANDBOX_DATABASE_URL: 'postgres://u@db:5432/sandbox' })
        .databaseUrl,
    ).toBe('postgres://u@db:5432/sandbox');
  });

  it('reads SANDBOX_TLS_HOSTS, the extra names of the mTLS certificate, as a comma-separated list', () => {
    expect(parse({}).tlsHosts).toEqual([]);
    expect(parse({ SANDBOX_TLS_HOSTS: 'sandbox-bank, 10.0.0.5,,bank.example' }).tlsHosts).toEqual([
      'sandbox-bank',
      '10.0.0.5',
      'bank.example',
    ]);
  });

  it('names a database URL that is not PostgreSQL', () => {
    const parsed = sandboxSection.parse({ SANDBOX_DATABASE_URL: 'mysql://x' });
    expect(!parsed.ok && parsed.issues.join('\n')).toContain('SANDBOX_DATABASE_URL');
  });

  it('has no state file any more: the database is the one place', () => {
    expect(parse({ SANDBOX_STATE_FILE: '/tmp/state.json' })).not.toHaveProperty('stateFile');
  });
});
