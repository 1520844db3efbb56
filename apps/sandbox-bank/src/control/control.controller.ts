import { Controller, Delete, Get, Param, Patch, Post, Put, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { faultPatchSchema } from '../core/faults.js';
import { MalformedBody, query, sendJson } from '../core/http.js';
import { localDate } from '../core/time.js';
import { BANK_IDS, isBankId } from '../data/banks.js';
import { OAuthService } from '../oauth/oauth.service.js';
import { SandboxContext, type BankRuntime } from '../sandbox-context.js';

const clockSchema = z
  .object({ now: z.iso.datetime({ offset: true }).optional(), scale: z.number().positive().max(1_000_000).optional() })
  .strict();
const advanceSchema = z
  .object({
    seconds: z.number().optional(),
    minutes: z.number().optional(),
    hours: z.number().optional(),
    days: z.number().optional(),
  })
  .strict()
  .refine((v) => Object.keys(v).length > 0, 'give seconds, minutes, hours or days');
const resetSchema = z
  .object({
    clockStart: z.iso.datetime({ offset: true }).optional(),
    clockScale: z.number().positive().max(1_000_000).optional(),
  })
  .strict();

/**
 * The sandbox control (admin) API: PSUs and the summary oracle, clocks, fault knobs, access counters,
 * bank-side consent revocation and expiry, and the reset of the whole sandbox. No authentication: it
 * is a test double.
 */
@Controller()
export class ControlController {
  constructor(
    private readonly ctx: SandboxContext,
    private readonly oauth: OAuthService,
  ) {}

  private bankOr404(id: string, reply: FastifyReply): BankRuntime | undefined {
    if (isBankId(id)) return this.ctx.bank(id);
    sendJson(reply, 404, { error: 'not_found', error_description: `No bank ${id}; banks: ${BANK_IDS.join(', ')}` });
    return undefined;
  }

  private body<T>(req: FastifyRequest, reply: FastifyReply, schema: z.ZodType<T>): T | undefined {
    if (req.body instanceof MalformedBody) {
      sendJson(reply, 400, { error: 'invalid_request', error_description: 'The body is not valid JSON' });
      return undefined;
    }
    const parsed = schema.safeParse(req.body ?? {});
    if (!parsed.success) {
      sendJson(reply, 400, {
        error: 'invalid_request',
        error_description: parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '),
      });
      return undefined;
    }
    return parsed.data;
  }

  private clockView(bank: BankRuntime) {
    return {
      bank: bank.id,
      ...bank.clock.toJSON(),
      timeZone: bank.profile.timeZone,
      localDate: localDate(bank.now(), bank.profile.timeZone),
    };
  }

  @Get(':bank/sandbox/psus')
  psus(@Param('bank') id: string, @Res() reply: FastifyReply) {
    const bank = this.bankOr404(id, reply);
    if (!bank) return;
    sendJson(reply, 200, {
      bank: bank.id,
      psus: bank.profile.psus.map((p) => ({
        username: p.username,
        password: p.password,
        otp: p.otp,
        name: p.name,
        accounts: bank.data.accountsOf(p.username).map((a) => ({
          accountId: a.id,
          kind: a.kind,
          currency: a.currency,
          nickname: a.nickname,
          identifiers: a.identifiers,
        })),
      })),
    });
  }

  @Get(':bank/sandbox/psus/:username/summary')
  summary(
    @Param('bank') id: string,
    @Param('username') username: string,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
  ) {
    const bank = this.bankOr404(id, reply);
    if (!bank) return;
    if (!bank.data.psu(username)) return sendJson(reply, 404, { error: 'not_found', error_description: 'No such PSU' });
    const { from, at } = query(req);
    if (from !== undefined && (!/^\d{4}-\d{2}-\d{2}$/.test(from) || Number.isNaN(Date.parse(from))))
      return sendJson(reply, 400, { error: 'invalid_request', error_description: 'from must be YYYY-MM-DD' });
    // `at`: the account as it stood at an earlier instant of the bank's clock (what a sync saw).
    const atMs = at === undefined ? bank.now() : Date.parse(at);
    if (at !== undefined && (!/^\d{4}-\d{2}-\d{2}T/.test(at) || Number.isNaN(atMs) || atMs > bank.now())) {
      return sendJson(reply, 400, {
        error: 'invalid_request',
        error_description: 'at must be an ISO instant no later than the bank clock',
      });
    }
    sendJson(reply, 200, bank.data.summary(username, atMs, from));
  }

  @Get(':bank/sandbox/clock')
  getClock(@Param('bank') id: string, @Res() reply: FastifyReply) {
    const bank = this.bankOr404(id, reply);
    if (bank) sendJson(reply, 200, this.clockView(bank));
  }

  @Put(':bank/sandbox/clock')
  setClock(@Param('bank') id: string, @Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    const bank = this.bankOr404(id, reply);
    const body = bank && this.body(req, reply, clockSchema);
    if (!bank || !body) return;
    bank.clock.set(body.now ? Date.parse(body.now) : bank.now(), body.scale ?? bank.clock.scale);
    sendJson(reply, 200, this.clockView(bank));
  }

  @Post(':bank/sandbox/clock/advance')
  advance(@Param('bank') id: string, @Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    const bank = this.bankOr404(id, reply);
    const body = bank && this.body(req, reply, advanceSchema);
    if (!bank || !body) return;
    bank.clock.advance(
      ((body.days ?? 0) * 86_400 + (body.hours ?? 0) * 3600 + (body.minutes ?? 0) * 60 + (body.seconds ?? 0)) * 1000,
    );
    sendJson(reply, 200, this.clockView(bank));
  }

  /** All banks at once (the demo's "fast-forward"). */
  @Put('sandbox/clock')
  setAllClocks(@Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    const body = this.body(req, reply, clockSchema);
    if (!body) return;
    const now = body.now ? Date.parse(body.now) : undefined;
    for (const id of BANK_IDS) {
      const bank = this.ctx.bank(id);
      bank.clock.set(now ?? bank.now(), body.scale ?? bank.clock.scale);
    }
    sendJson(reply, 200, { banks: BANK_IDS.map((id) => this.clockView(this.ctx.bank(id))) });
  }

  @Post('sandbox/clock/advance')
  advanceAll(@Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    const body = this.body(req, reply, advanceSchema);
    if (!body) return;
    const ms =
      ((body.days ?? 0) * 86_400 + (body.hours ?? 0) * 3600 + (body.minutes ?? 0) * 60 + (body.seconds ?? 0)) * 1000;
    for (const id of BANK_IDS) this.ctx.bank(id).clock.advance(ms);
    sendJson(reply, 200, { banks: BANK_IDS.map((id) => this.clockView(this.ctx.bank(id))) });
  }

  /**
   * Starts the sandbox over: no clients, consents, tokens, codes, sessions, software statements,
   * counters or faults; new bank keys, directory key and CA; clocks at `clockStart` / `clockScale`
   * (default: the configured start, else now, and the configured scale). Persisted before it answers.
   */
  @Post('sandbox/reset')
  async reset(@Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    const body = this.body(req, reply, resetSchema);
    if (!body) return;
    await this.ctx.reset(body);
    sendJson(reply, 200, { reset: true, banks: BANK_IDS.map((id) => this.clockView(this.ctx.bank(id))) });
  }

  @Get(':bank/sandbox/faults')
  faults(@Param('bank') id: string, @Res() reply: FastifyReply) {
    const bank = this.bankOr404(id, reply);
    if (bank) sendJson(reply, 200, { faults: bank.faults.faults, injected: bank.faults.injected });
  }

  @Patch(':bank/sandbox/faults')
  patchFaults(@Param('bank') id: string, @Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    const bank = this.bankOr404(id, reply);
    const body = bank && this.body(req, reply, faultPatchSchema);
    if (!bank || !body) return;
    sendJson(reply, 200, { faults: bank.faults.patch(body), injected: bank.faults.injected });
  }

  @Delete(':bank/sandbox/faults')
  resetFaults(@Param('bank') id: string, @Res() reply: FastifyReply) {
    const bank = this.bankOr404(id, reply);
    if (bank) sendJson(reply, 200, { faults: bank.faults.reset(), injected: bank.faults.injected });
  }

  @Get(':bank/sandbox/counters')
  counters(@Param('bank') id: string, @Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    const bank = this.bankOr404(id, reply);
    if (!bank) return;
    const now = bank.now();
    sendJson(reply, 200, {
      bank: bank.id,
      window: bank.profile.standard === 'obie' ? 'rolling24h' : 'calendarDay',
      unattendedLimit:
        bank.profile.standard === 'obie' ? bank.faults.faults.unattendedPerDay : 'frequencyPerDay of the consent',
      counters: bank.limiter.list(query(req).consentId, now),
    });
  }

  @Delete(':bank/sandbox/counters')
  resetCounters(@Param('bank') id: string, @Res() reply: FastifyReply) {
    const bank = this.bankOr404(id, reply);
    if (!bank) return;
    bank.limiter.reset();
    void reply.status(204).send();
  }

  @Get(':bank/sandbox/consents')
  consents(@Param('bank') id: string, @Res() reply: FastifyReply) {
    const bank = this.bankOr404(id, reply);
    if (!bank) return;
    sendJson(reply, 200, { consents: [...this.ctx.store.consents.values()].filter((c) => c.bank === bank.id) });
  }

  /** Revokes a consent from the bank side (the PSU withdrew it in online banking). */
  @Post(':bank/sandbox/consents/:consentId/revoke')
  revoke(@Param('bank') id: string, @Param('consentId') consentId: string, @Res() reply: FastifyReply) {
    const bank = this.bankOr404(id, reply);
    if (!bank) return;
    const c = this.ctx.store.consents.get(consentId);
    if (!c || c.bank !== bank.id)
      return sendJson(reply, 404, { error: 'not_found', error_description: 'No such consent' });
    c.status = bank.profile.standard === 'obie' ? 'Revoked' : 'revokedByPsu';
    c.statusUpdatedAt = bank.now();
    this.oauth.revokeConsentTokens(c.id);
    this.ctx.store.changed();
    sendJson(reply, 200, c);
  }

  /** Expires a consent now: OBIE keeps status Authorised with ExpirationDateTime = now; Berlin Group sets expired. */
  @Post(':bank/sandbox/consents/:consentId/expire')
  expire(@Param('bank') id: string, @Param('consentId') consentId: string, @Res() reply: FastifyReply) {
    const bank = this.bankOr404(id, reply);
    if (!bank) return;
    const c = this.ctx.store.consents.get(consentId);
    if (!c || c.bank !== bank.id)
      return sendJson(reply, 404, { error: 'not_found', error_description: 'No such consent' });
    const now = bank.now();
    if (bank.profile.standard === 'obie') c.expiresAt = now;
    else {
      c.status = 'expired';
      c.statusUpdatedAt = now;
      this.oauth.revokeConsentTokens(c.id);
    }
    this.ctx.store.changed();
    sendJson(reply, 200, c);
  }
}
