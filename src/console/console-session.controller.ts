import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Logger,
  Post,
  Req,
  Res,
  UnauthorizedException,
  UseGuards,
} from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ConsoleEnabledGuard } from './console-enabled.guard';
import { ConsoleSession, ConsoleSessions } from './console-sessions';
import { SignInBody } from './dto/sign-in.body';

const NO_SESSION = () =>
  new UnauthorizedException({ code: 'unauthorized', message: 'Sign in to the console first.' });

/**
 * Signing in and out of the operator console. The key is checked and forgotten: the browser
 * keeps only the signed session cookie, and the page keeps only the CSRF token.
 */
@ApiExcludeController()
@Controller('console/session')
@UseGuards(ConsoleEnabledGuard)
export class ConsoleSessionController {
  private readonly logger = new Logger(ConsoleSessionController.name);

  constructor(private readonly sessions: ConsoleSessions) {}

  @Post()
  @HttpCode(200)
  signIn(
    @Body() { key }: SignInBody,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): ConsoleSession {
    const signedIn = this.sessions.signIn(key, overTls(request));
    if (!signedIn) {
      this.logger.warn(`Console sign-in ${request.id} refused: the key is not an internal API key`);
      throw new UnauthorizedException({
        code: 'invalid_key',
        message: 'That is not one of the internal API keys.',
      });
    }
    this.logger.log(`Console sign-in ${request.id}: session until ${signedIn.session.expiresAt}`);
    void reply.header('set-cookie', signedIn.setCookie).header('cache-control', 'no-store');
    return signedIn.session;
  }

  /** The current session's expiry and CSRF token (the page asks after a reload). */
  @Get()
  current(
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): ConsoleSession {
    const session = this.sessions.read(request);
    if (!session) throw NO_SESSION();
    void reply.header('cache-control', 'no-store');
    return session;
  }

  @Delete()
  @HttpCode(204)
  signOut(@Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): void {
    if (!this.sessions.authorize(request)) throw NO_SESSION();
    void reply.header('set-cookie', this.sessions.signOutCookie(overTls(request)));
  }
}

/**
 * Over TLS, directly or per a trusted proxy's X-Forwarded-Proto (Fastify believes that header
 * only from TRUST_PROXY's peers), the cookie is marked Secure.
 */
function overTls(request: FastifyRequest): boolean {
  return request.protocol === 'https';
}
