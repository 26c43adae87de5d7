import { ExecutionContext } from '@nestjs/common';
import { createHmac } from 'node:crypto';
import { Clock } from '../../common/clock';
import { DomainError } from '../../common/domain-error';
import { parseWebhookSecurityConfig } from '../../config/webhook-security.config';
import { WebhookIpAllowlistGuard } from './webhook-ip-allowlist.guard';
import { WebhookSignatureGuard } from './webhook-signature.guard';
import { WebhookTokenGuard } from './webhook-token.guard';

const TOKEN = 'tok_0123456789abcdefghijklmnopqrstuv';
const SECRET = 'sec_0123456789abcdefghijklmnopqrstuv';

/** A fake Fastify request inside a fake execution context: the guards read nothing else. */
function contextOf(request: {
  url: string;
  method?: string;
  ip?: string;
  headers?: Record<string, string>;
  rawBody?: Buffer;
}): ExecutionContext {
  const req = { id: 'r1', method: 'POST', ip: '127.0.0.1', headers: {}, ...request };
  return { switchToHttp: () => ({ getRequest: () => req }) } as unknown as ExecutionContext;
}

/** The error a guard threw, for its code and status; fails when it let the request through. */
function refusalOf(check: () => boolean): { code: string; httpStatus: number } {
  try {
    check();
  } catch (error) {
    if (error instanceof DomainError) return { code: error.code, httpStatus: error.httpStatus };
    throw error;
  }
  throw new Error('the guard let the request through');
}

const config = (env: Record<string, string>) => parseWebhookSecurityConfig(env);

class FixedClock extends Clock {
  constructor(private readonly at: Date) {
    super();
  }
  override now(): Date {
    return this.at;
  }
}

describe('WebhookTokenGuard', () => {
  const guard = new WebhookTokenGuard(config({ KNOWLARITY_WEBHOOK_TOKEN: TOKEN }));

  it('lets the token through as a path segment or as ?token=', () => {
    expect(guard.canActivate(contextOf({ url: `/webhooks/knowlarity/${TOKEN}` }))).toBe(true);
    expect(guard.canActivate(contextOf({ url: `/webhooks/knowlarity?token=${TOKEN}` }))).toBe(true);
  });

  it('refuses a missing or wrong token with 401 invalid_token', () => {
    const expected = { code: 'invalid_token', httpStatus: 401 };
    expect(refusalOf(() => guard.canActivate(contextOf({ url: '/webhooks/knowlarity' })))).toEqual(
      expected,
    );
    const wrong = contextOf({ url: `/webhooks/knowlarity/${TOKEN}x` });
    expect(refusalOf(() => guard.canActivate(wrong))).toEqual(expected);
  });

  it('lets everything through when no token is configured', () => {
    const open = new WebhookTokenGuard(config({}));
    expect(open.canActivate(contextOf({ url: '/webhooks/knowlarity' }))).toBe(true);
  });
});

describe('WebhookIpAllowlistGuard', () => {
  it('refuses an address outside the list with 403 ip_not_allowed, IPv4-mapped included', () => {
    const guard = new WebhookIpAllowlistGuard(
      config({ KNOWLARITY_WEBHOOK_IP_ALLOWLIST: '10.0.0.0/8' }),
    );

    expect(guard.canActivate(contextOf({ url: '/webhooks/knowlarity', ip: '10.2.3.4' }))).toBe(
      true,
    );
    expect(
      guard.canActivate(contextOf({ url: '/webhooks/knowlarity', ip: '::ffff:10.2.3.4' })),
    ).toBe(true);
    expect(
      refusalOf(() =>
        guard.canActivate(contextOf({ url: '/webhooks/knowlarity', ip: '11.0.0.1' })),
      ),
    ).toEqual({ code: 'ip_not_allowed', httpStatus: 403 });
  });

  it('with no protection configured, lets loopback callers only', () => {
    const guard = new WebhookIpAllowlistGuard(config({}));

    expect(guard.canActivate(contextOf({ url: '/webhooks/knowlarity', ip: '::1' }))).toBe(true);
    expect(
      refusalOf(() =>
        guard.canActivate(contextOf({ url: '/webhooks/knowlarity', ip: '203.0.113.9' })),
      ).code,
    ).toBe('ip_not_allowed');
  });
});

describe('WebhookSignatureGuard', () => {
  const now = new Date('2026-11-30T10:00:00Z');
  const guard = new WebhookSignatureGuard(
    config({ KNOWLARITY_WEBHOOK_SECRETS: SECRET }),
    new FixedClock(now),
  );
  const body = Buffer.from('{"caller_id":"9800000101"}');
  const sign = (payload: string | Buffer) =>
    createHmac('sha256', SECRET).update(payload).digest('hex');
  const post = (headers: Record<string, string>, rawBody = body) =>
    contextOf({ url: '/webhooks/knowlarity', headers, rawBody });

  it('lets a body signed with a configured secret through', () => {
    expect(guard.canActivate(post({ 'x-knowlarity-signature': sign(body) }))).toBe(true);
  });

  it('refuses a missing or wrong signature with 401 invalid_signature', () => {
    const expected = { code: 'invalid_signature', httpStatus: 401 };
    expect(refusalOf(() => guard.canActivate(post({})))).toEqual(expected);
    expect(
      refusalOf(() =>
        guard.canActivate(post({ 'x-knowlarity-signature': sign(`${body.toString()}x`) })),
      ),
    ).toEqual(expected);
  });

  it('checks a GET over its query without the token', () => {
    const query = 'caller_id=9800000101&callid=c1';
    const get = contextOf({
      url: `/webhooks/knowlarity?${query}&token=whatever`,
      method: 'GET',
      headers: { 'x-knowlarity-signature': sign(query) },
    });

    expect(guard.canActivate(get)).toBe(true);
  });

  it('refuses a Standard Webhooks signature outside the tolerance with signature_expired', () => {
    const timestamp = String(Math.floor(now.getTime() / 1000) - 3600);
    const signed = createHmac('sha256', SECRET)
      .update(`msg_1.${timestamp}.${body.toString()}`)
      .digest('base64');
    const headers = {
      'webhook-id': 'msg_1',
      'webhook-timestamp': timestamp,
      'webhook-signature': `v1,${signed}`,
    };

    expect(refusalOf(() => guard.canActivate(post(headers)))).toEqual({
      code: 'signature_expired',
      httpStatus: 401,
    });
  });

  it('lets everything through when no secret is configured', () => {
    const open = new WebhookSignatureGuard(config({}), new FixedClock(now));
    expect(open.canActivate(post({}))).toBe(true);
  });
});
