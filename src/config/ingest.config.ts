import { registerAs } from '@nestjs/config';
import { normalizePhone } from '../knowlarity/phone';
import { Env, InvalidConfigError, readBoolean, readInt, readList, readString } from './env';

/** The CRM rules the ingest function applies, as it receives them (see knowlarity_ingest_call). */
export interface IngestRules {
  defaultSource: { displayName: string; sourceType: string };
  numberSources: Record<string, string>;
  allowedNumbers: string[];
  ignoredCallers: string[];
  outboundCreatesLeads: boolean;
}

function e164List(env: Env, name: string): string[] {
  return readList(env, name).map((entry) => {
    const phone = normalizePhone(entry);
    if (!phone) throw new InvalidConfigError(name, `holds "${entry}", which is not a phone number`);
    return phone.e164;
  });
}

/** `+919600000301=Google Ads,+919600000302=Meta` → { '+919600000301': 'Google Ads', ... } */
function numberSources(env: Env): Record<string, string> {
  const name = 'KNOWLARITY_NUMBER_SOURCES';
  const entries = readList(env, name).map((entry) => {
    const [number, ...rest] = entry.split('=');
    const phone = normalizePhone(number);
    const sourceName = rest.join('=').trim();
    if (!phone || !sourceName) {
      throw new InvalidConfigError(
        name,
        'must be a comma-separated list of <SR number>=<source name>',
      );
    }
    return [phone.e164, sourceName] as const;
  });
  return Object.fromEntries(entries);
}

export function parseIngestConfig(env: Env) {
  const rules: IngestRules = {
    defaultSource: {
      displayName: readString(env, 'KNOWLARITY_SOURCE_NAME', 'Knowlarity'),
      sourceType: readString(env, 'KNOWLARITY_SOURCE_TYPE', 'knowlarity_call'),
    },
    numberSources: numberSources(env),
    allowedNumbers: e164List(env, 'KNOWLARITY_ALLOWED_NUMBERS'),
    ignoredCallers: e164List(env, 'KNOWLARITY_IGNORED_CALLERS'),
    outboundCreatesLeads: readBoolean(env, 'KNOWLARITY_OUTBOUND_CREATES_LEADS', false),
  };
  return {
    rules,
    // Deliveries that arrive while an ingest is in flight go together in one transaction, at
    // most this many (1: every delivery alone). See src/ingest/ingest-batcher.ts.
    batchMax: readInt(env, 'INGEST_BATCH_MAX', 64, { min: 1, max: 1000 }),
    // Batches in flight at once: enough to keep a server's cores busy, few enough that each
    // batch gathers many deliveries. The embedded database always takes one at a time.
    batchesInFlight: readInt(env, 'INGEST_BATCHES_IN_FLIGHT', 2, { min: 1, max: 64 }),
  };
}

export const ingestConfig = registerAs('ingest', () => parseIngestConfig(process.env));
