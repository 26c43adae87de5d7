import { Controller, Get, NotFoundException, Param, Query, UseGuards } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { InternalApiKeyGuard } from '../common/guards/internal-api-key.guard';
import { ApiErrorResponse, ApiInternalKey } from '../common/openapi';
import { CallsService } from './calls.service';
import { CallIdParams } from './dto/call-id.params';
import { CallDto, CallPageDto } from './dto/call.dto';
import { ListCallsQuery } from './dto/list-calls.query';

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
