import { Controller, Get, Param, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { escapeHtml, sendHtml } from '../core/http.js';
import { BANK_IDS, isBankId } from '../data/banks.js';
import { page } from '../consent-page/html.js';
import { SandboxContext } from '../sandbox-context.js';

const ENTRY: Record<string, string> = {
  allstar:
    'OIDC discovery: <code>/allstar/.well-known/openid-configuration</code>; DCR: <code>POST /allstar/register</code>; AIS: <code>/allstar/open-banking/v3.1/aisp</code>',
  alsalam:
    'Onboarding: <code>POST /alsalam/sandbox/clients</code>; token: <code>POST /alsalam/as/token.oauth2</code>; consents: <code>/alsalam/api/account-access-consents</code>',
  saltbank:
    'Onboarding: <code>POST /saltbank/sandbox/clients</code>; consents: <code>/saltbank/v1/consents</code>; OAuth metadata: <code>/saltbank/.well-known/oauth-authorization-server</code>',
};

/** Landing pages: the bank list, and per bank its sandbox PSUs with passwords and OTPs. */
@Controller()
export class LandingController {
  constructor(private readonly ctx: SandboxContext) {}

  @Get()
  index(@Res() reply: FastifyReply) {
    const rows = BANK_IDS.map((id) => {
      const b = this.ctx.bank(id);
      return `<tr><td><a href="/${id}">${escapeHtml(b.profile.name)}</a></td><td>${b.profile.standard === 'obie' ? 'UK OBIE 3.1' : 'Berlin Group 1.3.12'}</td><td>${b.profile.currency}</td><td>${ENTRY[id]}</td></tr>`;
    }).join('');
    sendHtml(
      reply,
      200,
      page(
        null,
        'Sandbox banks',
        `<h1>Sandbox banks</h1><table><tr><th>Bank</th><th>Standard</th><th>Currency</th><th>Entry points</th></tr>${rows}</table>
<p class="muted">Directory (software statements, transport certificates): <code>/directory</code>. See apps/sandbox-bank/README.md.</p>`,
      ),
    );
  }

  @Get(':bank')
  bank(@Param('bank') id: string, @Res() reply: FastifyReply) {
    if (!isBankId(id))
      return sendHtml(
        reply,
        404,
        page(null, 'Not found', '<h1>No such bank</h1><p><a href="/">All sandbox banks</a></p>'),
      );
    const b = this.ctx.bank(id);
    const rows = b.profile.psus
      .map((p) => {
        const accounts = b.data
          .accountsOf(p.username)
          .map(
            (a) =>
              `${escapeHtml(a.nickname)} (${a.kind.replace('_', ' ')}, ${escapeHtml(a.identifiers[0]?.identification ?? '')})`,
          )
          .join('<br>');
        return `<tr><td><code>${escapeHtml(p.username)}</code></td><td><code>${escapeHtml(p.password)}</code></td><td><code>${escapeHtml(p.otp)}</code></td><td>${escapeHtml(p.name)}</td><td>${accounts}</td></tr>`;
      })
      .join('');
    sendHtml(
      reply,
      200,
      page(
        b.profile,
        'Sandbox PSUs',
        `<h1>${escapeHtml(b.profile.name)} sandbox</h1><p>${ENTRY[id]}</p>
<h2>PSUs</h2><table class="psus"><tr><th>Username</th><th>Password</th><th>OTP</th><th>Name</th><th>Accounts</th></tr>${rows}</table>
<p class="muted">As JSON: <a href="/${id}/sandbox/psus"><code>/${id}/sandbox/psus</code></a>. Bank clock: ${escapeHtml(new Date(b.now()).toISOString())} (${escapeHtml(b.profile.timeZone)}).</p>`,
      ),
    );
  }
}
