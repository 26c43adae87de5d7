import { Controller, Get, NotFoundException, Param, Res, UseGuards } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConsoleEnabledGuard } from './console-enabled.guard';

/**
 * The page allows scripts, styles, images and requests from this origin only: no inline script
 * or style, no other site, no framing. Set on the page's own answers, so it replaces whatever
 * default policy a global security-headers layer gives other routes.
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

interface Asset {
  body: Buffer;
  type: string;
}

const PUBLIC_DIR = join(__dirname, 'public');

/** The files the page is made of: ours (copied into dist by the build) and uPlot's own build. */
function loadAssets(): Map<string, Asset> {
  const file = (path: string, type: string): Asset => ({ body: readFileSync(path), type });
  const ours = (name: string, type: string) => file(join(PUBLIC_DIR, name), type);
  const js = 'text/javascript; charset=utf-8';
  const css = 'text/css; charset=utf-8';
  return new Map([
    ['console.js', ours('console.js', js)],
    ['api.js', ours('api.js', js)],
    ['render.js', ours('render.js', js)],
    ['leads-chart.js', ours('leads-chart.js', js)],
    ['console.css', ours('console.css', css)],
    ['uPlot.iife.min.js', file(require.resolve('uplot/dist/uPlot.iife.min.js'), js)],
    ['uPlot.min.css', file(require.resolve('uplot/dist/uPlot.min.css'), css)],
  ]);
}

/** Serves the operator console: one static page and its assets, nothing built at run time. */
@ApiExcludeController()
@Controller('console')
@UseGuards(ConsoleEnabledGuard)
export class ConsolePageController {
  private readonly page = readFileSync(join(PUBLIC_DIR, 'index.html'));
  private readonly assets = loadAssets();

  @Get()
  index(@Res() reply: FastifyReply): void {
    void secured(reply).type('text/html; charset=utf-8').send(this.page);
  }

  @Get('assets/:name')
  asset(@Param('name') name: string, @Res() reply: FastifyReply): void {
    const asset = this.assets.get(name);
    if (!asset) throw new NotFoundException({ code: 'not_found', message: 'No such asset.' });
    void secured(reply).type(asset.type).send(asset.body);
  }
}

function secured(reply: FastifyReply): FastifyReply {
  return reply
    .header('content-security-policy', CONSOLE_CSP)
    .header('x-content-type-options', 'nosniff')
    .header('x-frame-options', 'DENY')
    .header('referrer-policy', 'no-referrer')
    .header('cache-control', 'no-cache');
}
