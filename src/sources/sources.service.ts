import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { Clock } from '../common/clock';
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
 */
@Injectable()
export class SourcesService {
  constructor(
    private readonly repository: LeadSyncRepository,
    private readonly clock: Clock,
    @Inject(businessConfig.KEY) private readonly business: ConfigType<typeof businessConfig>,
  ) {}

  list(): Promise<SourceView[]> {
    return this.repository.listSources(this.business.timezone, this.clock.now());
  }

  get(id: number, days?: number): Promise<SourceDetail | null> {
    return this.repository.getSource(id, this.business.timezone, this.clock.now(), days);
  }

  leadsPerHour(days: number): Promise<LeadsPerHour> {
    return this.repository.leadsPerHour(this.business.timezone, this.clock.now(), days);
  }

  create(displayName: string, sourceType: string): Promise<CreatedSource> {
    return this.repository.createSource(displayName, sourceType);
  }
}
