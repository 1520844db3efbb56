import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiConflictResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { TenantPrincipal } from '@ais/auth';
import { PageQueryDto } from '@ais/http-kit';
import { Principal, TenantAuth } from '../auth/decorators.js';
import { AccountDataService } from './account-data.service.js';
import {
  AccountListQueryDto,
  AccountPageView,
  AccountView,
  BalancePageView,
  ChangeFeedPageView,
  SyncFeedQueryDto,
  TransactionListQueryDto,
  TransactionPageView,
} from './data.dto.js';
import {
  BeneficiaryPageView,
  DirectDebitPageView,
  PartyPageView,
  ScheduledPaymentPageView,
  StandingOrderPageView,
  StatementPageView,
  StatementTransactionPageView,
} from './resource.dto.js';

const RESOURCE_ORDER = 'In the order the gateway first stored them; keyset-paginated with limit and cursor.';

@ApiTags('Data')
@TenantAuth()
@Controller('v1')
export class DataController {
  constructor(private readonly data: AccountDataService) {}

  @Get('accounts')
  @ApiOperation({ summary: 'Accounts, oldest first; keyset-paginated with limit and cursor.' })
  @ApiOkResponse({ type: AccountPageView })
  listAccounts(@Principal() p: TenantPrincipal, @Query() query: AccountListQueryDto) {
    return this.data.listAccounts(p.tenantId, query);
  }

  @Get('accounts/:accountId')
  @ApiOkResponse({ type: AccountView })
  getAccount(@Principal() p: TenantPrincipal, @Param('accountId') id: string) {
    return this.data.getAccount(p.tenantId, id);
  }

  @Get('accounts/:accountId/balances')
  @ApiOperation({
    summary: 'Current balances by type; types normalised to ISO 20022 with the bank’s original type kept.',
  })
  @ApiOkResponse({ type: BalancePageView })
  balances(@Principal() p: TenantPrincipal, @Param('accountId') id: string, @Query() query: PageQueryDto) {
    return this.data.balances(p.tenantId, id, query);
  }

  @Get('accounts/:accountId/transactions')
  @ApiOperation({ summary: 'Newest first; cursor pagination stable while new transactions arrive.' })
  @ApiOkResponse({ type: TransactionPageView })
  transactions(
    @Principal() p: TenantPrincipal,
    @Param('accountId') id: string,
    @Query() query: TransactionListQueryDto,
  ) {
    return this.data.transactions(p.tenantId, id, query);
  }

  @Get('transactions/sync')
  @ApiOperation({
    summary:
      'The change feed: { added, modified, removed, nextCursor, hasMore }. Keep the last nextCursor; replaying a cursor returns the same page.',
  })
  @ApiOkResponse({ type: ChangeFeedPageView })
  changes(@Principal() p: TenantPrincipal, @Query() query: SyncFeedQueryDto) {
    return this.data.changes(p.tenantId, query);
  }

  @Get('accounts/:accountId/statements')
  @ApiOperation({ summary: `The account’s statements. ${RESOURCE_ORDER}` })
  @ApiOkResponse({ type: StatementPageView })
  statements(@Principal() p: TenantPrincipal, @Param('accountId') id: string, @Query() query: PageQueryDto) {
    return this.data.resources(p.tenantId, id, 'statement', query);
  }

  @Get('accounts/:accountId/statements/:statementId/transactions')
  @ApiOperation({
    summary: 'A statement’s transactions in the bank’s order; keyset-paginated with limit and cursor.',
  })
  @ApiOkResponse({ type: StatementTransactionPageView })
  @ApiConflictResponse({
    description:
      'The statement’s transactions have not been fetched from the bank yet (its transactionsStatus is `pending`); a later sync fetches them.',
  })
  statementTransactions(
    @Principal() p: TenantPrincipal,
    @Param('accountId') id: string,
    @Param('statementId') statementId: string,
    @Query() query: PageQueryDto,
  ) {
    return this.data.statementTransactions(p.tenantId, id, statementId, query);
  }

  @Get('accounts/:accountId/party')
  @ApiOperation({ summary: `The account’s parties (holders; a joint account has several). ${RESOURCE_ORDER}` })
  @ApiOkResponse({ type: PartyPageView })
  party(@Principal() p: TenantPrincipal, @Param('accountId') id: string, @Query() query: PageQueryDto) {
    return this.data.resources(p.tenantId, id, 'party', query);
  }

  @Get('accounts/:accountId/beneficiaries')
  @ApiOperation({ summary: `The account’s beneficiaries. ${RESOURCE_ORDER}` })
  @ApiOkResponse({ type: BeneficiaryPageView })
  beneficiaries(@Principal() p: TenantPrincipal, @Param('accountId') id: string, @Query() query: PageQueryDto) {
    return this.data.resources(p.tenantId, id, 'beneficiary', query);
  }

  @Get('accounts/:accountId/standing-orders')
  @ApiOperation({ summary: `The account’s standing orders. ${RESOURCE_ORDER}` })
  @ApiOkResponse({ type: StandingOrderPageView })
  standingOrders(@Principal() p: TenantPrincipal, @Param('accountId') id: string, @Query() query: PageQueryDto) {
    return this.data.resources(p.tenantId, id, 'standing_order', query);
  }

  @Get('accounts/:accountId/direct-debits')
  @ApiOperation({ summary: `The account’s direct debits. ${RESOURCE_ORDER}` })
  @ApiOkResponse({ type: DirectDebitPageView })
  directDebits(@Principal() p: TenantPrincipal, @Param('accountId') id: string, @Query() query: PageQueryDto) {
    return this.data.resources(p.tenantId, id, 'direct_debit', query);
  }

  @Get('accounts/:accountId/scheduled-payments')
  @ApiOperation({ summary: `The account’s scheduled payments. ${RESOURCE_ORDER}` })
  @ApiOkResponse({ type: ScheduledPaymentPageView })
  scheduledPayments(@Principal() p: TenantPrincipal, @Param('accountId') id: string, @Query() query: PageQueryDto) {
    return this.data.resources(p.tenantId, id, 'scheduled_payment', query);
  }
}
