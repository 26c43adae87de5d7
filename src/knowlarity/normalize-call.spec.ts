import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CallEvent } from './call-event';
import { InvalidPayloadError, NoCustomerPhoneError } from './knowlarity.errors';
import {
  DEFAULT_NORMALIZE_OPTIONS,
  normalizeCall,
  NormalizeOptions,
  parseFormOrQuery,
} from './normalize-call';

const OPTIONS: NormalizeOptions = { defaultCountry: 'IN', timezone: 'Asia/Kolkata' };
const FIXTURES = join(__dirname, '../../examples');

function fixture(name: string): string {
  return readFileSync(join(FIXTURES, name), 'utf8');
}

/** The `data:` lines of an SSE capture, parsed. */
function sseEvents(text: string): Record<string, unknown>[] {
  return text
    .split('\n')
    .filter((line) => line.startsWith('data: '))
    .map((line) => JSON.parse(line.slice('data: '.length)) as Record<string, unknown>);
}

/** An answered inbound call in call-log shape; each test changes only what it is about. */
function answered(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    uuid: 'call-1',
    customer_number: '+919800000101',
    agent_number: '+919700000201',
    knowlarity_number: '+919600000301',
    start_time: '2026-11-20 11:11:21+05:30',
    call_duration: 120,
    ...overrides,
  };
}

function normalize(raw: unknown): CallEvent {
  return normalizeCall(raw, OPTIONS);
}

describe('normalizeCall', () => {
  describe('sample payloads', () => {
    const page = JSON.parse(fixture('calllog-page.json')) as { objects: unknown[] };

    it('reads call-log record 1 (answered inbound)', () => {
      expect(normalize(page.objects[0])).toEqual<CallEvent>({
        callId: '0b6f1d2e-6a53-4c1e-9d8a-1f0c2b3a4d01',
        callIdDerived: false,
        customerPhone: '9800000101',
        customerPhoneE164: '+919800000101',
        srNumber: '+919600000301',
        agentNumber: '+919700000201',
        agentLabel: null,
        direction: 'inbound',
        missed: false,
        durationSeconds: 293,
        recordingUrl:
          'https://sr.knowlarity.com/vr/fetchsound/?callid=0b6f1d2e-6a53-4c1e-9d8a-1f0c2b3a4d01',
        startedAt: new Date('2026-11-20T05:41:21.000Z'),
        callerName: null,
        businessCallType: 'Call Group',
        hangupCause: null,
      });
    });

    it.each([
      [
        '2 (missed, label and number split)',
        1,
        {
          callId: '0b6f1d2e-6a53-4c1e-9d8a-1f0c2b3a4d02',
          customerPhone: '9800000102',
          agentLabel: 'Customer Missed',
          agentNumber: '+919700000202',
          missed: true,
          durationSeconds: 0,
          recordingUrl: null,
          direction: 'inbound',
          businessCallType: 'Missed Call',
        },
        '2026-11-20T05:44:02.000Z',
      ],
      [
        '3 (outbound, duration as a string)',
        2,
        {
          callId: '0b6f1d2e-6a53-4c1e-9d8a-1f0c2b3a4d03',
          customerPhone: '9800000101',
          direction: 'outbound',
          durationSeconds: 61,
          missed: false,
        },
        '2026-11-20T07:10:09.000Z',
      ],
    ])('reads call-log record %s', (_record, index, fields, startedAt) => {
      const event = normalize(page.objects[index]);

      expect(event).toMatchObject(fields);
      expect(event.startedAt?.toISOString()).toBe(startedAt);
    });

    it('reads the classic hook query string', () => {
      const event = normalize(parseFormOrQuery(fixture('hook-classic.query.txt')));

      expect(event).toEqual<CallEvent>({
        callId: '5c1e7a90-3f4b-4d2a-8e61-7b9c0d1e2f31',
        callIdDerived: false,
        customerPhone: '9800000111',
        customerPhoneE164: '+919800000111',
        srNumber: '+919600000301',
        agentNumber: null,
        agentLabel: null,
        direction: 'inbound',
        // No agent_number and the call ended on the "Welcome Sound" IVR node (no recording):
        // the destination is read as the outcome, so the call never reached an agent.
        missed: true,
        durationSeconds: 7,
        recordingUrl: null,
        startedAt: new Date('2026-11-20T03:49:27.391Z'),
        callerName: null,
        businessCallType: null,
        hangupCause: '900',
      });
    });

    it('reads the log-push JSON', () => {
      const event = normalize(JSON.parse(fixture('hook-logpush.json')));

      expect(event).toEqual<CallEvent>({
        callId: '9a8b7c6d-1234-4e5f-8a9b-0c1d2e3f4a51',
        callIdDerived: false,
        customerPhone: '9800000121',
        customerPhoneE164: '+919800000121',
        srNumber: '+919600000301',
        agentNumber: '+919700000203',
        agentLabel: null,
        direction: 'inbound',
        missed: false,
        durationSeconds: 245,
        recordingUrl:
          'https://sr.knowlarity.com/vr/fetchsound/?callid=9a8b7c6d-1234-4e5f-8a9b-0c1d2e3f4a51',
        startedAt: new Date('2026-11-20T09:02:05.000Z'),
        callerName: null,
        businessCallType: null,
        hangupCause: '900',
      });
    });

    it('reads the SSE CDR line', () => {
      const cdr = sseEvents(fixture('sse-stream.txt')).find((e) => e.type === 'CDR');

      expect(normalize(cdr)).toEqual<CallEvent>({
        callId: '4d3c2b1a-0f9e-4d8c-b7a6-958473625141',
        callIdDerived: false,
        customerPhone: '9800000131',
        customerPhoneE164: '+919800000131',
        srNumber: '+919600000301',
        agentNumber: null,
        agentLabel: null,
        direction: 'inbound',
        missed: false,
        durationSeconds: 48,
        recordingUrl: null,
        startedAt: new Date('2026-11-20T09:32:11.000Z'),
        callerName: null,
        businessCallType: 'Phone',
        hangupCause: null,
      });
    });

    it('reads every SSE line as the same call', () => {
      const events = sseEvents(fixture('sse-stream.txt')).map(normalize);

      expect(events).toHaveLength(3);
      expect(new Set(events.map((e) => e.callId))).toEqual(
        new Set(['4d3c2b1a-0f9e-4d8c-b7a6-958473625141']),
      );
      expect(events.map((e) => e.customerPhone)).toEqual([
        '9800000131',
        '9800000131',
        '9800000131',
      ]);
      expect(events.map((e) => e.direction)).toEqual(['inbound', 'inbound', 'inbound']);
    });
  });

  describe('customer phone', () => {
    it.each([
      ['+91', '+919800000101'],
      ['91', '919800000101'],
      ['0091', '00919800000101'],
      ['0', '09800000101'],
      ['10 digits', '9800000101'],
      ['spaces', '+91 98000 00101'],
      ['dashes', '98000-00101'],
      ['a number', 919800000101],
    ])('reads the %s form', (_form, value) => {
      const event = normalize(answered({ customer_number: value }));

      expect(event.customerPhone).toBe('9800000101');
      expect(event.customerPhoneE164).toBe('+919800000101');
    });

    it.each([
      ['%2B', '{"customer_number": "%2B919800000101"}'],
      ['%2b', '{"customer_number": "%2b919800000101"}'],
    ])('decodes %s inside a JSON string', (_form, body) => {
      expect(normalize(JSON.parse(body)).customerPhoneE164).toBe('+919800000101');
    });

    it('reads a + that a query decoder turned into a space', () => {
      const fields = parseFormOrQuery(
        'callid=abc&caller_id=+919800000111&dispnumber=+919600000301',
      );

      expect(fields.caller_id).toBe(' 919800000111');
      const event = normalize(fields);
      expect(event.customerPhone).toBe('9800000111');
      expect(event.customerPhoneE164).toBe('+919800000111');
      expect(event.srNumber).toBe('+919600000301');
    });

    it.each([['caller_id'], ['caller_number'], ['caller'], ['customer'], ['Customer_Number']])(
      'reads the %s alias',
      (key) => {
        expect(normalize({ uuid: 'x', [key]: '+919800000101' }).customerPhone).toBe('9800000101');
      },
    );

    it('prefers customer_number over caller_id', () => {
      const event = normalize({ customer_number: '9800000101', caller_id: '9800000999' });

      expect(event.customerPhone).toBe('9800000101');
    });

    it('skips an alias whose value is not a phone', () => {
      const event = normalize({ customer_number: 'Anonymous', caller_id: '9800000999' });

      expect(event.customerPhone).toBe('9800000999');
    });

    it('keeps a foreign number whole', () => {
      const event = normalize(answered({ customer_number: '+14155550100' }));

      expect(event.customerPhone).toBe('14155550100');
      expect(event.customerPhoneE164).toBe('+14155550100');
    });
  });

  describe('SR number', () => {
    it.each([['knowlarity_number'], ['dispnumber'], ['called_number'], ['sr_number']])(
      'reads %s as E.164',
      (key) => {
        expect(normalize({ customer_number: '9800000101', [key]: '9600000301' }).srNumber).toBe(
          '+919600000301',
        );
      },
    );

    it('keeps a value that is not a phone as sent (trimmed)', () => {
      expect(normalize(answered({ knowlarity_number: ' 1800-SR-LINE ' })).srNumber).toBe(
        '1800-SR-LINE',
      );
    });

    it('prefers a later alias that parses over an earlier one that does not', () => {
      const event = normalize(
        answered({ knowlarity_number: 'main line', dispnumber: '+919600000302' }),
      );

      expect(event.srNumber).toBe('+919600000302');
    });

    it('is null when absent', () => {
      expect(normalize({ customer_number: '9800000101' }).srNumber).toBeNull();
    });
  });

  describe('agent', () => {
    it.each([
      ['Customer Missed#+918103858929', 'Customer Missed', '+918103858929'],
      ['Agent Missed#+919700000201', 'Agent Missed', '+919700000201'],
      ['Customer Missed # 918103858929', 'Customer Missed', '+918103858929'],
      ['Customer Missed%23%2B918103858929', 'Customer Missed', '+918103858929'],
      ['Customer Missed#', 'Customer Missed', null],
      ['Did Not Process', 'Did Not Process', null],
      ['NA', 'NA', null],
      ['Welcome Sound', 'Welcome Sound', null],
      ['+919700000201', null, '+919700000201'],
      ['09700000201', null, '+919700000201'],
    ])('reads agent_number %j', (value, label, number) => {
      const event = normalize(answered({ agent_number: value }));

      expect(event.agentLabel).toBe(label);
      expect(event.agentNumber).toBe(number);
    });

    it('falls back to destination when it is a phone', () => {
      const event = normalize(answered({ agent_number: undefined, destination: '+919700000209' }));

      expect(event.agentNumber).toBe('+919700000209');
      expect(event.agentLabel).toBeNull();
    });

    it('falls back to destination when agent_number holds only a label', () => {
      const event = normalize(
        answered({ agent_number: 'Did Not Process', destination: '9700000209' }),
      );

      expect(event.agentNumber).toBe('+919700000209');
      expect(event.agentLabel).toBe('Did Not Process');
    });

    it('prefers agent_number over destination', () => {
      const event = normalize(answered({ destination: '+919700000209' }));

      expect(event.agentNumber).toBe('+919700000201');
    });

    it('never stores a non-phone destination as the agent label', () => {
      const event = normalize(answered({ agent_number: '', destination: 'Welcome Sound' }));

      expect(event.agentNumber).toBeNull();
      expect(event.agentLabel).toBeNull();
    });
  });

  describe('direction', () => {
    it.each([
      ['Call_Type', 0, 'inbound'],
      ['Call_Type', '0', 'inbound'],
      ['Call_Type', 1, 'outbound'],
      ['Call_Type', '1', 'outbound'],
      ['Call_Type', 'Incoming', 'inbound'],
      ['Call_Type', 'Outgoing', 'outbound'],
      ['call_type', 'incoming', 'inbound'],
      ['call_type', 'outgoing', 'outbound'],
      ['call_type', 'inbound', 'inbound'],
      ['call_type', 'outbound', 'outbound'],
      ['CALL_TYPE', ' OUTGOING ', 'outbound'],
      ['call_direction', 'inbound', 'inbound'],
      ['call_direction', 'Inbound', 'inbound'],
      ['call_direction', 'OUTBOUND', 'outbound'],
      ['call_direction', 'Outbound', 'outbound'],
      ['business_call_type', 'Outbound', 'outbound'],
      ['business_call_type', 'Call Group', 'inbound'],
    ])('reads %s = %p as %s', (key, value, expected) => {
      expect(normalize(answered({ [key]: value })).direction).toBe(expected);
    });

    it('defaults to inbound', () => {
      expect(normalize(answered()).direction).toBe('inbound');
    });

    it('prefers Call_Type over call_direction and business_call_type', () => {
      const event = normalize(
        answered({ Call_Type: 0, call_direction: 'outbound', business_call_type: 'Outbound' }),
      );

      expect(event.direction).toBe('inbound');
    });

    it('treats Call_Type and call_type as one field, first non-empty value winning', () => {
      expect(normalize(answered({ Call_Type: '', call_type: 'outgoing' })).direction).toBe(
        'outbound',
      );
    });

    it('falls through an empty Call_Type to call_direction', () => {
      expect(normalize(answered({ Call_Type: 'None', call_direction: 'outbound' })).direction).toBe(
        'outbound',
      );
    });

    it('falls through an unknown Call_Type to call_direction', () => {
      expect(normalize(answered({ Call_Type: '7', call_direction: 'outbound' })).direction).toBe(
        'outbound',
      );
    });
  });

  describe('missed', () => {
    it('is false for an answered call', () => {
      expect(normalize(answered()).missed).toBe(false);
    });

    it.each([
      ['duration 0', { call_duration: 0 }],
      ['duration "0"', { call_duration: '0' }],
      ['agent label Customer Missed', { agent_number: 'Customer Missed#+918103858929' }],
      ['agent label Agent Missed', { agent_number: 'Agent Missed#+919700000201' }],
      ['agent label in lower case', { agent_number: 'customer missed' }],
      ['agent label Did Not Process', { agent_number: 'Did Not Process' }],
      ['agent label NA', { agent_number: 'NA' }],
      ['agent label containing sound', { agent_number: 'Welcome Sound' }],
      ['agent label containing SOUND', { agent_number: 'IVR_SOUND_END' }],
      ['business_call_type Missed Call', { business_call_type: 'Missed Call' }],
      ['business_call_type Unanswered', { business_call_type: 'Unanswered' }],
      ['call_status missed', { call_status: 'missed' }],
      ['call_status Missed', { call_status: 'Missed' }],
      ['call_status unanswered', { call_status: 'unanswered' }],
      ['call_status no answer', { call_status: 'no answer' }],
      ['call_status NO_ANSWER', { call_status: 'NO_ANSWER' }],
      ['call_status noanswer', { call_status: 'noanswer' }],
      ['call_status not answered', { call_status: 'Not Answered' }],
      ['call_status not_answered', { call_status: 'not_answered' }],
      ['call_status busy', { call_status: 'BUSY' }],
      ['hangup_cause other than 900', { hangup_cause: '16' }],
      ['hangup_cause as a number', { hangup_cause: 503 }],
      [
        'no agent_number and a non-phone destination',
        { agent_number: null, destination: 'Welcome Sound' },
      ],
    ])('is true on its own for %s', (_rule, overrides) => {
      expect(normalize(answered(overrides)).missed).toBe(true);
    });

    it.each([
      ['hangup_cause 900', { hangup_cause: '900' }],
      ['hangup_cause 900 as a number', { hangup_cause: 900 }],
      ['hangup_cause None', { hangup_cause: 'None' }],
      ['call_status answered', { call_status: 'answered' }],
      ['business_call_type Call Group', { business_call_type: 'Call Group' }],
      ['no duration at all', { call_duration: undefined }],
      ['garbage duration', { call_duration: 'n/a' }],
      ['a destination label beside an agent phone', { destination: 'Welcome Sound' }],
      ['a neutral destination label', { agent_number: null, destination: 'Sales Team' }],
    ])('stays false for %s', (_case, overrides) => {
      expect(normalize(answered(overrides)).missed).toBe(false);
    });
  });

  describe('duration', () => {
    it.each([
      [293, 293],
      ['61', 61],
      [' 61 ', 61],
      ['61.6', 62],
      [61.4, 61],
      ['00:04:53', 293],
      ['4:53', 293],
      [0, 0],
    ])('reads %p as %p seconds', (value, expected) => {
      expect(normalize(answered({ call_duration: value })).durationSeconds).toBe(expected);
    });

    it.each([[-5], ['-5'], ['abc'], [''], ['None'], ['1:75'], [Number.NaN]])(
      'reads %p as null',
      (value) => {
        expect(normalize(answered({ call_duration: value })).durationSeconds).toBeNull();
      },
    );

    it('falls back to caller_duration and duration', () => {
      expect(
        normalize(answered({ call_duration: 'abc', caller_duration: '245' })).durationSeconds,
      ).toBe(245);
      expect(
        normalize(answered({ call_duration: undefined, duration: '12' })).durationSeconds,
      ).toBe(12);
    });
  });

  describe('recording', () => {
    const url = 'https://sr.knowlarity.com/vr/fetchsound/?callid=abc';

    it.each([
      ['call_recording', url],
      ['resource_url', url],
      ['recording_url', 'http://sr.knowlarity.com/vr/fetchsound/?callid=abc'],
      ['secured_recording_url', url],
    ])('reads %s', (key, value) => {
      expect(normalize(answered({ [key]: value })).recordingUrl).toBe(value);
    });

    it('takes the first alias holding a URL', () => {
      expect(normalize(answered({ call_recording: '', resource_url: url })).recordingUrl).toBe(url);
    });

    it('keeps a URL exactly as sent', () => {
      const signed = 'https://cdn.example.com/rec.mp3?sig=a%2Fb%3D&exp=1';

      expect(normalize(answered({ recording_url: ` ${signed} ` })).recordingUrl).toBe(signed);
    });

    it('decodes a fully percent-encoded URL', () => {
      const encoded = encodeURIComponent(url);

      expect(normalize(answered({ call_recording: encoded })).recordingUrl).toBe(url);
    });

    it.each([[''], ['None'], ['ftp://example.com/a.mp3'], ['javascript:alert(1)'], ['not a url']])(
      'rejects %j',
      (value) => {
        expect(normalize(answered({ call_recording: value })).recordingUrl).toBeNull();
      },
    );
  });

  describe('start time', () => {
    it.each([
      [
        'start_time with +05:30',
        { start_time: '2026-11-20 11:11:21+05:30' },
        '2026-11-20T05:41:21.000Z',
      ],
      [
        'start_time with +00:00 and microseconds',
        { start_time: '2026-11-20 03:49:27.391601+00:00' },
        '2026-11-20T03:49:27.391Z',
      ],
      ['start_time with Z', { start_time: '2026-11-20T05:41:21Z' }, '2026-11-20T05:41:21.000Z'],
      ['naive start_time (IST)', { start_time: '2026-11-20 11:11:21' }, '2026-11-20T05:41:21.000Z'],
      ['epoch seconds', { start_time: 1795153281 }, '2026-11-20T05:41:21.000Z'],
      [
        'epoch milliseconds as a string',
        { start_time: '1795153281000' },
        '2026-11-20T05:41:21.000Z',
      ],
      [
        'call_start_time',
        { start_time: undefined, call_start_time: '2026-11-20 11:11:21+05:30' },
        '2026-11-20T05:41:21.000Z',
      ],
      [
        'start',
        { start_time: undefined, start: '2026-11-20 11:11:21+05:30' },
        '2026-11-20T05:41:21.000Z',
      ],
      [
        'call_date + call_time',
        { start_time: undefined, call_date: '2026-11-20', call_time: '14:32:05' },
        '2026-11-20T09:02:05.000Z',
      ],
      [
        'call_date + call_time after a garbage start_time',
        { start_time: 'soon', call_date: '2026-11-20', call_time: '14:32:05' },
        '2026-11-20T09:02:05.000Z',
      ],
    ])('reads %s', (_form, overrides, expected) => {
      expect(normalize(answered(overrides)).startedAt?.toISOString()).toBe(expected);
    });

    it('reads naive times in the configured zone', () => {
      const event = normalizeCall(answered({ start_time: '2026-11-20 11:11:21' }), {
        ...OPTIONS,
        timezone: 'UTC',
      });

      expect(event.startedAt?.toISOString()).toBe('2026-11-20T11:11:21.000Z');
    });

    it('reads an unencoded + that a query decoder turned into a space', () => {
      const fields = parseFormOrQuery('caller_id=9800000101&start_time=2026-11-20 11:11:21+05:30');

      expect(normalize(fields).startedAt?.toISOString()).toBe('2026-11-20T05:41:21.000Z');
    });

    it.each([
      ['absent', { start_time: undefined }],
      ['garbage', { start_time: 'yesterday' }],
      ['call_date without call_time', { start_time: undefined, call_date: '2026-11-20' }],
    ])('is null when %s', (_case, overrides) => {
      expect(normalize(answered(overrides)).startedAt).toBeNull();
    });
  });

  describe('text fields', () => {
    it.each([['caller_name'], ['customer_name'], ['name']])('reads %s trimmed', (key) => {
      expect(normalize(answered({ [key]: '  Ravi Kumar ' })).callerName).toBe('Ravi Kumar');
    });

    it.each([[''], ['None'], ['null'], ['   ']])('reads caller name %j as null', (value) => {
      expect(normalize(answered({ caller_name: value })).callerName).toBeNull();
    });

    it('reads business_call_type and hangup_cause as trimmed strings', () => {
      const event = normalize(answered({ business_call_type: ' DTMF ', hangup_cause: 900 }));

      expect(event.businessCallType).toBe('DTMF');
      expect(event.hangupCause).toBe('900');
    });

    it('decodes percent-encoded labels', () => {
      const event = normalize(answered({ business_call_type: 'Missed%20Call' }));

      expect(event.businessCallType).toBe('Missed Call');
      expect(event.missed).toBe(true);
    });
  });

  describe('call id', () => {
    it.each([['uuid'], ['callid'], ['call_uuid'], ['call_id'], ['CallUUID'], ['CALLID']])(
      'reads %s',
      (key) => {
        const event = normalize({ customer_number: '9800000101', [key]: ' abc-123 ' });

        expect(event.callId).toBe('abc-123');
        expect(event.callIdDerived).toBe(false);
      },
    );

    it('reads a numeric id as text', () => {
      expect(normalize(answered({ uuid: 12345 })).callId).toBe('12345');
    });

    it('prefers uuid over callid', () => {
      expect(normalize(answered({ uuid: 'first', callid: 'second' })).callId).toBe('first');
    });

    it('derives a documented, deterministic id when none is sent', () => {
      const raw = answered({ uuid: undefined });
      const expected = createHash('sha256')
        .update('9800000101|+919600000301|2026-11-20T05:41:21.000Z')
        .digest('hex')
        .slice(0, 32);

      const first = normalize(raw);
      const second = normalize({ ...raw });

      expect(first.callId).toBe(`derived:${expected}`);
      expect(first.callIdDerived).toBe(true);
      expect(second.callId).toBe(first.callId);
    });

    it.each([['None'], ['null'], [''], ['  ']])('derives an id when uuid is %j', (value) => {
      const event = normalize(answered({ uuid: value }));

      expect(event.callIdDerived).toBe(true);
      expect(event.callId).toMatch(/^derived:[0-9a-f]{32}$/);
    });

    it('derives different ids for different calls', () => {
      const base = answered({ uuid: undefined });
      const ids = [
        base,
        { ...base, customer_number: '+919800000102' },
        { ...base, knowlarity_number: '+919600000302' },
        { ...base, start_time: '2026-11-20 11:11:22+05:30' },
        { ...base, start_time: undefined },
        { ...base, knowlarity_number: undefined },
      ].map((raw) => normalize(raw).callId);

      expect(new Set(ids).size).toBe(ids.length);
    });

    it('derives the same id for the same call in different shapes', () => {
      const callLog = {
        customer_number: '+919800000121',
        knowlarity_number: '+919600000301',
        start_time: '2026-11-20 14:32:05+05:30',
      };
      const logPush = {
        caller_number: '%2B919800000121',
        called_number: '919600000301',
        call_date: '2026-11-20',
        call_time: '14:32:05',
      };

      expect(normalize(logPush).callId).toBe(normalize(callLog).callId);
    });
  });

  describe('wrappers', () => {
    const call = answered();

    it.each([
      ['data', { data: call }],
      ['call', { call }],
      ['payload', { payload: call }],
      ['Data (any case)', { Data: call }],
      ['data as a JSON string', { data: JSON.stringify(call) }],
      ['nested wrappers', { data: { payload: call } }],
    ])('unwraps %s', (_name, raw) => {
      const event = normalize(raw);

      expect(event.callId).toBe('call-1');
      expect(event.customerPhone).toBe('9800000101');
      expect(event.durationSeconds).toBe(120);
    });

    it('lets the wrapped call win over fields beside it, which stay as a fallback', () => {
      const event = normalize({
        uuid: 'outer',
        business_call_type: 'Phone',
        data: { uuid: 'inner', customer_number: '9800000101' },
      });

      expect(event.callId).toBe('inner');
      expect(event.businessCallType).toBe('Phone');
    });

    it('treats a data field that is not an object as an ordinary field', () => {
      const event = normalize({ ...call, data: 'not json' });

      expect(event.callId).toBe('call-1');
    });

    it('does not unwrap an array', () => {
      expect(() => normalize({ data: [call] })).toThrow(NoCustomerPhoneError);
    });
  });

  describe('errors', () => {
    class Payload {
      customer_number = '9800000101';
    }

    it.each([
      ['an array of one call', [answered()]],
      ['an empty array', []],
      ['null', null],
      ['undefined', undefined],
      ['a JSON string', JSON.stringify(answered())],
      ['a number', 42],
      ['a Map', new Map([['customer_number', '9800000101']])],
      ['a class instance', new Payload()],
    ])('throws InvalidPayloadError for %s', (_name, raw) => {
      expect(() => normalize(raw)).toThrow(InvalidPayloadError);
    });

    it('names the kind of value without echoing it', () => {
      expect(() => normalize(['+919800000101'])).toThrow(
        'The payload must be a JSON object or form body describing one call, not an array.',
      );
    });

    it.each([
      ['an empty object', {}],
      ['a phone that is not a phone', { uuid: 'x', customer_number: 'Anonymous' }],
      ['empty markers only', { customer_number: 'None', caller_id: '' }],
      [
        'only agent and SR numbers',
        { agent_number: '+919700000201', knowlarity_number: '+919600000301' },
      ],
      ['a whole call-log page', JSON.parse(fixture('calllog-page.json'))],
    ])('throws NoCustomerPhoneError for %s', (_name, raw) => {
      expect(() => normalize(raw)).toThrow(NoCustomerPhoneError);
    });

    it('gives NoCustomerPhoneError its stable code', () => {
      expect.assertions(2);
      try {
        normalize({});
      } catch (error) {
        expect(error).toBeInstanceOf(NoCustomerPhoneError);
        expect((error as NoCustomerPhoneError).code).toBe('no_customer_phone');
      }
    });

    it('accepts a null-prototype record', () => {
      const raw = Object.assign(Object.create(null) as Record<string, unknown>, answered());

      expect(normalize(raw).callId).toBe('call-1');
    });
  });

  it('exposes default options for India', () => {
    expect(DEFAULT_NORMALIZE_OPTIONS).toEqual({ defaultCountry: 'IN', timezone: 'Asia/Kolkata' });
    expect(Object.isFrozen(DEFAULT_NORMALIZE_OPTIONS)).toBe(true);
  });
});

describe('parseFormOrQuery', () => {
  it('decodes a query string', () => {
    expect(
      parseFormOrQuery('dispnumber=%2B919600000301&destination=Welcome%20Sound&extension='),
    ).toEqual({
      dispnumber: '+919600000301',
      destination: 'Welcome Sound',
      extension: '',
    });
  });

  it('turns an unencoded + into a space, as form decoding does', () => {
    expect(parseFormOrQuery('caller_id=+919800000111')).toEqual({ caller_id: ' 919800000111' });
  });

  it('accepts a leading ? and surrounding whitespace', () => {
    expect(parseFormOrQuery('  ?callid=abc\n')).toEqual({ callid: 'abc' });
  });

  it('accepts a full URL', () => {
    expect(
      parseFormOrQuery('https://crm.example.com/hook?callid=abc&caller_id=%2B91#frag'),
    ).toEqual({
      callid: 'abc',
      caller_id: '+91',
    });
    expect(parseFormOrQuery('https://crm.example.com/hook')).toEqual({});
  });

  it('keeps the first non-blank value of a repeated key', () => {
    expect(parseFormOrQuery('a=&a=1&a=2&b=x&b=y')).toEqual({ a: '1', b: 'x' });
  });

  it('gives an empty record for an empty body', () => {
    expect(parseFormOrQuery('')).toEqual({});
  });

  it('stores __proto__ as an ordinary key', () => {
    const fields = parseFormOrQuery('__proto__=x&callid=abc');

    expect(Object.getPrototypeOf(fields)).toBe(Object.prototype);
    expect(Object.prototype.hasOwnProperty.call(fields, '__proto__')).toBe(true);
    expect(fields.callid).toBe('abc');
  });
});
