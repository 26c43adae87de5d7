import { registerAs } from '@nestjs/config';
import { Env, readInt } from './env';

export function parseRetentionConfig(env: Env) {
  return {
    /** Webhook deliveries (raw bodies with callers' numbers) older than this are deleted; 0 keeps them. */
    deliveryDays: readInt(env, 'DELIVERY_RETENTION_DAYS', 30, { min: 0, max: 36500 }),
    /** Sync runs older than this are deleted; 0 keeps them. */
    syncRunDays: readInt(env, 'SYNC_RUN_RETENTION_DAYS', 90, { min: 0, max: 36500 }),
  };
}

export const retentionConfig = registerAs('retention', () => parseRetentionConfig(process.env));
