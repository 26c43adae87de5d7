import { Controller, Get, Param, Query, UseGuards } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { IdParams } from '../common/dto/id.params';
import { InternalApiKeyGuard } from '../common/guards/internal-api-key.guard';
import { found } from '../common/http/found';
import { ApiInternalKey, ApiPagedList, ApiEndpoint } from '../common/openapi';
import { LeadDetailDto, LeadPageDto } from './dto/lead.dto';
import { ListLeadsQuery } from './dto/list-leads.query';
import { LeadLookupService } from './lead-lookup.service';

@ApiTags('leads')
@ApiInternalKey()
@Controller('leads')
@UseGuards(InternalApiKeyGuard)
export class LeadsController {
  constructor(private readonly leads: LeadLookupService) {}

  @Get()
  @ApiPagedList(
    'Leads, newest first: by phone (any format), source, status, creation time or q',
    LeadPageDto,
  )
  list(@Query() query: ListLeadsQuery): Promise<LeadPageDto> {
    return this.leads.find(query);
  }

  @Get(':id')
  @ApiEndpoint(
    'One lead with its source history and its Knowlarity calls',
    LeadDetailDto,
    [400, 'A bad id', 'bad_request'],
    [404, 'No such lead', 'lead_not_found'],
  )
  async get(@Param() { id }: IdParams): Promise<LeadDetailDto> {
    return found(await this.leads.get(id), 'lead_not_found', `No lead ${id}.`);
  }
}
