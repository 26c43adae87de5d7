import { Controller, Get, Param, Query, UseGuards } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { InternalApiKeyGuard } from '../common/guards/internal-api-key.guard';
import { found } from '../common/http/found';
import { ApiInternalKey, ApiPagedList, ApiEndpoint } from '../common/openapi';
import { CallsService } from './calls.service';
import { CallIdParams } from './dto/call-id.params';
import { CallDto, CallPageDto } from './dto/call.dto';
import { ListCallsQuery } from './dto/list-calls.query';
import { ListMissedCallsQuery } from './dto/list-missed-calls.query';
import { MissedCallPageDto } from './dto/missed-call.dto';

@ApiTags('calls')
@ApiInternalKey()
@Controller('calls')
@UseGuards(InternalApiKeyGuard)
export class CallsController {
  constructor(private readonly calls: CallsService) {}

  @Get()
  @ApiPagedList('Knowlarity calls, newest first, filtered and keyset-paged', CallPageDto)
  list(@Query() query: ListCallsQuery): Promise<CallPageDto> {
    return this.calls.find(query);
  }

  @Get('missed')
  @ApiPagedList(
    'Missed calls nobody returned (one entry per customer, newest first), or with ' +
      'returned=true those answered later and how fast',
    MissedCallPageDto,
    'flag',
  )
  missed(@Query() query: ListMissedCallsQuery): Promise<MissedCallPageDto> {
    return this.calls.missed(query);
  }

  @Get(':callId')
  @ApiEndpoint('One Knowlarity call', CallDto, [404, 'No such call', 'call_not_found'])
  async get(@Param() { callId }: CallIdParams): Promise<CallDto> {
    return found(await this.calls.get(callId), 'call_not_found', 'No such call.');
  }
}
