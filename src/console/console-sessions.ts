import { ForbiddenException, Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
// Only the plugin's signer (HMAC, constant-time check): the plugin itself is not registered.
import { Signer } from '@fastify/cookie';
import type { FastifyRequest } from 'fastify';
import { createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { Clock } from '../common/clock';
import { matchesAnySecret, secretEquals } from '../common/constant-time';
import { consoleConfig, internalApiConfig } from '../config';

/** The console's session cookie. Path `/`: the page calls the internal REST API itself. */
export const SESSION_COOKIE = 'kls_console';
export const CSRF_HEADER = 'x-csrf-token';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** What the signed cookie holds: no key, only an HMAC of the one used to sign in. */
interface SessionClaims {
  /** Random per sign-in; the CSRF token is derived from it. */
  sid: string;
  /** HMAC of the API key that signed in: removing that key from INTERNAL_API_KEYS ends it. */
  kid: string;
  /** Expiry, epoch milliseconds. */
  exp: number;
}

export interface ConsoleSession {
  csrfToken: string;
  expiresAt: string;
}

/**
 * Console sign-in without server-side state: a signed, expiring cookie (HttpOnly,
 * SameSite=Strict, Secure when the request came over TLS) proves an operator presented one of
 * INTERNAL_API_KEYS. Its signing secret is derived from those keys, so every instance agrees
 * without another setting, and changing the keys signs everyone out. Requests that change
 * something also carry a CSRF token, an HMAC of the session id only the page can read.
 */
@Injectable()
export class ConsoleSessions {
  private readonly secret: Buffer;
  private readonly signer: Signer;
  private readonly keyIds: string[];

  constructor(
    @Inject(internalApiConfig.KEY) private readonly internal: ConfigType<typeof internalApiConfig>,
    @Inject(consoleConfig.KEY) private readonly config: ConfigType<typeof consoleConfig>,
    private readonly clock: Clock,
  ) {
    // With no keys nothing can sign in (enabled is false); the material only has to be non-empty.
    const material = [...internal.keys].sort().join('\0') || 'no keys';
    this.secret = Buffer.from(
      hkdfSync('sha256', material, 'knowlarity-lead-sync', 'console session', 32),
    );
    this.signer = new Signer(this.secret.toString('base64'), 'sha256');
    this.keyIds = internal.keys.map((key) => this.mac('api-key', key));
  }

  get enabled(): boolean {
    return this.config.enabled && this.internal.keys.length > 0;
  }

  /** A new session for `key`, or null when it is not one of INTERNAL_API_KEYS. */
  signIn(key: string, secure: boolean): { session: ConsoleSession; setCookie: string } | null {
    if (!this.enabled || !matchesAnySecret(key, this.internal.keys)) return null;
    const maxAgeSeconds = this.config.sessionMinutes * 60;
    const claims: SessionClaims = {
      sid: randomBytes(18).toString('base64url'),
      kid: this.mac('api-key', key),
      exp: this.clock.now().getTime() + maxAgeSeconds * 1000,
    };
    const value = this.signer.sign(Buffer.from(JSON.stringify(claims)).toString('base64url'));
    return {
      session: this.describe(claims),
      setCookie: this.cookie(value, maxAgeSeconds, secure),
    };
  }

  /** The Set-Cookie header that removes the session from the browser. */
  signOutCookie(secure: boolean): string {
    return this.cookie('', 0, secure);
  }

  /** The request's valid session, or null (none, tampered, expired, or its key was removed). */
  read(request: Pick<FastifyRequest, 'headers'>): ConsoleSession | null {
    const claims = this.claimsOf(request);
    return claims ? this.describe(claims) : null;
  }

  /**
   * True when the request holds a valid session; for a method that changes something, the
   * session's CSRF token must come with it in `x-csrf-token`, else it is refused (403).
   */
  authorize(request: Pick<FastifyRequest, 'headers' | 'method'>): boolean {
    const claims = this.claimsOf(request);
    if (!claims) return false;
    if (SAFE_METHODS.has(request.method)) return true;
    const presented = request.headers[CSRF_HEADER];
    if (typeof presented !== 'string' || !secretEquals(presented, this.csrfToken(claims))) {
      throw new ForbiddenException({
        code: 'csrf_token_invalid',
        message: `A console request that changes something needs the session's ${CSRF_HEADER} header.`,
      });
    }
    return true;
  }

  private claimsOf(request: Pick<FastifyRequest, 'headers'>): SessionClaims | null {
    if (!this.enabled) return null;
    const raw = cookieValue(request.headers.cookie, SESSION_COOKIE);
    if (!raw) return null;
    const unsigned = this.signer.unsign(raw);
    if (!unsigned.valid || unsigned.value === null) return null;
    let claims: Partial<SessionClaims>;
    try {
      claims = JSON.parse(Buffer.from(unsigned.value, 'base64url').toString('utf8')) as object;
    } catch {
      return null;
    }
    const { sid, kid, exp } = claims;
    if (typeof sid !== 'string' || typeof kid !== 'string' || typeof exp !== 'number') return null;
    if (exp <= this.clock.now().getTime() || !matchesAnySecret(kid, this.keyIds)) return null;
    return { sid, kid, exp };
  }

  private describe(claims: SessionClaims): ConsoleSession {
    return { csrfToken: this.csrfToken(claims), expiresAt: new Date(claims.exp).toISOString() };
  }

  private csrfToken(claims: SessionClaims): string {
    return this.mac('csrf', claims.sid);
  }

  private mac(purpose: string, value: string): string {
    return createHmac('sha256', this.secret).update(`${purpose}\0${value}`).digest('base64url');
  }

  private cookie(value: string, maxAgeSeconds: number, secure: boolean): string {
    const attributes = [`Max-Age=${maxAgeSeconds}`, 'Path=/', 'HttpOnly', 'SameSite=Strict'];
    if (secure) attributes.push('Secure');
    return [`${SESSION_COOKIE}=${value}`, ...attributes].join('; ');
  }
}

/**
 * One cookie's value from a Cookie header. Ours are base64 and '.' only, so they need no
 * decoding; anything else under our name is not a session.
 */
function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const pair of (header ?? '').split(';')) {
    const at = pair.indexOf('=');
    if (at > 0 && pair.slice(0, at).trim() === name) {
      const value = pair.slice(at + 1).trim();
      return /^[\w.+/-]+$/.test(value) ? value : undefined;
    }
  }
  return undefined;
}
