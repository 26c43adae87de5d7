import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { Clock } from '../common/clock';
import { CoalescedReads } from '../common/coalesced-reads';
import { businessConfig } from '../config';
import {
  CreatedSource,
  LeadSyncRepository,
  LeadsPerHour,
  SourceDetail,
  SourceView,
} from '../database/lead-sync.repository';

/**
 * Sources with their exact lead counts ("today" is the clock's day in BUSINESS_TIMEZONE): the
 * per-day counts plus the changes not folded yet, never the copies the refresher keeps in the
 * sources table for the CRM's own screens.
 *
 * The reads the API answers are coalesced: identical requests that arrive while one is being
 * read share the next read (never the one already running, so each answer still includes every
 * write committed before its request arrived) and its JSON text, serialised once. On 1,000,000
 * leads with 8 clients, that is what keeps GET /sources within its latency (bench/README.md).
 */
@Injectable()
export class SourcesService {
  private readonly jsonReads = new CoalescedReads<string | null>();

  constructor(
    private readonly repository: LeadSyncRepository,
    private readonly clock: Clock,
    @Inject(businessConfig.KEY) private readonly business: ConfigType<typeof businessConfig>,
  ) {}

  list(): Promise<SourceView[]> {
    return this.repository.listSources(this.business.timezone, this.clock.now());
  }

  /** `list()` as JSON text, shared by the identical requests that arrived while one ran. */
  async listJson(): Promise<string> {
    const text = await this.jsonReads.read('list', () =>
      this.repository.listSourcesJson(this.business.timezone, this.clock.now()),
    );
    return text!;
  }

  get(id: number, days?: number): Promise<SourceDetail | null> {
    return this.repository.getSource(id, this.business.timezone, this.clock.now(), days);
  }

  /**
   * `get(id, days)` as JSON text (null: no such source). The requests for any ids with the same
   * `days` that arrive while such a read runs are read together by the next one, in one
   * statement, each id once.
   */
  getJson(id: number, days?: number): Promise<string | null> {
    return this.jsonReads.readOf(`source days=${days ?? ''}`, String(id), async (ids) => {
      const sources = await this.repository.getSources(
        ids.map(Number),
        this.business.timezone,
        this.clock.now(),
        days,
      );
      return sources.map((source) => (source === null ? null : JSON.stringify(source)));
    });
  }

  leadsPerHour(days: number): Promise<LeadsPerHour> {
    return this.repository.leadsPerHour(this.business.timezone, this.clock.now(), days);
  }

  create(displayName: string, sourceType: string): Promise<CreatedSource> {
    return this.repository.createSource(displayName, sourceType);
  }
}
