import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { TenantPrincipal } from '@ais/auth';
import { Principal, TenantAuth } from '../auth/decorators.js';
import { AccountDataService } from './account-data.service.js';
import { AccountListQueryDto, SyncFeedQueryDto, TransactionListQueryDto } from './data.dto.js';

@ApiTags('Data')
@TenantAuth()
@Controller('v1')
export class DataController {
  constructor(private readonly data: AccountDataService) {}

  @Get('accounts')
  @ApiOkResponse({ description: '{ data: Account[], nextCursor }' })
  listAccounts(@Principal() p: TenantPrincipal, @Query() query: AccountListQueryDto) {
    return this.data.listAccounts(p.tenantId, query);
  }

  @Get('accounts/:accountId')
  getAccount(@Principal() p: TenantPrincipal, @Param('accountId') id: string) {
    return this.data.getAccount(p.tenantId, id);
  }

  @Get('accounts/:accountId/balances')
  @ApiOperation({ summary: 'Current balances; types normalised to ISO 20022 with the bank’s original type kept.' })
  balances(@Principal() p: TenantPrincipal, @Param('accountId') id: string) {
    return this.data.balances(p.tenantId, id);
  }

  @Get('accounts/:accountId/transactions')
  @ApiOperation({ summary: 'Newest first; cursor pagination stable while new transactions arrive.' })
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
  changes(@Principal() p: TenantPrincipal, @Query() query: SyncFeedQueryDto) {
    return this.data.changes(p.tenantId, query);
  }

  @Get('accounts/:accountId/statements')
  statements(@Principal() p: TenantPrincipal, @Param('accountId') id: string) {
    return this.data.resources(p.tenantId, id, 'statement');
  }

  @Get('accounts/:accountId/statements/:statementId/transactions')
  statementTransactions(
    @Principal() p: TenantPrincipal,
    @Param('accountId') id: string,
    @Param('statementId') statementId: string,
  ) {
    return this.data.statementTransactions(p.tenantId, id, statementId);
  }

  @Get('accounts/:accountId/party')
  party(@Principal() p: TenantPrincipal, @Param('accountId') id: string) {
    return this.data.resources(p.tenantId, id, 'party');
  }

  @Get('accounts/:accountId/beneficiaries')
  beneficiaries(@Principal() p: TenantPrincipal, @Param('accountId') id: string) {
    return this.data.resources(p.tenantId, id, 'beneficiary');
  }

  @Get('accounts/:accountId/standing-orders')
  standingOrders(@Principal() p: TenantPrincipal, @Param('accountId') id: string) {
    return this.data.resources(p.tenantId, id, 'standing_order');
  }

  @Get('accounts/:accountId/direct-debits')
  directDebits(@Principal() p: TenantPrincipal, @Param('accountId') id: string) {
    return this.data.resources(p.tenantId, id, 'direct_debit');
  }

  @Get('accounts/:accountId/scheduled-payments')
  scheduledPayments(@Principal() p: TenantPrincipal, @Param('accountId') id: string) {
    return this.data.resources(p.tenantId, id, 'scheduled_payment');
  }
}
