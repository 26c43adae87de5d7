import { ConsoleSessions } from '../../console/console-sessions';
import { Controller, ExecutionContext, Get } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { keyFingerprint } from './api-key';
import { AcceptsMetricsToken, apiKeyNameOf, InternalApiKeyGuard } from './internal-api-key.guard';

const KEY = 'internal-key-0123456789abcdefghij';
const METRICS = 'metrics-token-0123456789abcdefghij';

@Controller()
class Handlers {
  @Get()
  lookup() {}

  @Get()
  @AcceptsMetricsToken()
  metrics() {}
}

function contextFor(handler: 'lookup' | 'metrics', headers: Record<string, string>) {
  const request = { headers };
  const context = {
    getHandler: () => Handlers.prototype[handler],
    getClass: () => Handlers,
    switchToHttp: () => ({ getRequest: () => request }),
  } as unknown as ExecutionContext;
  return { context, request };
}

/** No console session on these requests: only keys are in play. */
const noConsoleSession = { authorize: () => false } as unknown as ConsoleSessions;

describe('InternalApiKeyGuard', () => {
  const guard = new InternalApiKeyGuard(
    { keys: [KEY] },
    { token: METRICS },
    new Reflector(),
    noConsoleSession,
  );

  it('lets an internal key through either way and names it by fingerprint', () => {
    const bearer = contextFor('lookup', { authorization: `Bearer ${KEY}` });
    const header = contextFor('lookup', { 'x-api-key': KEY });

    expect(guard.canActivate(bearer.context)).toBe(true);
    expect(guard.canActivate(header.context)).toBe(true);
    expect(apiKeyNameOf(header.request as never)).toBe(keyFingerprint(KEY));
    expect(keyFingerprint(KEY)).not.toContain(KEY.slice(0, 8));
  });

  it('takes the metrics token only where the handler accepts it', () => {
    expect(guard.canActivate(contextFor('metrics', { 'x-api-key': METRICS }).context)).toBe(true);
    expect(() => guard.canActivate(contextFor('lookup', { 'x-api-key': METRICS }).context)).toThrow(
      'A valid internal API key is required',
    );
  });

  it('refuses a missing or wrong key, and everything when no key is configured', () => {
    const closed = new InternalApiKeyGuard(
      { keys: [] },
      { token: undefined },
      new Reflector(),
      noConsoleSession,
    );

    expect(() => guard.canActivate(contextFor('lookup', {}).context)).toThrow();
    expect(() =>
      guard.canActivate(contextFor('lookup', { 'x-api-key': `${KEY}x` }).context),
    ).toThrow();
    expect(() => closed.canActivate(contextFor('lookup', { 'x-api-key': KEY }).context)).toThrow();
  });
});
