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
    });
  });
});
