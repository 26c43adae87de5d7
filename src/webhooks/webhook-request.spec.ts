import type { RawBodyRequest } from '../common/http/raw-body';
import { isWebhookReceivingPath, presentedToken, webhookRequestOf } from './webhook-request';

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
  it('takes the token out of the query, keeping the rest byte for byte', () => {
    const req = request('/webhooks/knowlarity?caller_id=%2B919800000101&token=abc%2Ddef&x=a+b');

    expect(presentedToken(req)).toBe('abc-def');
    expect(webhookRequestOf(req)).toMatchObject({
      path: '/webhooks/knowlarity',
      rawQuery: 'caller_id=%2B919800000101&x=a+b',
    });
  });

  it('takes the token out of the path and redacts the stored path', () => {
    const req = request('/webhooks/knowlarity/s3cr3t-token-value?caller_id=1');

    expect(presentedToken(req)).toBe('s3cr3t-token-value');
    expect(webhookRequestOf(req)).toMatchObject({
      path: '/webhooks/knowlarity/[redacted]',
      rawQuery: 'caller_id=1',
    });
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
});
