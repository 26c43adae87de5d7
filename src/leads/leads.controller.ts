import { Controller, Get, NotFoundException, Param, Query, UseGuards } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { IdParams } from '../common/dto/id.params';
import { InternalApiKeyGuard } from '../common/guards/internal-api-key.guard';
import { ApiErrorResponse, ApiInternalKey } from '../common/openapi';
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
  @ApiOperation({
    summary: 'Leads, newest first: by phone (any format), source, status, creation time or q',
  })
  @ApiOkResponse({ type: LeadPageDto })
  @ApiErrorResponse(400, 'A bad filter, limit or cursor', 'bad_request', 'invalid_cursor')
  list(@Query() query: ListLeadsQuery): Promise<LeadPageDto> {
    return this.leads.find(query);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One lead with its source history and its Knowlarity calls' })
  @ApiOkResponse({ type: LeadDetailDto })
  @ApiErrorResponse(400, 'A bad id', 'bad_request')
  @ApiErrorResponse(404, 'No such lead', 'lead_not_found')
  async get(@Param() { id }: IdParams): Promise<LeadDetailDto> {
    const lead = await this.leads.get(id);
    if (!lead) throw new NotFoundException({ code: 'lead_not_found', message: `No lead ${id}.` });
    return lead;
  }
}
