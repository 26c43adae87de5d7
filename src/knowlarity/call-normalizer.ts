import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { businessConfig } from '../config';
import { DomainError } from '../common/domain-error';
import type { CallEvent } from './call-event';
import { normalizeCall, NormalizeOptions } from './normalize-call';

/**
 * The pure normaliser with this account's settings (BUSINESS_TIMEZONE, DEFAULT_COUNTRY): the one
 * place they become {@link NormalizeOptions}, for every transport.
 */
@Injectable()
export class CallNormalizer {
  readonly options: Readonly<NormalizeOptions>;

  constructor(@Inject(businessConfig.KEY) business: ConfigType<typeof businessConfig>) {
    this.options = Object.freeze({
      defaultCountry: business.defaultCountry,
      timezone: business.timezone,
    });
  }

  /**
   * A webhook payload or call-log record as a CallEvent.
   *
   * @throws DomainError (InvalidPayloadError, NoCustomerPhoneError) when it cannot become one.
   */
  normalize(raw: unknown): CallEvent {
    return normalizeCall(raw, this.options);
  }

  /**
   * A call-log record as a CallEvent, or null when it cannot become one (no usable customer
   * phone): such records are counted by the caller, never a reason to fail a whole window.
   */
  normalizeRecord(record: Record<string, unknown>): CallEvent | null {
    try {
      return this.normalize(record);
    } catch (error) {
      if (error instanceof DomainError) return null;
      throw error;
    }
  }
}
