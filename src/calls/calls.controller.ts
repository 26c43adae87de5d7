import { Controller, Get, NotFoundException, Param, Query, UseGuards } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { InternalApiKeyGuard } from '../common/guards/internal-api-key.guard';
import { ApiErrorResponse, ApiInternalKey } from '../common/openapi';
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
  @ApiOperation({ summary: 'Knowlarity calls, newest first, filtered and keyset-paged' })
  @ApiOkResponse({ type: CallPageDto })
  @ApiErrorResponse(400, 'A bad filter, limit or cursor', 'bad_request', 'invalid_cursor')
  list(@Query() query: ListCallsQuery): Promise<CallPageDto> {
    return this.calls.find(query);
  }

  @Get('missed')
  @ApiOperation({
    summary:
      'Missed calls nobody returned (one entry per customer, newest first), or with ' +
      'returned=true those answered later and how fast',
  })
  @ApiOkResponse({ type: MissedCallPageDto })
  @ApiErrorResponse(400, 'A bad flag, limit or cursor', 'bad_request', 'invalid_cursor')
  missed(@Query() query: ListMissedCallsQuery): Promise<MissedCallPageDto> {
    return this.calls.missed(query);
  }

  @Get(':callId')
  @ApiOperation({ summary: 'One Knowlarity call' })
  @ApiOkResponse({ type: CallDto })
  @ApiErrorResponse(404, 'No such call', 'call_not_found')
  async get(@Param() { callId }: CallIdParams): Promise<CallDto> {
    const call = await this.calls.get(callId);
    if (!call) throw new NotFoundException({ code: 'call_not_found', message: 'No such call.' });
    return call;
  }
}
