import { parseIngestConfig } from './ingest.config';

describe('ingest rules from configuration', () => {
  it('normalises every number to E.164, whatever form it was written in', () => {
    const { rules } = parseIngestConfig({
      KNOWLARITY_NUMBER_SOURCES: '+919600000301=Google Ads, 09600000302 = Meta',
      KNOWLARITY_ALLOWED_NUMBERS: '919600000301,+91 96000-00302',
      KNOWLARITY_IGNORED_CALLERS: '9700000201',
      KNOWLARITY_OUTBOUND_CREATES_LEADS: 'true',
    });

    expect(rules).toEqual({
      defaultSource: { displayName: 'Knowlarity', sourceType: 'knowlarity_call' },
      numberSources: { '+919600000301': 'Google Ads', '+919600000302': 'Meta' },
      allowedNumbers: ['+919600000301', '+919600000302'],
      ignoredCallers: ['+919700000201'],
      outboundCreatesLeads: true,
      agentUsers: {},
      numberOwners: {},
    });
  });

  it('maps agents and SR numbers to CRM users, keyed by E.164', () => {
    const { rules } = parseIngestConfig({
      KNOWLARITY_AGENT_USERS: '+919000000001=17, 09000000002 = 23',
      KNOWLARITY_NUMBER_OWNERS: '919600000301=asha@example.com',
    });

    expect(rules.agentUsers).toEqual({ '+919000000001': '17', '+919000000002': '23' });
    expect(rules.numberOwners).toEqual({ '+919600000301': 'asha@example.com' });
  });

  it.each([
    [
      { KNOWLARITY_AGENT_USERS: '+919000000001' },
      /KNOWLARITY_AGENT_USERS must be a comma-separated list/,
    ],
    [
      { KNOWLARITY_AGENT_USERS: 'agent=17' },
      /KNOWLARITY_AGENT_USERS must be a comma-separated list/,
    ],
    [
      { KNOWLARITY_NUMBER_OWNERS: `+919600000301=${'x'.repeat(101)}` },
      /KNOWLARITY_NUMBER_OWNERS must be/,
    ],
    [
      { KNOWLARITY_AGENT_USERS: '+919000000001=17,09000000001=23' },
      /KNOWLARITY_AGENT_USERS maps one number to two CRM user ids/,
    ],
  ])('refuses %j', (env, message) => {
    expect(() => parseIngestConfig(env)).toThrow(message);
  });
});
