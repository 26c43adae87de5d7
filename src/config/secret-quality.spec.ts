import { validateEnvironment } from './index';
import { isLowEntropy } from './secret-quality';

const strong = 'f3a9c1e7b2d84a6f0c5e9b1d7a3f8c2e6b4d0a9f';

describe('secret quality', () => {
  it('tells typed or patterned secrets from random ones', () => {
    expect(isLowEntropy('a'.repeat(24))).toBe(true);
    expect(isLowEntropy('abcabcabcabcabcabcabcabc')).toBe(true);
    expect(isLowEntropy(strong)).toBe(false);
    // openssl rand -hex 24: 48 hex digits, often only 15 distinct, still 187+ bits.
    expect(isLowEntropy('0123456789abcde0123456789abcde0123456789abcde012')).toBe(false);
  });

  it.each([
    [{ KNOWLARITY_WEBHOOK_TOKEN: 'a'.repeat(24) }, /KNOWLARITY_WEBHOOK_TOKEN has fewer than 16/],
    [{ KNOWLARITY_WEBHOOK_SECRETS: ' , ' }, /KNOWLARITY_WEBHOOK_SECRETS holds an empty item/],
    [
      { KNOWLARITY_WEBHOOK_SECRETS: `${strong},` },
      /KNOWLARITY_WEBHOOK_SECRETS holds an empty item/,
    ],
    [
      { INTERNAL_API_KEYS: '0123012301230123012301230' },
      /INTERNAL_API_KEYS holds a key with fewer/,
    ],
    [{ METRICS_TOKEN: 'x'.repeat(30) }, /METRICS_TOKEN has fewer than 16/],
  ])('stops boot in production on %j', (env, message) => {
    expect(() =>
      validateEnvironment({ NODE_ENV: 'production', KNOWLARITY_WEBHOOK_TOKEN: strong, ...env }),
    ).toThrow(message);
  });

  it('boots in production with random secrets, and leaves development alone', () => {
    expect(() =>
      validateEnvironment({
        NODE_ENV: 'production',
        KNOWLARITY_WEBHOOK_TOKEN: strong,
        KNOWLARITY_WEBHOOK_SECRETS: `${strong.slice(1)}x,${strong.slice(2)}yz`,
      }),
    ).not.toThrow();
    expect(() => validateEnvironment({ KNOWLARITY_WEBHOOK_TOKEN: 'a'.repeat(24) })).not.toThrow();
  });
});
