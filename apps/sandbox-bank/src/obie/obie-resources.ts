import { Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { interactionId, query } from '../core/http.js';
import { runBankCall, type Ok } from '../core/pipeline.js';
import type { BankRuntime } from '../sandbox-context.js';
import { ObieError } from './obie-error.js';
import { bookingRange, ObieService, type ObieFlavour, type ResourceContext } from './obie.service.js';
import type { ObieResource } from './permissions.js';

/**
 * Fixed-size pages with a snapshot instant in the links, so paging stays stable while data arrives.
 * `origin` is the listener the request came in on (BankRuntime.originOf): a page asked for over
 * mutual TLS links its next page over mutual TLS, where a certificate-bound token works.
 */
export function paginate<T>(
  items: T[],
  req: FastifyRequest,
  origin: string,
  pageSize: number,
  snapshot: number,
  now: number,
) {
  const q = query(req);
  const totalPages = Math.max(1, Math.ceil(items.length / pageSize));
  const page = Math.min(Math.max(1, Number.parseInt(q.page ?? '1', 10) || 1), totalPages);
  const link = (p: number) => {
    const url = new URL(origin + req.url.split('?')[0]);
    for (const [k, v] of Object.entries(q))
      if (v !== undefined && k !== 'page' && k !== 'snapshot') url.searchParams.set(k, v);
    url.searchParams.set('page', String(p));
    if (snapshot !== now || p > 1) url.searchParams.set('snapshot', String(snapshot));
    return url.toString();
  };
  const links: Record<string, string> = { Self: link(page), First: link(1), Last: link(totalPages) };
  if (page > 1) links.Prev = link(page - 1);
  if (page < totalPages) links.Next = link(page + 1);
  return { slice: items.slice((page - 1) * pageSize, page * pageSize), links, meta: { TotalPages: totalPages } };
}

/** The OBIE data-plane routes shared by Allstar and Al Salam. */
@Injectable()
export class ObieResources {
  constructor(private readonly obie: ObieService) {}

  run(
    bank: BankRuntime,
    req: FastifyRequest,
    reply: FastifyReply,
    handler: () => Promise<Ok> | Ok,
    faults = true,
  ): Promise<void> {
    return runBankCall(
      bank,
      req,
      reply,
      {
        headers: { 'x-fapi-interaction-id': interactionId(req) },
        faults,
        failure: (status, retryAfter) => {
          switch (status) {
            case 429:
              return new ObieError(429, 'UK.OBIE.Rules.AccessLimitExceeded', 'Too many requests', undefined, {
                'retry-after': String(retryAfter ?? 30),
              });
            case 503:
              return new ObieError(503, 'UK.OBIE.UnexpectedError', 'Service unavailable', undefined, {
                'retry-after': String(retryAfter ?? 30),
              });
            case 403:
              return ObieError.forbidden(
                'The consent does not permit access to this resource',
                'UK.OBIE.Resource.ConsentMismatch',
              );
            case 404:
              return new ObieError(404, 'UK.OBIE.NotFound', 'No such resource');
            case 500:
              return new ObieError(500, 'UK.OBIE.UnexpectedError', 'Unexpected error');
          }
        },
      },
      handler,
    );
  }

  private selfUrl(bank: BankRuntime, req: FastifyRequest): string {
    return `${bank.originOf(req)}${req.url}`;
  }

  /** A response document: Allstar sends Links + Meta; Al Salam sends `"Links": null` (seed 003). */
  private doc(
    f: ObieFlavour,
    bank: BankRuntime,
    req: FastifyRequest,
    data: Record<string, unknown>,
    paging?: { links: Record<string, string>; meta: { TotalPages: number } },
  ) {
    if (f.quirks) return { Data: data, Links: null };
    return {
      Data: data,
      Links: paging?.links ?? { Self: this.selfUrl(bank, req) },
      Meta: paging?.meta ?? { TotalPages: 1 },
    };
  }

  private account(c: ResourceContext, id: string) {
    const a = c.bank.data.account(id);
    if (!a) throw ObieError.notFound('No account with this AccountId');
    return a;
  }

  accounts(bank: BankRuntime, f: ObieFlavour, req: FastifyRequest, reply: FastifyReply, accountId?: string) {
    return this.run(bank, req, reply, () => {
      const c = this.obie.authorise(bank, req, 'accounts', accountId ?? null, 'accounts');
      const list = accountId ? [this.account(c, accountId)] : this.obie.accounts(c);
      return {
        status: 200,
        body: this.doc(f, bank, req, { Account: list.map((a) => this.obie.accountBody(f, c, a)) }),
      };
    });
  }

  balances(bank: BankRuntime, f: ObieFlavour, req: FastifyRequest, reply: FastifyReply, accountId?: string) {
    return this.run(bank, req, reply, () => {
      const c = this.obie.authorise(bank, req, 'balances', accountId ?? null, 'balances');
      const list = accountId ? [this.account(c, accountId)] : this.obie.accounts(c);
      return {
        status: 200,
        body: this.doc(f, bank, req, { Balance: list.flatMap((a) => this.obie.balances(f, c, a)) }),
      };
    });
  }

  transactions(bank: BankRuntime, f: ObieFlavour, req: FastifyRequest, reply: FastifyReply, accountId?: string) {
    return this.run(bank, req, reply, () => {
      const range = bookingRange(query(req));
      const c = this.obie.authorise(bank, req, 'transactions', accountId ?? null, 'transactions');
      const snapshot = snapshotOf(req, c.now);
      const list = accountId ? [this.account(c, accountId)] : this.obie.accounts(c);
      const rows = list.flatMap((a) =>
        this.obie.transactions(c, a, range.from, range.to, snapshot).map((t) => ({ a, t })),
      );
      if (f.quirks)
        return {
          status: 200,
          body: this.doc(f, bank, req, { Transaction: rows.map(({ a, t }) => this.obie.transactionBody(f, c, a, t)) }),
        };
      const page = paginate(rows, req, bank.originOf(req), bank.pageSize(), snapshot, c.now);
      return {
        status: 200,
        body: this.doc(
          f,
          bank,
          req,
          { Transaction: page.slice.map(({ a, t }) => this.obie.transactionBody(f, c, a, t)) },
          page,
        ),
      };
    });
  }

  statements(
    bank: BankRuntime,
    f: ObieFlavour,
    req: FastifyRequest,
    reply: FastifyReply,
    accountId: string,
    statementId?: string,
  ) {
    return this.run(bank, req, reply, () => {
      const c = this.obie.authorise(bank, req, 'statements', accountId, 'statements');
      const a = this.account(c, accountId);
      let list = this.obie.statements(c, a);
      if (statementId) {
        list = list.filter((s) => s.id === statementId);
        if (list.length === 0) throw ObieError.notFound('No statement with this StatementId');
      }
      return {
        status: 200,
        body: this.doc(f, bank, req, { Statement: list.map((s) => this.obie.statementBody(f, c, a, s)) }),
      };
    });
  }

  statementTransactions(
    bank: BankRuntime,
    f: ObieFlavour,
    req: FastifyRequest,
    reply: FastifyReply,
    accountId: string,
    statementId: string,
  ) {
    return this.run(bank, req, reply, () => {
      const c = this.obie.authorise(bank, req, 'statementTransactions', accountId, 'statementTransactions');
      const a = this.account(c, accountId);
      const s = this.obie.statements(c, a).find((x) => x.id === statementId);
      if (!s) throw ObieError.notFound('No statement with this StatementId');
      const tz = bank.profile.timeZone;
      const startMs = Date.UTC(1970, 0, 1) + s.startDay * 86_400_000;
      const rows = this.obie
        .transactions(c, a, startMs - 86_400_000, startMs + (s.endDay - s.startDay + 2) * 86_400_000, c.now)
        .filter((t) => t.status === 'booked' && t.bookingDay >= s.startDay && t.bookingDay <= s.endDay)
        .map((t) => ({ ...this.obie.transactionBody(f, c, a, t), StatementReference: [s.id] }));
      const page = paginate(rows, req, bank.originOf(req), bank.pageSize(), c.now, c.now);
      return {
        status: 200,
        body: this.doc(f, bank, req, { Transaction: page.slice }, page),
        headers: { 'x-sandbox-time-zone': tz },
      };
    });
  }

  generic(
    bank: BankRuntime,
    f: ObieFlavour,
    req: FastifyRequest,
    reply: FastifyReply,
    resource: Exclude<ObieResource, 'accounts' | 'balances' | 'transactions' | 'statements' | 'statementTransactions'>,
    accountId: string | null,
  ) {
    return this.run(bank, req, reply, () => {
      const c = this.obie.authorise(bank, req, resource, accountId, resource);
      if (resource === 'partyPsu')
        return { status: 200, body: this.doc(f, bank, req, { Party: this.obie.partyBody(c, null) }) };
      const a = this.account(c, accountId!);
      switch (resource) {
        case 'party':
          return { status: 200, body: this.doc(f, bank, req, { Party: this.obie.partyBody(c, a) }) };
        case 'beneficiaries':
          return { status: 200, body: this.doc(f, bank, req, { Beneficiary: this.obie.beneficiaries(c, a) }) };
        case 'standingOrders':
          return { status: 200, body: this.doc(f, bank, req, { StandingOrder: this.obie.standingOrders(f, c, a) }) };
        case 'directDebits':
          return { status: 200, body: this.doc(f, bank, req, { DirectDebit: this.obie.directDebits(f, c, a) }) };
        case 'scheduledPayments':
          return {
            status: 200,
            body: this.doc(f, bank, req, { ScheduledPayment: this.obie.scheduledPayments(f, c, a) }),
          };
      }
    });
  }

  createConsent(
    bank: BankRuntime,
    f: ObieFlavour,
    req: FastifyRequest,
    reply: FastifyReply,
    selfUrl: (id: string) => string,
  ) {
    return this.run(bank, req, reply, () => {
      const consent = this.obie.createConsent(bank, f, req);
      return { status: 201, body: this.obie.consentBody(bank, f, consent, selfUrl(consent.id)) };
    });
  }

  getConsent(
    bank: BankRuntime,
    f: ObieFlavour,
    req: FastifyRequest,
    reply: FastifyReply,
    id: string,
    selfUrl: (id: string) => string,
  ) {
    return this.run(bank, req, reply, () => {
      const consent = this.obie.ownConsent(bank, req, id);
      return { status: 200, body: this.obie.consentBody(bank, f, consent, selfUrl(consent.id)) };
    });
  }

  deleteConsent(bank: BankRuntime, req: FastifyRequest, reply: FastifyReply, id: string) {
    return this.run(bank, req, reply, () => {
      this.obie.deleteConsent(bank, req, id);
      return { status: 204 };
    });
  }

  notFound(bank: BankRuntime, req: FastifyRequest, reply: FastifyReply) {
    return this.run(
      bank,
      req,
      reply,
      () => {
        throw new ObieError(404, 'UK.OBIE.NotFound', 'No such endpoint');
      },
      false,
    );
  }
}

/** The snapshot instant carried by Links.Next (never in the future), else now. */
export function snapshotOf(req: FastifyRequest, now: number): number {
  const raw = Number(query(req).snapshot);
  return Number.isFinite(raw) && raw > 0 && raw <= now ? raw : now;
}
