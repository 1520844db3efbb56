import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Decimal } from 'decimal.js';
import pg from 'pg';
import type { Browser } from 'playwright-core';
import { verifyWebhook } from '@ais/client';
import { DEMO_WEBHOOK_PORT_VAR, STACK_PORT_VARS, type StackPorts } from '@ais/config';
import {
  TestReceiver,
  freePort,
  freeStackPorts,
  launchChromium,
  repoRoot,
  until,
  verifyStandardWebhook,
} from '@ais/testing';
import { jest } from '@jest/globals';
import { actAsPsu } from '../apps/gateway/test/psu.js';

jest.setTimeout(600_000);

/**
 * The newcomer's journey, as the README tells it: `npm start` (the real script, as a child process on
 * ports of its own), then for each sandbox bank the README's own commands (read from README.md and run
 * by bash: a README that drifts fails here), the bank's consent page in a real Chromium with the
 * README's credentials, the first sync, the data against the bank's own account of it, a signed
 * webhook; then Ctrl-C, `npm start` again, and everything still works with no operator action.
 */

const README = readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
const WALKTHROUGH = section(README, '### Take a consent through the sandbox bank by hand');
const SDK = section(README, '### From TypeScript: `@ais/client`');
const PSU_IP = '203.0.113.9';

function section(text: string, heading: string): string {
  const start = text.indexOf(heading);
  if (start < 0) throw new Error(`README.md has no "${heading}"`);
  const next = heading.startsWith('### ') ? /\n##?# /g : /\n## /g;
  next.lastIndex = start + heading.length;
  const end = next.exec(text)?.index ?? -1;
  return text.slice(start, end < 0 ? undefined : end);
}

/** The README's bash blocks of the walkthrough, each found by what it does. */
function readmeCommands() {
  const blocks = [...WALKTHROUGH.matchAll(/```bash\n([\s\S]*?)```/g)].map((m) => m[1]);
  const one = (what: string, test: (b: string) => boolean) => {
    const found = blocks.filter(test);
    if (found.length !== 1)
      throw new Error(`README walkthrough: expected one bash block that ${what}, found ${found.length}`);
    return found[0];
  };
  return {
    variables: one('sets KEY, API and BANK', (b) => /^KEY=/m.test(b) && /^API=/m.test(b) && /^BANK=/m.test(b)),
    createConsent: one('creates a consent', (b) => b.includes('-X POST "$API/v1/consents"')),
    getConsent: one('reads the consent', (b) => /^CONSENT=/m.test(b) && b.includes('"$API/v1/consents/$CONSENT"')),
    syncRuns: one('lists the sync runs', (b) => b.includes('/v1/consents/$CONSENT/sync-runs"')),
    accounts: one('lists the accounts', (b) => b.includes('/v1/accounts?consentId=$CONSENT"')),
    changeFeed: one('reads the change feed', (b) => b.includes('/v1/transactions/sync?consentId=$CONSENT"')),
    refresh: one('refreshes with the user present', (b) => b.includes('/v1/consents/$CONSENT/refresh"')),
  };
}

/** The README's table of sandbox users: bank id → credentials. */
function readmeUsers(): Map<string, { username: string; password: string; otp: string }> {
  const users = new Map<string, { username: string; password: string; otp: string }>();
  for (const m of WALKTHROUGH.matchAll(/^\| [^|]+ \| `(\w+)` \| [^|]+ \| `([\w.-]+)` \| `([\w.-]+)` \| `(\d+)` \|$/gm))
    users.set(m[1], { username: m[2], password: m[3], otp: m[4] });
  return users;
}

/** Runs one README block with bash: the README's placeholder assignments (KEY=sk_…) take real values. */
function bash(block: string, vars: Record<string, string>): Promise<any> {
  const placeholders = new Set(Object.keys(vars));
  const lines = block.split('\n').filter((line) => {
    const name = /^([A-Z_]+)=/.exec(line)?.[1];
    return !(name && placeholders.has(name));
  });
  const script = ['set -euo pipefail', ...Object.entries(vars).map(([k, v]) => `${k}='${v}'`), ...lines].join('\n');
  return new Promise((resolve, reject) => {
    execFile('bash', ['-c', script], { timeout: 30_000 }, (error, stdout, stderr) => {
      if (error) return reject(new Error(`README command failed: ${error.message}\n${stderr}\n--- script:\n${script}`));
      try {
        resolve(JSON.parse(stdout));
      } catch {
        reject(new Error(`README command printed no JSON: ${stdout.slice(0, 500)}\n--- script:\n${script}`));
      }
    });
  });
}

interface Printed {
  api: string;
  sandbox: string;
  adminToken: string;
  apiKey: string;
}

/** `npm start` as a user runs it, in a process group of its own (Ctrl-C signals the whole group). */
class NpmStart {
  readonly output: string[] = [];
  private constructor(readonly child: ChildProcess) {}

  static async run(env: NodeJS.ProcessEnv): Promise<{ stack: NpmStart; printed: Printed }> {
    const child = spawn('npm', ['start'], { cwd: repoRoot, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const stack = new NpmStart(child);
    const text = () => stack.output.join('');
    child.stdout!.on('data', (d: Buffer) => stack.output.push(d.toString()));
    child.stderr!.on('data', (d: Buffer) => stack.output.push(d.toString()));
    const printed = await until(
      'npm start to print the demo credentials',
      () => {
        if (child.exitCode !== null) throw new Error(`npm start exited with ${child.exitCode}:\n${text()}`);
        const out = text();
        if (!/Try:\s+curl/.test(out)) return null;
        const field = (label: string) => new RegExp(`^\\s*${label}\\s+(\\S+)`, 'm').exec(out)?.[1];
        return {
          api: field('API')!.replace(/\/v1$/, ''),
          sandbox: field('Sandbox bank')!,
          adminToken: field('Admin token')!,
          apiKey: field('API key')!,
        };
      },
      300_000,
      250,
    );
    return { stack, printed };
  }

  /** Ctrl-C: SIGINT to the process group, as a terminal sends it; resolves with how npm ended. */
  async interrupt(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      this.child.once('exit', (code, signal) => resolve({ code, signal })),
    );
    process.kill(-this.child.pid!, 'SIGINT');
    return Promise.race([
      exited,
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error(`npm start did not stop within 30 s:\n${this.output.join('')}`)), 30_000),
      ),
    ]);
  }

  kill(): void {
    try {
      process.kill(-this.child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

const portFree = (port: number) =>
  new Promise<boolean>((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });

describe('the README path, at every sandbox bank, across a restart', () => {
  const commands = readmeCommands();
  const users = readmeUsers();
  const banks = ['allstar', 'alsalam', 'saltbank'];
  const runDir = mkdtempSync(path.join(tmpdir(), 'ais-journey-'));
  const database = `ais_t_journey_${randomBytes(4).toString('hex')}`;
  const hooks = new TestReceiver();
  let ports: StackPorts;
  let env: NodeJS.ProcessEnv;
  let browser: Browser;
  let stack: NpmStart | undefined;
  let printed: Printed;
  let webhookSecret: string;
  /** The consent taken at each bank before the restart. */
  const consents = new Map<string, string>();

  const vars = (extra: Record<string, string> = {}) => ({
    KEY: printed.apiKey,
    // The README's own API base, on this stack's port.
    API: /^API=(\S+)/m.exec(commands.variables)![1].replace(/:\d+$/, `:${ports.gateway}`),
    ...extra,
  });
  const api = async (p: string, init: { method?: string; body?: unknown } = {}) => {
    const res = await fetch(`${printed.api}${p}`, {
      method: init.method ?? 'GET',
      headers: {
        authorization: `Bearer ${printed.apiKey}`,
        ...(init.body ? { 'content-type': 'application/json' } : {}),
      },
      body: init.body ? JSON.stringify(init.body) : undefined,
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };

  async function start(): Promise<void> {
    ({ stack, printed } = await NpmStart.run(env));
  }

  /** README: create a consent, approve it in Chromium as the README's user, land on the demo page. */
  async function takeConsent(bank: string): Promise<string> {
    const user = users.get(bank)!;
    const created = await bash(commands.createConsent, vars({ BANK: bank }));
    if (created.status !== 'awaiting_authorisation')
      throw new Error(`POST /v1/consents at ${bank} answered ${JSON.stringify(created)}`);
    expect(created).toMatchObject({ providerId: bank, authorisationUrl: expect.any(String) });
    const landed = new URL(await actAsPsu(browser, created.authorisationUrl, user, 'approve'));
    expect(`${landed.origin}${landed.pathname}`).toBe(`${vars().API}/demo/callback`);
    expect(Object.fromEntries(landed.searchParams)).toMatchObject({
      consentId: created.id,
      status: 'authorised',
      state: 'hello',
    });
    expect(await bash(commands.getConsent, vars({ CONSENT: created.id }))).toMatchObject({
      id: created.id,
      status: 'authorised',
    });
    return created.id;
  }

  /** README: the consent's sync runs, until `count` succeeded (a failed one fails the test). */
  async function succeededRuns(consentId: string, count: number): Promise<any[]> {
    return until(
      `${count} successful sync(s) of ${consentId}`,
      async () => {
        const runs = (await bash(commands.syncRuns, vars({ CONSENT: consentId }))).data as any[];
        const failed = runs.find((r) => r.status === 'failed');
        if (failed) throw new Error(`a sync failed: ${JSON.stringify(failed)}`);
        const done = runs.filter((r) => r.status === 'succeeded');
        return done.length >= count ? done : null;
      },
      120_000,
      500,
    );
  }

  /** Counts and decimal sums per account and status, as the API serves them. */
  async function servedTotals(consentId: string) {
    const accounts = (await bash(commands.accounts, vars({ CONSENT: consentId }))).data as any[];
    const out = new Map<string, Record<'booked' | 'pending', { count: number; sum: string }>>();
    for (const account of accounts) {
      const txs: any[] = [];
      let cursor: string | null = null;
      do {
        const page: { status: number; body: any } = await api(
          `/v1/accounts/${account.id}/transactions?limit=500${cursor ? `&cursor=${cursor}` : ''}`,
        );
        expect(page.status).toBe(200);
        txs.push(...page.body.data);
        cursor = page.body.nextCursor;
      } while (cursor);
      const tally = (status: string) => {
        const of = txs.filter((t) => t.status === status);
        return { count: of.length, sum: of.reduce((s, t) => s.plus(t.amount.amount), new Decimal(0)).toString() };
      };
      out.set(account.externalId, { booked: tally('booked'), pending: tally('pending') });
    }
    return out;
  }

  /** The bank's own account (the sandbox's oracle) as it stood at an instant of its clock. */
  async function bankTotals(bank: string, from: string | null, at: string) {
    const res = await fetch(
      `${printed.sandbox}/${bank}/sandbox/psus/${users.get(bank)!.username}/summary?at=${encodeURIComponent(at)}${from ? `&from=${from}` : ''}`,
    );
    if (res.status !== 200)
      throw new Error(`the sandbox's summary at ${at} answered ${res.status}: ${await res.text()}`);
    const summary = (await res.json()) as {
      accounts: {
        accountId: string;
        booked: { count: number; sum: string };
        pending: { count: number; sum: string };
      }[];
    };
    return new Map(
      summary.accounts.map((a) => [
        a.accountId,
        {
          booked: { count: a.booked.count, sum: new Decimal(a.booked.sum).toString() },
          pending: { count: a.pending.count, sum: new Decimal(a.pending.sum).toString() },
        },
      ]),
    );
  }

  /**
   * The data the API serves equals the bank's, booked and pending, counts and sums. The bank's clock
   * runs (real time), so the comparison is with the bank as it stood during the sync; when something
   * happened at the bank while that sync ran, the user refreshes (README) and the next sync is compared.
   */
  async function expectBankDataServed(bank: string, consentId: string): Promise<void> {
    const consent = await bash(commands.getConsent, vars({ CONSENT: consentId }));
    for (let attempt = 1; ; attempt++) {
      const [run] = await succeededRuns(consentId, attempt);
      const atStart = await bankTotals(bank, consent.transactionsFrom, run.startedAt);
      const atEnd = await bankTotals(bank, consent.transactionsFrom, run.finishedAt);
      if (JSON.stringify([...atStart]) === JSON.stringify([...atEnd]) || attempt === 3) {
        expect(Object.fromEntries(await servedTotals(consentId))).toEqual(Object.fromEntries(atEnd));
        return;
      }
      await bash(commands.refresh, vars({ CONSENT: consentId }));
    }
  }

  beforeAll(async () => {
    ports = await freeStackPorts();
    const base = new URL(process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres');
    base.pathname = `/${database}`;
    env = {
      ...process.env,
      DATABASE_URL: base.toString(),
      REDIS_PREFIX: `journey${randomBytes(3).toString('hex')}`,
      AIS_RUN_DIR: runDir,
      LOG_LEVEL: 'info',
    };
    // As a user's shell: no NODE_ENV (Jest sets "test"), and npm start makes its own secrets (in
    // AIS_RUN_DIR, kept across the restart).
    for (const name of ['NODE_ENV', 'ADMIN_TOKEN', 'ENCRYPTION_KEYS', 'JEST_WORKER_ID']) delete env[name];
    for (const [key, name] of Object.entries(STACK_PORT_VARS) as [keyof StackPorts, string][])
      env[name] = String(ports[key]);
    // The demo receiver's port, which npm start allows webhooks to (and no other local port).
    env[DEMO_WEBHOOK_PORT_VAR] = String(await freePort());
    browser = await launchChromium();
    await hooks.start(Number(env[DEMO_WEBHOOK_PORT_VAR]));
    await start();
    const webhook = await api('/v1/webhooks', {
      method: 'POST',
      body: { url: `${hooks.url}/hooks`, events: ['transactions.added'] },
    });
    expect(webhook.status).toBe(201);
    webhookSecret = webhook.body.secret;
  });

  afterAll(async () => {
    stack?.kill();
    await browser?.close();
    await hooks.stop();
    rmSync(runDir, { recursive: true, force: true });
    const admin = new URL(env?.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres');
    admin.pathname = '/postgres';
    const client = new pg.Client({ connectionString: admin.toString() });
    await client.connect();
    await client.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
    await client.end();
  });

  it('the README names a sandbox user for each bank', () => {
    expect([...users.keys()].sort()).toEqual([...banks].sort());
  });

  it.each(banks)(
    '%s: a consent as the README takes it, the first sync equal to the bank, a signed webhook',
    async (bank) => {
      const consentId = await takeConsent(bank);
      consents.set(bank, consentId);
      await expectBankDataServed(bank, consentId);

      const feed = await bash(commands.changeFeed, vars({ CONSENT: consentId }));
      expect(feed.added.length).toBeGreaterThan(0);

      const delivered = await until(
        `a transactions.added webhook for ${consentId}`,
        () =>
          hooks.received.find((r) => {
            const body = JSON.parse(r.body);
            return body.type === 'transactions.added' && body.data.consentId === consentId;
          }),
        60_000,
        250,
      );
      expect(verifyStandardWebhook(webhookSecret, delivered.headers, delivered.body)).toEqual({ ok: true });
      // The SDK's helper verifies the same delivery and types it.
      const event = verifyWebhook(webhookSecret, delivered.headers, delivered.body);
      expect(event.type).toBe('transactions.added');
      expect(() => verifyWebhook(webhookSecret, delivered.headers, `${delivered.body} `)).toThrow();
    },
  );

  it('the TypeScript quick start with @ais/client, as the README shows and runs it', async () => {
    const shown = /```ts\n([\s\S]*?)```/.exec(SDK)?.[1];
    expect(shown).toBe(readFileSync(path.join(repoRoot, 'examples/quickstart.ts'), 'utf8'));
    const command = /```bash\n[\s\S]*?^(AIS_API_KEY=\S+ BANK=(\w+) (node dist\/examples\/quickstart\.js))$/m.exec(SDK);
    expect(command).not.toBeNull();
    const bank = command![2];
    const child = spawn('bash', ['-c', command![3]], {
      cwd: repoRoot,
      env: { ...process.env, AIS_API_KEY: printed.apiKey, AIS_URL: vars().API, BANK: bank },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    try {
      const url = await until(
        'the quick start to print an authorisation URL',
        () => {
          if (child.exitCode !== null) throw new Error(`the quick start exited with ${child.exitCode}:\n${out}`);
          return /approve: (\S+)/.exec(out)?.[1];
        },
        60_000,
        100,
      );
      expect(out).toMatch(/banks: .*allstar.*alsalam.*saltbank|banks: .*allstar/);
      await actAsPsu(browser, url, users.get(bank)!, 'approve');
      expect(await Promise.race([exited, new Promise((r) => setTimeout(() => r('timeout'), 120_000))])).toBe(0);
    } finally {
      child.kill();
    }
    const summary = JSON.parse(out.trim().split('\n').pop()!) as {
      consentId: string;
      accounts: { account: string; transactions: string[] }[];
    };
    // What the SDK read is what the API serves.
    const accounts = (await api(`/v1/accounts?consentId=${summary.consentId}`)).body.data as { id: string }[];
    expect(summary.accounts.map((a) => a.account).sort()).toEqual(accounts.map((a) => a.id).sort());
    for (const a of summary.accounts) {
      expect(a.transactions.length).toBeGreaterThan(0);
      for (const t of a.transactions) expect(t).toMatch(/^\d{4}-\d{2}-\d{2} -?\d+\.\d{2,} [A-Z]{3}$/);
    }
  });

  it('Ctrl-C stops the whole stack, and npm start again brings it back with every bank still working', async () => {
    // npm ends as a Ctrl-C'd program does (by the signal, or 0 when the script exited first)...
    const ended = await stack!.interrupt();
    expect(ended.signal === 'SIGINT' || ended.code === 0).toBe(true);
    expect(stack!.output.join('')).toContain('Stopping…');
    // ...and nothing of the stack is left listening.

    for (const port of Object.values(ports)) expect(await portFree(port)).toBe(true);
    stack = undefined;

    await start();
    for (const bank of banks) {
      // An existing consent syncs again, with the end user present (README: refresh).
      const consentId = consents.get(bank)!;
      const before = (await succeededRuns(consentId, 1)).length;
      const accepted = await bash(commands.refresh, vars({ CONSENT: consentId }));
      expect(accepted).toMatchObject({ syncRunId: expect.any(String) });
      await succeededRuns(consentId, before + 1);
      // And a new consent at the same bank works end to end.
      const again = await takeConsent(bank);
      await expectBankDataServed(bank, again);
    }
  });
});
