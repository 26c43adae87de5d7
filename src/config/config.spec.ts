import { parseDatabaseConfig } from './database.config';
import { validateEnvironment } from './index';

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
      expect(() =>
        validateEnvironment({
          KNOWLARITY_WEBHOOK_IP_ALLOWLIST: '203.0.113.7, 10.0.0.0/8, 2001:db8::/32, ::1',
          TRUST_PROXY: '2',
        }),
      ).not.toThrow();
    });
  });

  it('reads the string false as false', () => {
    expect(() => validateEnvironment({ KNOWLARITY_OUTBOUND_CREATES_LEADS: 'false' })).not.toThrow();
  });
});
