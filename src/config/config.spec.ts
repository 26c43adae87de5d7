import { AddressMatcher } from '../common/address-matcher';
import { parseDatabaseConfig } from './database.config';
import { parseHttpConfig, parseTrustProxy } from './http.config';
import { validateEnvironment } from './index';
import { parseIngestConfig } from './ingest.config';
import { parsePollingConfig } from './polling.config';
import { parseWebhookSecurityConfig } from './webhook-security.config';
import { parseRetentionConfig } from './retention.config';

describe('configuration', () => {
  describe('database driver resolution', () => {
    it('defaults to the embedded database in ./.data/pglite', () => {
      expect(parseDatabaseConfig({})).toMatchObject({
        driver: 'pglite',
        pgliteDataDir: './.data/pglite',
      });
    });

    it('uses postgres when DATABASE_URL is set', () => {
      expect(parseDatabaseConfig({ DATABASE_URL: 'postgres://db/x' }).driver).toBe('postgres');
    });

    it('prefers supabase when its URL and service role key are both set', () => {
      const config = parseDatabaseConfig({
        DATABASE_URL: 'postgres://db/x',
        SUPABASE_URL: 'https://abc.supabase.co',
        SUPABASE_SERVICE_ROLE_KEY: 'k',
      });
      expect(config.driver).toBe('supabase');
    });

    it('lets DATABASE_DRIVER choose explicitly', () => {
      expect(
        parseDatabaseConfig({ DATABASE_DRIVER: 'pglite', DATABASE_URL: 'postgres://db/x' }).driver,
      ).toBe('pglite');
    });
  });

  it.each([
    [{ PORT: 'eighty' }, /PORT must be an integer/],
    [{ DATABASE_DRIVER: 'mysql' }, /DATABASE_DRIVER must be one of pglite, postgres, supabase/],
    [{ DATABASE_DRIVER: 'postgres' }, /DATABASE_URL is required/],
    [
      { DATABASE_DRIVER: 'supabase', SUPABASE_URL: 'https://x.supabase.co' },
      /SUPABASE_SERVICE_ROLE_KEY is required/,
    ],
    [{ BUSINESS_TIMEZONE: 'Mars/Olympus' }, /BUSINESS_TIMEZONE must be an IANA time zone/],
    [
      { KNOWLARITY_OUTBOUND_CREATES_LEADS: 'yes' },
      /KNOWLARITY_OUTBOUND_CREATES_LEADS must be true or false/,
    ],
    [
      { KNOWLARITY_NUMBER_SOURCES: '+919600000301' },
      /KNOWLARITY_NUMBER_SOURCES must be a comma-separated list/,
    ],
    [{ KNOWLARITY_IGNORED_CALLERS: 'reception' }, /KNOWLARITY_IGNORED_CALLERS holds "reception"/],
  ])('stops boot on %j with a message naming the variable', (env, message) => {
    expect(() => validateEnvironment(env)).toThrow(message);
  });

  describe('webhook protection', () => {
    const long = 'x'.repeat(24);

    it('refuses to boot in production with no webhook protection configured', () => {
      expect(() => validateEnvironment({ NODE_ENV: 'production' })).toThrow(
        /KNOWLARITY_WEBHOOK_TOKEN .*must be set in production/,
      );
      expect(() =>
        validateEnvironment({
          NODE_ENV: 'production',
          KNOWLARITY_WEBHOOK_TOKEN: 'f3a9c1e7b2d84a6f0c5e9b1d7a3f8c2e',
        }),
      ).not.toThrow();
    });

    it.each([
      [{ KNOWLARITY_WEBHOOK_TOKEN: 'short-token' }, /KNOWLARITY_WEBHOOK_TOKEN must be at least 24/],
      [
        { KNOWLARITY_WEBHOOK_SECRETS: `${long},short` },
        /KNOWLARITY_WEBHOOK_SECRETS holds a secret shorter/,
      ],
      [{ INTERNAL_API_KEYS: 'short' }, /INTERNAL_API_KEYS holds a key shorter/],
      [
        { KNOWLARITY_WEBHOOK_IP_ALLOWLIST: '10.0.0.0/33' },
        /KNOWLARITY_WEBHOOK_IP_ALLOWLIST holds "10.0.0.0\/33"/,
      ],
      [{ TRUST_PROXY: 'the-load-balancer' }, /TRUST_PROXY holds "the-load-balancer"/],
    ])('refuses %j in any environment', (env, message) => {
      expect(() => validateEnvironment(env)).toThrow(message);
    });

    it('accepts addresses, CIDRs and hop counts', () => {
      const env = {
        KNOWLARITY_WEBHOOK_IP_ALLOWLIST: '203.0.113.7, 10.0.0.0/8, 2001:db8::/32, ::1',
        TRUST_PROXY: '2',
      };

      expect(validateEnvironment(env)).toBe(env);
      const { ipAllowlist } = parseWebhookSecurityConfig(env);
      expect(ipAllowlist).toEqual(['203.0.113.7', '10.0.0.0/8', '2001:db8::/32', '::1']);
      const allowed = new AddressMatcher(ipAllowlist);
      expect(
        ['203.0.113.7', '10.255.0.1', '2001:db8:1::9', '::1', '203.0.113.8', '11.0.0.1'].map(
          (address) => allowed.matches(address),
        ),
      ).toEqual([true, true, true, true, false, false]);
      expect(parseHttpConfig(env).trustProxy).toBe(2);
      expect(parseTrustProxy({ TRUST_PROXY: '10.0.0.1, 192.168.0.0/16' })).toEqual([
        '10.0.0.1',
        '192.168.0.0/16',
      ]);
    });
  });

  describe('retention', () => {
    it('keeps deliveries 30 days and sync runs 90 by default; 0 keeps them forever', () => {
      expect(parseRetentionConfig({})).toEqual({ deliveryDays: 30, syncRunDays: 90 });
      expect(
        parseRetentionConfig({ DELIVERY_RETENTION_DAYS: '0', SYNC_RUN_RETENTION_DAYS: '0' }),
      ).toEqual({ deliveryDays: 0, syncRunDays: 0 });
    });

    it('stops boot on a value that is not a whole number of days, naming the variable', () => {
      expect(() => validateEnvironment({ DELIVERY_RETENTION_DAYS: '-1' })).toThrow(
        /DELIVERY_RETENTION_DAYS/,
      );
      expect(() => validateEnvironment({ SYNC_RUN_RETENTION_DAYS: '7.5' })).toThrow(
        /SYNC_RUN_RETENTION_DAYS/,
      );
    });
  });

  it('reads the string false as false', () => {
    const read = (value?: string) =>
      parseIngestConfig({ KNOWLARITY_OUTBOUND_CREATES_LEADS: value }).rules.outboundCreatesLeads;

    expect(read('false')).toBe(false);
    expect(read('true')).toBe(true);
    expect(read(undefined)).toBe(false);
    expect(parsePollingConfig({ KNOWLARITY_POLL_ENABLED: 'false' }).enabled).toBe(false);
    expect(parsePollingConfig({ KNOWLARITY_POLL_ENABLED: 'FALSE' }).enabled).toBe(false);
    expect(parsePollingConfig({}).enabled).toBe(true);
  });
});
