import type { RawBodyRequest } from '../common/http/raw-body';
import {
  isTokenParameter,
  isWebhookReceivingPath,
  presentedToken,
  webhookRequestOf,
} from './webhook-request';

function request(url: string): RawBodyRequest {
  return {
    url,
    id: 'r1',
    method: 'GET',
    headers: {},
    ip: '127.0.0.1',
  } as unknown as RawBodyRequest;
}

describe('webhook request extraction', () => {
  it.each([
    [
      'the query, keeping the rest byte for byte',
      '/webhooks/knowlarity?caller_id=%2B919800000101&token=abc%2Ddef&x=a+b',
      {
        token: 'abc-def',
        path: '/webhooks/knowlarity',
        rawQuery: 'caller_id=%2B919800000101&x=a+b',
      },
    ],
    [
      'the path, and redacts the stored path',
      '/webhooks/knowlarity/s3cr3t-token-value?caller_id=1',
      {
        token: 's3cr3t-token-value',
        path: '/webhooks/knowlarity/[redacted]',
        rawQuery: 'caller_id=1',
      },
    ],
  ])('takes the token out of %s', (_where, url, { token, path, rawQuery }) => {
    const req = request(url);

    expect(presentedToken(req)).toBe(token);
    expect(webhookRequestOf(req)).toMatchObject({ path, rawQuery });
  });

  it('has no token when none was sent', () => {
    expect(presentedToken(request('/webhooks/knowlarity?a=1'))).toBeUndefined();
  });

  it('tells the Hook API routes from the internal deliveries API', () => {
    expect(isWebhookReceivingPath('/webhooks/knowlarity?x=1')).toBe(true);
    expect(isWebhookReceivingPath('/webhooks/knowlarity/tok')).toBe(true);
    expect(isWebhookReceivingPath('/webhooks/knowlarity/deliveries')).toBe(false);
    expect(isWebhookReceivingPath('/leads')).toBe(false);
  });

  it('tells a path-encoded deliveries API and a token that is percent-encoded', () => {
    expect(isWebhookReceivingPath('/webhooks/knowlarity/%64eliveries')).toBe(false);
    expect(isWebhookReceivingPath('/webhooks/knowlarity/%zz?x=1')).toBe(true);
    expect(presentedToken(request('/webhooks/knowlarity/abc%2Ddef'))).toBe('abc-def');
    expect(presentedToken(request('/webhooks/knowlarity/abc%zz'))).toBe('abc%zz');
  });

  it('knows the token parameter in every spelling, and nothing else', () => {
    for (const name of [
      'token',
      'TOKEN',
      'Token',
      'token[]',
      'token[0]',
      '%74oken',
      'tok%65n',
      '%54OKEN',
    ])
      expect([name, isTokenParameter(name)]).toEqual([name, true]);
    for (const name of ['', 'uuid', 'tokens', '+token', ' token', 'atoken', 'token_x', '%zz'])
      expect([name, isTokenParameter(name)]).toEqual([name, false]);
  });
});
