import {
  Body,
  ConflictException,
  Controller,
  Get,
  Header,
  HttpCode,
  Param,
  Post,
  Query,
  UseGuards,
} from '@nestjs/common';
import { ApiCreatedResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { IdParams } from '../common/dto/id.params';
import { InternalApiKeyGuard } from '../common/guards/internal-api-key.guard';
import { found } from '../common/http/found';
import { ApiEndpoint, ApiErrorResponse, ApiInternalKey } from '../common/openapi';
import { CreateSourceBody } from './dto/create-source.body';
import { RecountDto } from './dto/recount.dto';
import { LeadsPerHourDto, SourceDetailDto, SourceDto } from './dto/source.dto';
import { LeadsPerHourQuery, SourceDetailQuery } from './dto/source-detail.query';
import { SourceCountsRecounter } from './source-counts.recounter';
import { SourcesService } from './sources.service';

/** What Fastify sends for an object body, set by hand for a body already serialised. */
const JSON_TEXT = 'application/json; charset=utf-8';

@ApiTags('sources')
@ApiInternalKey()
@Controller('sources')
@UseGuards(InternalApiKeyGuard)
export class SourcesController {
  constructor(
    private readonly sources: SourcesService,
    private readonly recounter: SourceCountsRecounter,
  ) {}

  // The two reads answer JSON text their service serialised once for every request sharing it
  // (SourcesService); the documented bodies are the DTOs.
  @Get()
  @Header('content-type', JSON_TEXT)
  @ApiEndpoint('Every source with totalLeads, todaysLeads and lastLeadAt', [SourceDto])
  list(): Promise<string> {
    return this.sources.listJson();
  }

  @Get('leads-per-hour')
  @ApiEndpoint(
    'Leads per hour by source for the last `days` days (default: yesterday and today)',
    LeadsPerHourDto,
    [400, 'A bad days', 'bad_request'],
  )
  leadsPerHour(@Query() { days }: LeadsPerHourQuery): Promise<LeadsPerHourDto> {
    return this.sources.leadsPerHour(days);
  }

  @Get(':id')
  @ApiEndpoint(
    'One source with its counts and, with `days`, its leads per day',
    SourceDetailDto,
    [400, 'A bad id or days', 'bad_request'],
    [404, 'No such source', 'source_not_found'],
  )
  @Header('content-type', JSON_TEXT)
  async get(@Param() { id }: IdParams, @Query() { days }: SourceDetailQuery): Promise<string> {
    return found(await this.sources.getJson(id, days), 'source_not_found', `No source ${id}.`);
  }

  @Post('recount')
  @HttpCode(200)
  @ApiEndpoint(
    'Recounts every source from the lead tables now, correcting and reporting drift',
    RecountDto,
    [409, 'A recount is already running', 'recount_in_progress'],
  )
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
