/**
 * The console's session over plain HTTP against the real app: the cookie's attributes (Secure only
 * over TLS as a trusted proxy reports it), expiry on the app's clock, tampering, other instances
 * with the same keys accepting it and changed keys refusing it, a key header needing no CSRF
 * token, bad sign-ins answered without echo, and CONSOLE_ENABLED=false.
 */
import { expect } from '@jest/globals';
import { FixedClock, RunningApp, startApp } from './support/app';
import { createPgliteDatabase } from './support/databases';
import { ErrorBody, readJson } from './support/http';

const KEY_A = 'console-session-key-a-0123456789';
const KEY_B = 'console-session-key-b-0123456789';
const NOW = new Date('2026-11-30T06:30:00Z');
const MINUTES = 30;

describe('console sessions', () => {
  const apps: RunningApp[] = [];

  /** Each app on its own database: closing an app closes its repository. */
  const start = async (env: Record<string, string>, clock = new FixedClock(NOW)) => {
    const { database, repository } = await createPgliteDatabase();
    const running = await startApp({
      repository,
      clock,
      env: {
        INTERNAL_API_KEYS: `${KEY_A},${KEY_B}`,
        CONSOLE_SESSION_MINUTES: String(MINUTES),
        ...env,
      },
    });
    const app = { ...running, close: () => running.close().then(() => database.close()) };
    apps.push(app);
    return app;
  };
  const signIn = (app: RunningApp, key: unknown, headers: Record<string, string> = {}) =>
    fetch(`${app.url}/console/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ key }),
    });
  const cookieOf = (response: Response) => (response.headers.get('set-cookie') ?? '').split(';')[0];
  const withCookie = (app: RunningApp, path: string, cookie: string, init: RequestInit = {}) =>
    fetch(`${app.url}${path}`, { ...init, headers: { cookie, ...(init.headers ?? {}) } });

  beforeAll(async () => {
    // Builds the PGlite template on a first run after a migration change (minutes under load).
    await (await createPgliteDatabase()).database.close();
  }, 240_000);

  afterEach(async () => {
    // Newest first: each app restores the environment it found.
    for (const app of apps.splice(0).reverse()) await app.close();
  });

  it('marks the cookie Secure only over TLS, as a trusted proxy reports it', async () => {
    const trusted = await start({ TRUST_PROXY: '127.0.0.1' });
    const overTls = await signIn(trusted, KEY_A, { 'x-forwarded-proto': 'https' });
    const plain = await signIn(trusted, KEY_A);
    await trusted.close();
    apps.splice(0);
    const untrusted = await start({});
    const spoofed = await signIn(untrusted, KEY_A, { 'x-forwarded-proto': 'https' });

    const attributes = (response: Response) =>
      (response.headers.get('set-cookie') ?? '').split('; ').slice(1).sort();
    expect(overTls.status).toBe(200);
    expect(attributes(overTls)).toEqual(
      [`Max-Age=${MINUTES * 60}`, 'Path=/', 'HttpOnly', 'SameSite=Strict', 'Secure'].sort(),
    );
    expect(attributes(plain)).toEqual(
      [`Max-Age=${MINUTES * 60}`, 'Path=/', 'HttpOnly', 'SameSite=Strict'].sort(),
    );
    expect(attributes(spoofed)).not.toContain('Secure');
    const body = await readJson(overTls);
    expect(body).toEqual({
      csrfToken: expect.stringMatching(/^[\w-]{40,}$/),
      expiresAt: new Date(NOW.getTime() + MINUTES * 60_000).toISOString(),
    });
    expect(JSON.stringify(body) + cookieOf(overTls)).not.toContain(KEY_A);
  });

  it("expires on the app's clock, and refuses a tampered cookie", async () => {
    const clock = new FixedClock(NOW);
    const app = await start({}, clock);
    const cookie = cookieOf(await signIn(app, KEY_A));
    const [name, value] = cookie.split('=');
    const tampered = `${name}=${value.replace(/^./, (c) => (c === 'e' ? 'f' : 'e'))}`;

    const fresh = await withCookie(app, '/sources', cookie);
    const forged = await withCookie(app, '/sources', tampered);
    clock.current = new Date(NOW.getTime() + MINUTES * 60_000 - 1000);
    const lastSecond = await withCookie(app, '/console/session', cookie);
    clock.current = new Date(NOW.getTime() + MINUTES * 60_000);
    const expired = await withCookie(app, '/sources', cookie);
    const expiredSession = await withCookie(app, '/console/session', cookie);

    expect(fresh.status).toBe(200);
    expect(forged.status).toBe(401);
    expect(lastSecond.status).toBe(200);
    expect(expired.status).toBe(401);
    expect(expiredSession.status).toBe(401);
  });

  it('is accepted by another instance with the same keys and refused once the keys change', async () => {
    const first = await start({});
    const cookie = cookieOf(await signIn(first, KEY_B));
    const same = await start({});
    const changed = await start({ INTERNAL_API_KEYS: KEY_A });

    expect((await withCookie(same, '/sources', cookie)).status).toBe(200);
    expect((await withCookie(changed, '/sources', cookie)).status).toBe(401);
  });

  it('needs no CSRF token with a key header, and refuses a bad sign-in without echoing it', async () => {
    const app = await start({});
    const cookie = cookieOf(await signIn(app, KEY_A));
    const withKey = await withCookie(app, '/sources', cookie, {
      method: 'POST',
      headers: { 'x-api-key': KEY_A, 'content-type': 'application/json' },
      body: JSON.stringify({ displayName: 'Walk-in', sourceType: 'manual' }),
    });
    const wrongKey = await signIn(app, 'wrong-key-but-long-enough-0123');
    const notText = await signIn(app, 12345678);
    const csrfOnCreate = await withCookie(app, '/sources', cookie, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ displayName: 'Phone-in', sourceType: 'manual' }),
    });

    expect(withKey.status).toBe(201);
    expect(csrfOnCreate.status).toBe(403);
    expect((await readJson<ErrorBody>(csrfOnCreate)).code).toBe('csrf_token_invalid');
    expect(wrongKey.status).toBe(401);
    expect(wrongKey.headers.get('set-cookie')).toBeNull();
    const wrongBody = await readJson<ErrorBody>(wrongKey);
    expect(wrongBody.code).toBe('invalid_key');
    expect(JSON.stringify(wrongBody)).not.toContain('wrong-key');
    expect(notText.status).toBe(400);
    expect(JSON.stringify(await readJson(notText))).not.toContain('12345678');
  });

  it('answers 404 on every console route with CONSOLE_ENABLED=false, and ignores its cookie', async () => {
    const enabled = await start({});
    const cookie = cookieOf(await signIn(enabled, KEY_A));
    const disabled = await start({ CONSOLE_ENABLED: 'false' });

    expect((await fetch(`${disabled.url}/console`)).status).toBe(404);
    expect((await signIn(disabled, KEY_A)).status).toBe(404);
    expect((await withCookie(disabled, '/sources', cookie)).status).toBe(401);
  });
});
