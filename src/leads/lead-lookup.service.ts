import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { CursorCodec, keysetPosition } from '../common/pagination/cursor';
import { optionalBoundary } from '../common/dates';
import { businessConfig } from '../config';
import { LeadDetail, LeadKey, LeadSyncRepository } from '../database/lead-sync.repository';
import { normalizePhone } from '../knowlarity/phone';
import { LeadPageDto } from './dto/lead.dto';
import { ListLeadsQuery } from './dto/list-leads.query';

const CURSOR_KIND = 'leads';
const isLeadKey = keysetPosition<LeadKey>('createdAt', 'id', Number.isSafeInteger);
const PHONE_LIKE = /^\+?[\d\s\-.()]+$/;

/**
 * Lead look-ups: phones are normalised exactly as the ingest normalises them, plain dates are
 * read in BUSINESS_TIMEZONE, and pages are keyset cursors on (createdAt desc, id desc).
 */
@Injectable()
export class LeadLookupService {
  constructor(
    private readonly repository: LeadSyncRepository,
    private readonly cursors: CursorCodec,
    @Inject(businessConfig.KEY) private readonly business: ConfigType<typeof businessConfig>,
  ) {}

  async find(query: ListLeadsQuery): Promise<LeadPageDto> {
    const { timezone, defaultCountry } = this.business;
    const page = await this.repository.findLeads({
      phone: query.phone ? normalizePhone(query.phone, defaultCountry)?.national : undefined,
      sourceId: query.sourceId,
      status: query.status,
      createdFrom: optionalBoundary(query.createdFrom, 'from', timezone),
      createdTo: optionalBoundary(query.createdTo, 'to', timezone),
      q: query.q,
      qPhone: query.q ? phonePrefix(query.q, defaultCountry) : undefined,
      limit: query.limit,
      after: this.cursors.after(CURSOR_KIND, query.cursor, isLeadKey),
    });
    return this.cursors.page(CURSOR_KIND, page);
  }

  get(id: number): Promise<LeadDetail | null> {
    return this.repository.getLead(id);
  }
}

/**
 * The stored-form prefix a search for the start of a phone number means: a whole number is
 * normalised as the ingest would; a partial one loses its +91 / 0091 / trunk 0, which stored
 * national numbers do not have. Undefined when `q` does not look like a phone number.
 */
export function phonePrefix(q: string, defaultCountry: string): string | undefined {
  if (!PHONE_LIKE.test(q)) return undefined;
  const whole = normalizePhone(q, defaultCountry);
  if (whole) return whole.national;
  const digits = q.replace(/\D/g, '');
  const national = q.trim().startsWith('+')
    ? digits.replace(/^91/, '')
    : digits.replace(/^(0091|0)/, '');
  return national.length > 0 ? national : undefined;
}
