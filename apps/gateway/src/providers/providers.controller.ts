import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiOkResponse, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsString, Length, Matches, MaxLength } from 'class-validator';
import { IsOptional } from '@ais/http-kit';
import { ProviderRepository, type ProviderRecord } from '@ais/db';
import { AppError } from '@ais/domain';
import { TenantAuth } from '../auth/decorators.js';

class ProviderQueryDto {
  @ApiPropertyOptional({ example: 'GB', description: 'ISO 3166-1 alpha-2' })
  @IsOptional()
  @Length(2, 2)
  @Matches(/^[A-Za-z]{2}$/, { message: 'country must be a two-letter ISO code' })
  country?: string;

  @ApiPropertyOptional({ example: 'obie_3_1' })
  @IsOptional()
  @IsString()
  @MaxLength(40)
  standard?: string;

  @ApiPropertyOptional({ description: 'Search by name or id.' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  q?: string;
}

const view = (p: ProviderRecord) => ({
  id: p.id,
  name: p.name,
  country: p.country,
  standard: p.standard,
  status: p.status,
  capabilities: p.capabilities,
  sortCodeRanges: p.sortCodeRanges,
});

@ApiTags('Providers')
@TenantAuth()
@Controller('v1/providers')
export class ProvidersController {
  constructor(private readonly providers: ProviderRepository) {}

  @Get()
  @ApiOkResponse({ description: '{ data: Provider[], nextCursor: null }' })
  async list(@Query() query: ProviderQueryDto) {
    const rows = await this.providers.list({ country: query.country, standard: query.standard, q: query.q });
    return { data: rows.map(view), nextCursor: null };
  }

  @Get(':providerId')
  async get(@Param('providerId') id: string) {
    const provider = await this.providers.findById(id);
    if (!provider) throw AppError.notFound('Provider');
    return view(provider);
  }
}
