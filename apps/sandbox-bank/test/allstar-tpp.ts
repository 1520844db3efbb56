import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { Agent } from 'undici';
import type { RunningSandbox } from '../src/sandbox.js';
import {
  ALL_OBIE_PERMISSIONS,
  clientAssertion,
  drivePsuPages,
  form,
  FORM,
  http,
  JSON_CT,
  PSUS,
  redirectParams,
  tppKeys,
  type Http,
  type TppKeys,
} from './harness.js';

export const ALLSTAR_ORG = '0015800000jf9HeAAI';
export const REDIRECT = 'https://tpp.example/callback';

/** A TPP onboarded at Allstar through the sandbox directory and DCR. */
export class AllstarTpp {
  clientId = '';
  clientSecret = '';
  softwareId = '';
  orgId = '';
  mtls?: Agent;
  registration: any;

  constructor(
    readonly s: RunningSandbox,
    readonly keys: TppKeys,
    readonly method: 'client_secret_basic' | 'private_key_jwt' | 'tls_client_auth',
  ) {}

  static async onboard(s: RunningSandbox, method: AllstarTpp['method'] = 'client_secret_basic'): Promise<AllstarTpp> {
    const tpp = new AllstarTpp(s, await tppKeys(), method);
    const ssa = await http(`${s.url}/directory/software-statements`, {
      method: 'POST',
      headers: JSON_CT,
      body: JSON.stringify({ client_name: 'Test TPP', redirect_uris: [REDIRECT], jwks: tpp.keys.jwks }),
    });
    if (ssa.status !== 201) throw new Error(`SSA: ${ssa.status} ${ssa.text}`);
    tpp.softwareId = ssa.json.software_id;
    tpp.orgId = ssa.json.org_id;
    const cert = await http(`${s.url}/directory/certificates`, {
      method: 'POST',
      headers: JSON_CT,
      body: JSON.stringify({ software_id: tpp.softwareId }),
    });
    tpp.mtls = new Agent({
      connect: { ca: cert.json.ca_pem, cert: cert.json.certificate_pem, key: cert.json.private_key_pem },
    });
    const reg = await tpp.register(
      { tls_client_auth_subject_dn: method === 'tls_client_auth' ? cert.json.subject_dn : undefined },
      ssa.json.software_statement,
    );
    if (reg.status !== 201) throw new Error(`DCR: ${reg.status} ${reg.text}`);
    tpp.registration = reg.json;
    tpp.clientId = reg.json.client_id;
    tpp.clientSecret = reg.json.client_secret;
    return tpp;
  }

  async registrationJwt(overrides: Record<string, unknown>, ssa: string): Promise<string> {
    const claims: Record<string, unknown> = {
      iss: this.softwareId,
      aud: ALLSTAR_ORG,
      jti: randomUUID(),
      redirect_uris: [REDIRECT],
      token_endpoint_auth_method: this.method,
      token_endpoint_auth_signing_alg: 'PS256',
      grant_types: ['client_credentials', 'authorization_code', 'refresh_token'],
      response_types: ['code id_token'],
      software_id: this.softwareId,
      scope: 'openid accounts',
      software_statement: ssa,
      application_type: 'web',
      id_token_signed_response_alg: 'PS256',
      request_object_signing_alg: 'PS256',
      ...overrides,
    };
    for (const [k, v] of Object.entries(claims)) if (v === undefined) delete claims[k];
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'PS256', kid: this.keys.kid })
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(this.keys.privateKey);
  }

  async register(overrides: Record<string, unknown>, ssa: string): Promise<Http> {
    return http(`${this.s.url}/allstar/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/jwt' },
      body: await this.registrationJwt(overrides, ssa),
    });
  }

  /** Token endpoint URL and dispatcher for this client's auth method (tls_client_auth needs the mTLS port). */
  private tokenCall(): { url: string; dispatcher?: Agent } {
    return this.method === 'tls_client_auth'
      ? { url: `${this.s.mtlsUrl}/allstar/token`, dispatcher: this.mtls }
      : { url: `${this.s.url}/allstar/token` };
  }

  async tokenRequest(fields: Record<string, string>, opts: { mtls?: boolean } = {}): Promise<Http> {
    const call = opts.mtls ? { url: `${this.s.mtlsUrl}/allstar/token`, dispatcher: this.mtls } : this.tokenCall();
    const headers: Record<string, string> = { ...FORM };
    const body: Record<string, string> = { ...fields };
    if (this.method === 'client_secret_basic')
      headers.authorization = `Basic ${Buffer.from(`${this.clientId}:${this.clientSecret}`).toString('base64')}`;
    else if (this.method === 'private_key_jwt') {
      body.client_assertion_type = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
      body.client_assertion = await clientAssertion(this.keys, this.clientId, `${this.s.url}/allstar/token`);
    } else body.client_id = this.clientId;
    return http(call.url, { method: 'POST', headers, body: form(body), dispatcher: call.dispatcher });
  }

  async clientToken(): Promise<string> {
    const r = await this.tokenRequest({ grant_type: 'client_credentials', scope: 'accounts' });
    if (r.status !== 200) throw new Error(`token: ${r.status} ${r.text}`);
    return r.json.access_token;
  }

  aisBase(mtls = false): string {
    return `${mtls ? this.s.mtlsUrl : this.s.url}/allstar/open-banking/v3.1/aisp`;
  }

  async createConsent(permissions = ALL_OBIE_PERMISSIONS, extra: Record<string, unknown> = {}): Promise<Http> {
    const token = await this.clientToken();
    return http(`${this.aisBase(this.method === 'tls_client_auth')}/account-access-consents`, {
      method: 'POST',
      headers: { ...JSON_CT, authorization: `Bearer ${token}`, 'x-fapi-interaction-id': randomUUID() },
      body: JSON.stringify({ Data: { Permissions: permissions, ...extra }, Risk: {} }),
      dispatcher: this.method === 'tls_client_auth' ? this.mtls : undefined,
    });
  }

  async requestObject(consentId: string, claims: Record<string, unknown> = {}): Promise<string> {
    return new SignJWT({
      client_id: this.clientId,
      response_type: 'code id_token',
      redirect_uri: REDIRECT,
      scope: 'openid accounts',
      state: 'st-123',
      nonce: 'n-456',
      claims: {
        id_token: {
          openbanking_intent_id: { value: consentId, essential: true },
          acr: { essential: true, values: ['urn:openbanking:psd2:sca'] },
        },
      },
      ...claims,
    })
      .setProtectedHeader({ alg: 'PS256', kid: this.keys.kid })
      .setIssuer(this.clientId)
      .setAudience(`${this.s.url}/allstar`)
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(this.keys.privateKey);
  }

  async authorizeUrl(
    consentId: string,
    claims: Record<string, unknown> = {},
    query: Record<string, string> = {},
  ): Promise<string> {
    const q = new URLSearchParams({
      client_id: this.clientId,
      response_type: 'code id_token',
      scope: 'openid accounts',
      redirect_uri: REDIRECT,
      request: await this.requestObject(consentId, claims),
      ...query,
    });
    return `${this.s.url}/allstar/authorize?${q.toString()}`;
  }

  /** Creates a consent, takes it through the PSU pages and exchanges the code: the full hybrid flow. */
  async authorisedConsent(
    opts: {
      permissions?: string[];
      psu?: typeof PSUS.alice;
      pick?: (ids: string[]) => string[];
      extra?: Record<string, unknown>;
    } = {},
  ) {
    const consent = await this.createConsent(opts.permissions, opts.extra);
    if (consent.status !== 201) throw new Error(`consent: ${consent.status} ${consent.text}`);
    const consentId: string = consent.json.Data.ConsentId;
    const start = await http(await this.authorizeUrl(consentId));
    if (start.status !== 302) throw new Error(`authorize: ${start.status} ${start.text}`);
    const final = await drivePsuPages(this.s.url, start.location!, {
      ...(opts.psu ?? PSUS.alice),
      accountIds: opts.pick,
    });
    const params = redirectParams(final);
    const tokens = await this.tokenRequest({
      grant_type: 'authorization_code',
      code: params.get('code')!,
      redirect_uri: REDIRECT,
    });
    if (tokens.status !== 200) throw new Error(`code exchange: ${tokens.status} ${tokens.text}`);
    return { consentId, redirect: final, params, tokens: tokens.json, accessToken: tokens.json.access_token as string };
  }

  get(
    path: string,
    token: string,
    headers: Record<string, string> = {},
    mtls = this.method === 'tls_client_auth',
  ): Promise<Http> {
    const url = path.startsWith('http') ? path : `${this.aisBase(mtls)}${path}`;
    return http(url, {
      headers: { authorization: `Bearer ${token}`, ...headers },
      dispatcher: mtls ? this.mtls : undefined,
    });
  }
}
