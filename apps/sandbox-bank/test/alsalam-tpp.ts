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
  tppKeys,
  type Http,
  type TppKeys,
} from './harness.js';

export const ALSALAM_REDIRECT = 'https://tpp.example/bh-callback';

/** A TPP onboarded at Al Salam through the sandbox developer portal (private_key_jwt). */
export class AlSalamTpp {
  clientId = '';

  constructor(
    readonly s: RunningSandbox,
    readonly keys: TppKeys,
  ) {}

  static async onboard(s: RunningSandbox): Promise<AlSalamTpp> {
    const tpp = new AlSalamTpp(s, await tppKeys('RS256'));
    const r = await http(`${s.url}/alsalam/sandbox/clients`, {
      method: 'POST',
      headers: JSON_CT,
      body: JSON.stringify({ client_name: 'BH TPP', redirect_uris: [ALSALAM_REDIRECT], jwks: tpp.keys.jwks }),
    });
    if (r.status !== 201) throw new Error(`onboard ${r.status} ${r.text}`);
    tpp.clientId = r.json.client_id;
    return tpp;
  }

  async tokenRequest(fields: Record<string, string>): Promise<Http> {
    const assertion = await clientAssertion(this.keys, this.clientId, `${this.s.url}/alsalam/as/token.oauth2`);
    return http(`${this.s.url}/alsalam/as/token.oauth2`, {
      method: 'POST',
      headers: FORM,
      body: form({
        ...fields,
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: assertion,
      }),
    });
  }

  async clientToken(): Promise<string> {
    const r = await this.tokenRequest({ grant_type: 'client_credentials', scope: 'accounts' });
    if (r.status !== 200) throw new Error(`token ${r.status} ${r.text}`);
    return r.json.access_token;
  }

  async createConsent(permissions = ALL_OBIE_PERMISSIONS): Promise<Http> {
    return http(`${this.s.url}/alsalam/api/account-access-consents`, {
      method: 'POST',
      headers: { ...JSON_CT, authorization: `Bearer ${await this.clientToken()}` },
      body: JSON.stringify({
        Data: { Permissions: permissions, ExpirationDateTime: '2026-06-01T00:00:00+00:00' },
        Risk: {},
      }),
    });
  }

  async authorisedConsent(
    permissions = ALL_OBIE_PERMISSIONS,
    psu: { username: string; password: string; otp: string } = PSUS.fatima,
  ) {
    const c = await this.createConsent(permissions);
    const consentId: string = c.json.Data.ConsentId;
    const authpage = `${c.json.Links.Self}?client_id=${this.clientId}&redirect_uri=${encodeURIComponent(ALSALAM_REDIRECT)}&state=bh-state`;
    const start = await http(authpage);
    if (start.status !== 302) throw new Error(`authpage ${start.status} ${start.text}`);
    const final = await drivePsuPages(this.s.url, start.location!, psu);
    const code = new URL(final).searchParams.get('code')!;
    const t = await this.tokenRequest({ grant_type: 'authorization_code', code });
    if (t.status !== 200) throw new Error(`code ${t.status} ${t.text}`);
    return { consentId, token: t.json.access_token as string, tokens: t.json, final };
  }

  get(path: string, token: string, headers: Record<string, string> = {}): Promise<Http> {
    return http(`${this.s.url}/alsalam${path}`, { headers: { authorization: `Bearer ${token}`, ...headers } });
  }
}
