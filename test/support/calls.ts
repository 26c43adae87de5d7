import { randomUUID } from 'node:crypto';
import { IngestRules } from '../../src/config/ingest.config';
import { CallEvent } from '../../src/knowlarity/call-event';

export const KNOWLARITY_SR = '+919600000301';
export const META_SR = '+919600000302';

export const testRules: IngestRules = {
  defaultSource: { displayName: 'Knowlarity', sourceType: 'knowlarity_call' },
  numberSources: { [META_SR]: 'Meta' },
  allowedNumbers: [],
  ignoredCallers: [],
  outboundCreatesLeads: false,
};

/** An inbound answered call from `phone` (10 digits) to the default SR number. */
export function makeCall(phone: string, overrides: Partial<CallEvent> = {}): CallEvent {
  return {
    callId: randomUUID(),
    callIdDerived: false,
    customerPhone: phone,
    customerPhoneE164: `+91${phone}`,
    srNumber: KNOWLARITY_SR,
    agentNumber: '+919700000201',
    agentLabel: null,
    direction: 'inbound',
    missed: false,
    durationSeconds: 60,
    recordingUrl: null,
    startedAt: new Date('2026-11-20T05:41:21Z'),
    callerName: null,
    businessCallType: 'Call Group',
    hangupCause: null,
    ...overrides,
  };
}

let phoneCounter = 0;
/** A phone number no other test of this process uses. */
export function freshPhone(): string {
  phoneCounter += 1;
  return `98${String(process.pid % 1000).padStart(3, '0')}${String(phoneCounter).padStart(5, '0')}`;
}
