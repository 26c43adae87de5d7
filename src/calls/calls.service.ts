import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { CursorCodec } from '../common/pagination/cursor';
import { optionalBoundary } from '../common/dates';
import { businessConfig } from '../config';
import { Clock } from '../common/clock';
import {
  CallKey,
  CallView,
  LeadSyncRepository,
  MissedCallKey,
} from '../database/lead-sync.repository';
import { normalizePhone } from '../knowlarity/phone';
import { CallPageDto } from './dto/call.dto';
import { ListCallsQuery } from './dto/list-calls.query';
import { ListMissedCallsQuery } from './dto/list-missed-calls.query';
import { MissedCallPageDto } from './dto/missed-call.dto';

const CURSOR_KIND = 'calls';
/** The two queues page on different keys: a cursor of one is refused by the other. */
const MISSED_CURSOR_KIND = { waiting: 'missed-calls', returned: 'returned-missed-calls' };

/** Stored Knowlarity calls, filtered and keyset-paged newest first. */
@Injectable()
export class CallsService {
  constructor(
    private readonly repository: LeadSyncRepository,
    private readonly cursors: CursorCodec,
    @Inject(businessConfig.KEY) private readonly business: ConfigType<typeof businessConfig>,
    private readonly clock: Clock,
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

  /** The missed-call queue; waiting times are counted to the injected clock's now. */
  async missed(query: ListMissedCallsQuery): Promise<MissedCallPageDto> {
    const returned = query.returned ?? false;
    const kind = returned ? MISSED_CURSOR_KIND.returned : MISSED_CURSOR_KIND.waiting;
    const page = await this.repository.listMissedCalls({
      returned,
      now: this.clock.now(),
      limit: query.limit,
      after: query.cursor ? this.cursors.decode(kind, query.cursor, isMissedCallKey) : undefined,
    });
    return this.cursors.page(kind, page);
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

function isMissedCallKey(value: unknown): value is MissedCallKey {
  const key = value as Partial<MissedCallKey> | null;
  return (
    typeof key === 'object' &&
    key !== null &&
    typeof key.at === 'string' &&
    !Number.isNaN(Date.parse(key.at)) &&
    typeof key.key === 'string'
  );
}
