/**
 * Serves the dashboard (web/dist, built by `npm run build:web`) at `/`, and `/config.json` with the
 * settings the page needs (chat URL, tile URL). Encapsulated: its hooks (a Content-Security-Policy
 * for the dashboard's own responses, cache headers) touch only its own routes. The lead registers it
 * in buildApp: `app.register(webPlugin, { root: 'web/dist', chatUrl, tileUrl })`.
 *
 * When web/dist has not been built, `/` answers 503 with how to build it instead of a bare 404.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync } from 'fastify';
import { ApiError } from '../../core/errors.js';

export interface WebPluginOptions {
  /** The built dashboard folder (web/dist). */
  root: string;
  /** Where "Ask the CrimePulse assistant" goes; default `/chat` on this server. */
  chatUrl?: string;
  /** Map tile URL template (`{z}/{x}/{y}`); unset: outline maps that need no network. */
  tileUrl?: string;
}

/** The page's settings, as `/config.json` answers them. */
export interface WebClientConfig {
  chatUrl: string;
  tileUrl: string | null;
}

function originOf(url: string | undefined): string | null {
  if (!url) return null;
  try {
    const u = new URL(url.replaceAll(/[{}]/g, ''));
    return u.protocol === 'https:' || u.protocol === 'http:' ? u.origin : null;
  } catch {
    return null;
  }
}

/** CSP of the dashboard: scripts only from this origin; plotly needs inline styles; tiles add their origin. */
export function dashboardCsp(opts: Pick<WebPluginOptions, 'chatUrl' | 'tileUrl'>): string {
  const tiles = originOf(opts.tileUrl);
  const extra = tiles ? ` ${tiles}` : '';
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    `img-src 'self' data: blob:${extra}`,
    `connect-src 'self'${extra}`,
    "worker-src 'self' blob:",
    "font-src 'self' data:",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'self'",
  ].join('; ');
}

export const webPlugin: FastifyPluginAsync<WebPluginOptions> = async (app, opts) => {
  const root = resolve(opts.root);
  const clientConfig: WebClientConfig = { chatUrl: opts.chatUrl ?? '/chat', tileUrl: opts.tileUrl ?? null };
  const csp = dashboardCsp(opts);

  app.addHook('onSend', async (req, reply, payload) => {
    reply.header('content-security-policy', csp);
    const url = req.url.split('?')[0] ?? '';
    if (url.startsWith('/assets/')) reply.header('cache-control', 'public, max-age=31536000, immutable');
    else reply.header('cache-control', 'no-cache');
    return payload;
  });

  app.get('/config.json', { schema: { hide: true } }, async () => clientConfig);

  if (!existsSync(join(root, 'index.html'))) {
    app.log.warn({ root }, 'dashboard not built: run `npm run build:web` (npm install does it)');
    app.get('/', { schema: { hide: true } }, async () => {
      throw new ApiError(
        'CP_ERR_API_UNAVAILABLE',
        'the dashboard is not built: run `npm run build:web` (npm install does it) and restart',
      );
    });
    return;
  }
  await app.register(fastifyStatic, {
    root,
    prefix: '/',
    index: ['index.html'],
    wildcard: false,
    preCompressed: true,
    cacheControl: false,
    schemaHide: true,
  });
};
