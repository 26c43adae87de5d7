import {
  Body,
  ConflictException,
  Controller,
  Get,
  HttpCode,
  NotFoundException,
  Param,
  Post,
  Query,
  UseGuards,
} from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { IdParams } from '../common/dto/id.params';
import { InternalApiKeyGuard } from '../common/guards/internal-api-key.guard';
import { ApiErrorResponse, ApiInternalKey } from '../common/openapi';
import { CreateSourceBody } from './dto/create-source.body';
import { RecountDto } from './dto/recount.dto';
import { LeadsPerHourDto, SourceDetailDto, SourceDto } from './dto/source.dto';
import { LeadsPerHourQuery, SourceDetailQuery } from './dto/source-detail.query';
import { SourceCountsRecounter } from './source-counts.recounter';
import { SourcesService } from './sources.service';

@ApiTags('sources')
@ApiInternalKey()
@Controller('sources')
@UseGuards(InternalApiKeyGuard)
export class SourcesController {
  constructor(
    private readonly sources: SourcesService,
    private readonly recounter: SourceCountsRecounter,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Every source with totalLeads, todaysLeads and lastLeadAt' })
  @ApiOkResponse({ type: [SourceDto] })
  list(): Promise<SourceDto[]> {
    return this.sources.list();
  }

  @Get('leads-per-hour')
  @ApiOperation({
    summary: 'Leads per hour by source for the last `days` days (default: yesterday and today)',
  })
  @ApiOkResponse({ type: LeadsPerHourDto })
  @ApiErrorResponse(400, 'A bad days', 'bad_request')
  leadsPerHour(@Query() { days }: LeadsPerHourQuery): Promise<LeadsPerHourDto> {
    return this.sources.leadsPerHour(days);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One source with its counts and, with `days`, its leads per day' })
  @ApiOkResponse({ type: SourceDetailDto })
  @ApiErrorResponse(400, 'A bad id or days', 'bad_request')
  @ApiErrorResponse(404, 'No such source', 'source_not_found')
  async get(
    @Param() { id }: IdParams,
    @Query() { days }: SourceDetailQuery,
  ): Promise<SourceDetailDto> {
    const source = await this.sources.get(id, days);
    if (!source) {
      throw new NotFoundException({ code: 'source_not_found', message: `No source ${id}.` });
    }
    return source;
  }

  @Post('recount')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Recounts every source from the lead tables now, correcting and reporting drift',
  })
  @ApiOkResponse({ type: RecountDto })
  @ApiErrorResponse(409, 'A recount is already running', 'recount_in_progress')
  recount(): Promise<RecountDto> {
    return this.recounter.recount('manual');
  }

  @Post()
  @ApiOperation({ summary: 'Creates a source' })
  @ApiCreatedResponse({ type: SourceDto })
  @ApiErrorResponse(400, 'A missing or bad displayName or sourceType', 'bad_request')
  @ApiErrorResponse(409, 'A source with this displayName and sourceType exists', 'source_exists')
  async create(@Body() body: CreateSourceBody): Promise<SourceDto> {
    const { created, source } = await this.sources.create(body.displayName, body.sourceType);
    if (!created) {
      throw new ConflictException({
        code: 'source_exists',
        message: `Source ${source.id} already has this displayName and sourceType.`,
      });
    }
    return source;
  }
}
