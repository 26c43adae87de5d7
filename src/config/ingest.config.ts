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
  /** Agent phone (E.164) → the CRM user an answered inbound call makes a new lead's owner. */
  agentUsers?: Record<string, string>;
  /** SR number (E.164) → the CRM user who owns leads from calls to it nobody mapped answered. */
  numberOwners?: Record<string, string>;
}

function e164List(env: Env, name: string): string[] {
  return readList(env, name).map((entry) => {
    const phone = normalizePhone(entry);
    if (!phone) throw new InvalidConfigError(name, `holds "${entry}", which is not a phone number`);
    return phone.e164;
  });
}

/** The longest CRM user id accepted (`assigned_to` is free text in the CRM). */
const MAX_USER_ID_LENGTH = 100;

/**
 * A comma-separated list of `<phone>=<value>` as { '<E.164>': '<value>' }: `+919600000301=Google
 * Ads,+919600000302=Meta` → { '+919600000301': 'Google Ads', ... }. A phone listed twice with
 * different values is refused rather than resolved silently.
 */
function phoneMap(
  env: Env,
  name: string,
  what: string,
  maxLength = Infinity,
): Record<string, string> {
  const map: Record<string, string> = {};
  for (const entry of readList(env, name)) {
    const [number, ...rest] = entry.split('=');
    const phone = normalizePhone(number);
    const value = rest.join('=').trim();
    if (!phone || !value || value.length > maxLength) {
      throw new InvalidConfigError(
        name,
        `must be a comma-separated list of <phone number>=<${what}>`,
      );
    }
    if (map[phone.e164] !== undefined && map[phone.e164] !== value) {
      throw new InvalidConfigError(name, `maps one number to two ${what}s`);
    }
    map[phone.e164] = value;
  }
  return map;
}

export function parseIngestConfig(env: Env) {
  const rules: IngestRules = {
    defaultSource: {
      displayName: readString(env, 'KNOWLARITY_SOURCE_NAME', 'Knowlarity'),
      sourceType: readString(env, 'KNOWLARITY_SOURCE_TYPE', 'knowlarity_call'),
    },
    numberSources: phoneMap(env, 'KNOWLARITY_NUMBER_SOURCES', 'source name'),
    allowedNumbers: e164List(env, 'KNOWLARITY_ALLOWED_NUMBERS'),
    ignoredCallers: e164List(env, 'KNOWLARITY_IGNORED_CALLERS'),
    outboundCreatesLeads: readBoolean(env, 'KNOWLARITY_OUTBOUND_CREATES_LEADS', false),
    agentUsers: phoneMap(env, 'KNOWLARITY_AGENT_USERS', 'CRM user id', MAX_USER_ID_LENGTH),
    numberOwners: phoneMap(env, 'KNOWLARITY_NUMBER_OWNERS', 'CRM user id', MAX_USER_ID_LENGTH),
  };
  return {
    rules,
    // Deliveries that arrive while an ingest is in flight go together in one transaction, at
    // most this many (1: every delivery alone). See src/ingest/ingest-batcher.ts.
    batchMax: readInt(env, 'INGEST_BATCH_MAX', 64, { min: 1, max: 1000 }),
    // Batches in flight at once: enough to keep a server's cores busy, few enough that each
    // batch gathers many deliveries. 3 gave the best throughput and p99 at 64 connections in
    // bench/README.md's side-by-side rounds (against 2 and 4). The embedded database always
    // takes one at a time.
    batchesInFlight: readInt(env, 'INGEST_BATCHES_IN_FLIGHT', 3, { min: 1, max: 64 }),
  };
}

export const ingestConfig = registerAs('ingest', () => parseIngestConfig(process.env));
