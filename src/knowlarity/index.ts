export type { ArrivalPath, CallDirection, CallEvent } from './call-event';
export {
  CUSTOMER_PHONE_KEYS,
  InvalidPayloadError,
  NoCustomerPhoneError,
} from './knowlarity.errors';
export {
  DEFAULT_NORMALIZE_OPTIONS,
  normalizeCall,
  parseFormOrQuery,
  type NormalizeOptions,
} from './normalize-call';
export { maskPhone, normalizePhone, type NormalizedPhone } from './phone';
export {
  combineDateAndTime,
  DEFAULT_TIMEZONE,
  formatInZone,
  formatIst,
  isValidTimeZone,
  parseKnowlarityTime,
  zoneOffsetMinutes,
} from './times';
