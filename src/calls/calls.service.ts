import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { CursorCodec } from '../common/pagination/cursor';
import { optionalBoundary } from '../common/dates';
import { businessConfig } from '../config';
import { CallKey, CallView, LeadSyncRepository } from '../database/lead-sync.repository';
import { normalizePhone } from '../knowlarity/phone';
import { CallPageDto } from './dto/call.dto';
import { ListCallsQuery } from './dto/list-calls.query';

const CURSOR_KIND = 'calls';

/** Stored Knowlarity calls, filtered and keyset-paged newest first. */
@Injectable()
export class CallsService {
  constructor(
    private readonly repository: LeadSyncRepository,
    private readonly cursors: CursorCodec,
    @Inject(businessConfig.KEY) private readonly business: ConfigType<typeof businessConfig>,
  ) {}

  async find(query: ListCallsQuery): Promise<CallPageDto> {
    const { timezone, defaultCountry } = this.business;
    const page = await this.repository.findCalls({
      leadId: query.leadId,
      phone: query.phone ? normalizePhone(query.phone, defaultCountry)?.national : undefined,
      from: optionalBoundary(query.from, 'from', timezone),
      to: optionalBoundary(query.to, 'to', timezone),
      status: query.status,
      direction: query.direction,
      limit: query.limit,
      after: query.cursor ? this.cursors.decode(CURSOR_KIND, query.cursor, isCallKey) : undefined,
    });
    return this.cursors.page(CURSOR_KIND, page);
  }

  get(callId: string): Promise<CallView | null> {
    return this.repository.getCall(callId);
  }
}

function isCallKey(value: unknown): value is CallKey {
  const key = value as Partial<CallKey> | null;
  return (
    typeof key === 'object' &&
    key !== null &&
    typeof key.startedAt === 'string' &&
    !Number.isNaN(Date.parse(key.startedAt)) &&
    typeof key.callId === 'string'
  );
}
