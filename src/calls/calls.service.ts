import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { CursorCodec, keysetPosition } from '../common/pagination/cursor';
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
const isCallKey = keysetPosition<CallKey>('startedAt', 'callId', (id) => typeof id === 'string');
/** The two queues page on different keys: a cursor of one is refused by the other. */
const MISSED_CURSOR_KIND = { waiting: 'missed-calls', returned: 'returned-missed-calls' };
const isMissedCallKey = keysetPosition<MissedCallKey>('at', 'key', (id) => typeof id === 'string');

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
      after: this.cursors.after(CURSOR_KIND, query.cursor, isCallKey),
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
      after: this.cursors.after(kind, query.cursor, isMissedCallKey),
    });
    return this.cursors.page(kind, page);
  }

  get(callId: string): Promise<CallView | null> {
    return this.repository.getCall(callId);
  }
}
