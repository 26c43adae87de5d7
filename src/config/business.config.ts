import { registerAs } from '@nestjs/config';
import { DEFAULT_TIMEZONE } from '../knowlarity/times';
import { Env, InvalidConfigError, readString, readTimeZone } from './env';

export function parseBusinessConfig(env: Env) {
  const defaultCountry = readString(env, 'DEFAULT_COUNTRY', 'IN').toUpperCase();
  if (defaultCountry !== 'IN') {
    // Phone matching follows the Indian national-number rules of docs/knowlarity.md §5.
    throw new InvalidConfigError(
      'DEFAULT_COUNTRY',
      'must be IN (the only numbering plan supported)',
    );
  }
  return {
    timezone: readTimeZone(env, 'BUSINESS_TIMEZONE', DEFAULT_TIMEZONE),
    defaultCountry,
  };
}

export const businessConfig = registerAs('business', () => parseBusinessConfig(process.env));
