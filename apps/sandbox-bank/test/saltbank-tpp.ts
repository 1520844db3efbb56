import { randomUUID } from 'node:crypto';
import { Agent } from 'undici';
import type { RunningSandbox } from '../src/sandbox.js';
import { drivePsuPages, form, FORM, http, JSON_CT, pkce, PSUS, tppKeys, type Http } from './harness.js';

export const SALT_REDIRECT = 'https://tpp.example/bg-callback';

export function bgHeaders(extra: Record<string, string> = {}): Record<string, string> {
  return { 'x-request-id': randomUUID(), ...extra };
}

export function consentBody(overrides: Record<string, unknown> = {}, today = '2026-03-10'): Record<string, unknown> {
  const until = new Date(Date.parse(today) + 90 * 86_400_000).toISOString().slice(0, 10);
  return {
    access: { allPsd2: 'allAccounts' },
    recurringIndicator: true,
    validUntil: until,
    frequencyPerDay: 4,
    combinedServiceIndicator: false,
    ...overrides,
  };
}

/** The TPP's QWAC stand-in: a client certificate from the sandbox directory's CA, as an mTLS agent. */
export async function qwacAgent(s: RunningSandbox): Promise<Agent> {
  const keys = await tppKeys('ES256');
  const ssa = await http(`${s.url}/directory/software-statements`, {
    method: 'POST',
    headers: JSON_CT,
    body: JSON.stringify({ client_name: 'BG TPP', redirect_uris: [SALT_REDIRECT], jwks: keys.jwks }),
  });
  if (ssa.status !== 201) throw new Error(`SSA ${ssa.status} ${ssa.text}`);
  const cert = await http(`${s.url}/directory/certificates`, {
    method: 'POST',
    headers: JSON_CT,
    body: JSON.stringify({ software_id: ssa.json.software_id }),
  });
  if (cert.status !== 201) throw new Error(`certificate ${cert.status} ${cert.text}`);
  return new Agent({
    connect: { ca: cert.json.ca_pem, cert: cert.json.certificate_pem, key: cert.json.private_key_pem },
  });
}

/**
 * A TPP onboarded at Salt Bank through the sandbox developer portal (public client, PKCE). XS2A calls
 * (`/saltbank/v1/*`) go over mutual TLS with its QWAC (seed 002); OAuth and the PSU pages stay on the
 * plain listener.
 */
export class SaltTpp {
  clientId = '';
  qwac!: Agent;

  constructor(readonly s: RunningSandbox) {}

  static async onboard(s: RunningSandbox): Promise<SaltTpp> {
    const tpp = new SaltTpp(s);
    const r = await http(`${s.url}/saltbank/sandbox/clients`, {
      method: 'POST',
      headers: JSON_CT,
      body: JSON.stringify({ client_name: 'BG TPP', redirect_uris: [SALT_REDIRECT] }),
    });
    if (r.status !== 201) throw new Error(`onboard ${r.status} ${r.text}`);
    tpp.clientId = r.json.client_id;
    tpp.qwac = await qwacAgent(s);
    return tpp;
  }

  /** The XS2A URL of a path (`/v1/…` or `/saltbank/v1/…`) on the mTLS listener. */
  xs2aUrl(path: string): string {
    if (!this.s.mtlsUrl)
      throw new Error("Salt Bank's XS2A API answers on the mTLS listener only: start the sandbox with mtlsEnabled");
    return `${this.s.mtlsUrl}${path.startsWith('/saltbank') ? path : `/saltbank${path}`}`;
  }

  /** An XS2A call with the QWAC. */
  xs2a(path: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Http> {
    return http(this.xs2aUrl(path), { ...init, dispatcher: this.qwac });
  }

  createConsent(body: Record<string, unknown> = consentBody(), headers: Record<string, string> = {}): Promise<Http> {
    return this.xs2a('/v1/consents', {
      method: 'POST',
      headers: {
        ...JSON_CT,
        ...bgHeaders({ 'psu-ip-address': '192.168.8.78', 'tpp-redirect-uri': SALT_REDIRECT }),
        ...headers,
      },
      body: JSON.stringify(body),
    });
  }

  async authorise(
    consentId: string,
    psu = PSUS.max,
    pick?: (ids: string[]) => string[],
    decision: 'approve' | 'deny' = 'approve',
  ) {
    const { verifier, challenge } = pkce();
    const q = new URLSearchParams({
      response_type: 'code',
      client_id: this.clientId,
      scope: `AIS:${consentId}`,
      state: 'bg-state',
      redirect_uri: SALT_REDIRECT,
      code_challenge: challenge,
      code_challenge_method: 'S256',
    });
    const start = await http(`${this.s.url}/saltbank/oauth/authorize?${q.toString()}`);
    if (start.status !== 302) throw new Error(`authorize ${start.status} ${start.text}`);
    const final = await drivePsuPages(this.s.url, start.location!, { ...psu, accountIds: pick, decision });
    return { final, verifier };
  }

  token(code: string, verifier: string): Promise<Http> {
    return http(`${this.s.url}/saltbank/oauth/token`, {
      method: 'POST',
      headers: FORM,
      body: form({
        grant_type: 'authorization_code',
        client_id: this.clientId,
        code,
        redirect_uri: SALT_REDIRECT,
        code_verifier: verifier,
      }),
    });
  }

  async validConsent(body = consentBody(), psu = PSUS.max) {
    const c = await this.createConsent(body);
    if (c.status !== 201) throw new Error(`consent ${c.status} ${c.text}`);
    const consentId: string = c.json.consentId;
    const { final, verifier } = await this.authorise(consentId, psu);
    const t = await this.token(new URL(final).searchParams.get('code')!, verifier);
    if (t.status !== 200) throw new Error(`token ${t.status} ${t.text}`);
    return { consentId, token: t.json.access_token as string, refresh: t.json.refresh_token as string };
  }

  get(path: string, token: string, consentId: string, headers: Record<string, string> = {}): Promise<Http> {
    return this.xs2a(path, {
      headers: { ...bgHeaders(), authorization: `Bearer ${token}`, 'consent-id': consentId, ...headers },
    });
  }
}
