import { Controller, Get, Inject, Query, Req, Res } from '@nestjs/common';
import { ApiExcludeEndpoint, ApiFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RpcClient } from '@ais/rpc';
import { CONSENT_RPC } from '../tokens.js';

// OIDC hybrid flows return the response in the URL fragment, which never reaches a server: this page
// moves it into the query string and reloads (the same data, now readable server-side).
const FRAGMENT_SCRIPT =
  "(function(){var h=location.hash.slice(1);if(h){location.replace(location.pathname+'?'+h);}else{document.getElementById('m').textContent='The bank sent no authorisation response.';}})();";
const FRAGMENT_SCRIPT_HASH = createHash('sha256').update(FRAGMENT_SCRIPT).digest('base64');
const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(title: string, body: string, script = ''): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;color:#1f2937}h1{font-size:1.25rem}</style></head>
<body><h1>${escapeHtml(title)}</h1><p id="m">${body}</p>${script ? `<script>${script}</script><noscript>JavaScript is needed to finish the authorisation.</noscript>` : ''}</body></html>`;
}

/** The redirect URI registered at the banks. No tenant auth: the single-use state is the credential. */
@ApiTags('Consents')
@Controller('v1/callback')
export class CallbackController {
  constructor(@Inject(CONSENT_RPC) private readonly consentService: RpcClient) {}

  @Get()
  @ApiOkResponse({
    description: 'Without state, code or error (the bank put them in the URL fragment): a page that sends them on.',
    content: { 'text/html': { schema: { type: 'string' } } },
  })
  @ApiFoundResponse({
    description: 'To the tenant’s redirectUri with consentId, status, state and, on failure, error.',
    headers: { location: { schema: { type: 'string', format: 'uri' } } },
  })
  @ApiOperation({
    summary:
      'The banks redirect the end user here; it finishes the authorisation and redirects (302) to the tenant’s redirectUri with consentId, status, state and, on failure, error.',
  })
  async callback(
    @Query() query: Record<string, unknown>,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    void reply
      .header('cache-control', 'no-store')
      .header('referrer-policy', 'no-referrer')
      .header('x-content-type-options', 'nosniff');
    const params: Record<string, string> = {};
    for (const [key, value] of Object.entries(query))
      if (typeof value === 'string' && key.length <= 64) params[key] = value.slice(0, 8192);
    if (!params['state'] && !params['code'] && !params['error']) {
      void reply
        .header(
          'content-security-policy',
          `default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-${FRAGMENT_SCRIPT_HASH}'`,
        )
        .type('text/html; charset=utf-8')
        .send(page('Completing authorisation…', 'Completing authorisation…', FRAGMENT_SCRIPT));
      return;
    }
    const outcome = await this.consentService.send(
      'consent-service.completeAuthorisation',
      {
        params,
        psuIpAddress: req.ip,
        ...(typeof req.headers['user-agent'] === 'string'
          ? { userAgent: req.headers['user-agent'].slice(0, 300) }
          : {}),
      },
      60_000,
    );
    if (!outcome.redirectTo) {
      void reply
        .status(400)
        .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'")
        .type('text/html; charset=utf-8')
        .send(
          page(
            'This authorisation link is no longer valid',
            'It was already used, has expired or was never issued. Nothing was authorised. Start again from the app that sent you to your bank.',
          ),
        );
      return;
    }
    void reply.redirect(outcome.redirectTo, 302);
  }
}

/** A landing page for the demo tenant's redirect URI (npm start), showing the outcome. */
@Controller('demo/callback')
export class DemoCallbackController {
  @Get()
  @ApiExcludeEndpoint()
  show(@Query() query: Record<string, string>, @Res() reply: FastifyReply): void {
    const rows = ['consentId', 'status', 'state', 'error']
      .filter((k) => typeof query[k] === 'string')
      .map(
        (k) =>
          `<tr><th style="text-align:left;padding-right:1rem">${k}</th><td><code>${escapeHtml(query[k])}</code></td></tr>`,
      )
      .join('');
    void reply
      .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'")
      .type('text/html; charset=utf-8')
      .send(
        page(
          'Back at the demo app',
          `The bank sent the end user back to the tenant.</p><table>${rows}</table><p>Fetch <code>GET /v1/consents/${escapeHtml(query['consentId'] ?? '{id}')}</code> with the demo API key to see it.`,
        ),
      );
  }
}
