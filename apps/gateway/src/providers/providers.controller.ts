import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ProviderRepository, type ProviderRecord, type ProviderViewRow } from '@ais/db';
import { AppError } from '@ais/domain';
import { CursorCodec, DEFAULT_PAGE_LIMIT, cursorFields, defineCursor, toPage, type CursorField } from '@ais/http-kit';
import { TenantAuth } from '../auth/decorators.js';
import { ProviderListQueryDto, ProviderPageView, ProviderView } from './dto/provider.dto.js';

/** Catalogue text (a provider's name or id) in a cursor: 1..max characters, no control characters. */
const catalogueText = (max: number): CursorField<string> => ({
  write: (value) => value,
  read: (wire) =>
    typeof wire === 'string' && wire.length > 0 && wire.length <= max && !/\p{Cc}/u.test(wire) ? wire : undefined,
});

/** The catalogue's order: active first, then by name, then id. */
const PROVIDERS = defineCursor('providers', {
  s: cursorFields.oneOf(['active', 'inactive'] as const),
  n: catalogueText(200),
  i: catalogueText(64),
});

const view = (p: ProviderRecord | ProviderViewRow): ProviderView => ({
  id: p.id,
  name: p.name,
  country: p.country,
  standard: p.standard,
  status: p.status,
  capabilities: p.capabilities as unknown as ProviderView['capabilities'],
  sortCodeRanges: p.sortCodeRanges,
});

@ApiTags('Providers')
@TenantAuth()
@Controller('v1/providers')
export class ProvidersController {
  constructor(
    private readonly providers: ProviderRepository,
    private readonly cursors: CursorCodec,
  ) {}

  @Get()
  @ApiOperation({
    summary: 'The bank catalogue: active providers first, then by name. Keyset-paginated with limit and cursor.',
  })
  @ApiOkResponse({ type: ProviderPageView })
  async list(@Query() query: ProviderListQueryDto): Promise<ProviderPageView> {
    const limit = query.limit ?? DEFAULT_PAGE_LIMIT;
    const after = this.cursors.decode(PROVIDERS, query.cursor);
    const rows = await this.providers.page({
      country: query.country,
      standard: query.standard,
      q: query.q,
      after: after && { status: after.s, name: after.n, id: after.i },
      limit: limit + 1,
    });
    return toPage(rows, limit, view, (p) => this.cursors.encode(PROVIDERS, { s: p.status, n: p.name, i: p.id }));
  }

  @Get(':providerId')
  @ApiOkResponse({ type: ProviderView })
  async get(@Param('providerId') id: string): Promise<ProviderView> {
    const provider = await this.providers.findView(id);
    if (!provider) throw AppError.notFound('Provider');
    return view(provider);
  }
}
