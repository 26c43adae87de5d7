/** The pure normaliser's public surface (no Nest, no database): what transports import. */
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
export { DEFAULT_TIMEZONE, formatInZone, parseKnowlarityTime } from './times';
