/** The dashboard plugin: static files, /config.json, its CSP, and a clear answer when not built. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { afterAll, describe, expect, it } from 'vitest';
import { registerErrorHandling } from '../../../src/api/error-handler.js';
import { dashboardCsp, webPlugin } from '../../../src/api/plugins/web.js';

const dir = mkdtempSync(join(tmpdir(), 'cp-webplugin-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function appWith(root: string, opts: { chatUrl?: string; tileUrl?: string } = {}) {
  const app = Fastify();
  registerErrorHandling(app);
  await app.register(webPlugin, { root, ...opts });
  await app.ready();
  return app;
}

describe('webPlugin', () => {
  it('serves index.html at / and hashed assets with long caching, under its own CSP', async () => {
    const root = join(dir, 'dist');
    mkdirSync(join(root, 'assets'), { recursive: true });
    writeFileSync(join(root, 'index.html'), '<!doctype html><title>CrimePulse</title>');
    writeFileSync(join(root, 'assets', 'index-abc.js'), 'console.log(1)');
    const app = await appWith(root, {
      chatUrl: 'https://chat.example.org/',
      tileUrl: 'https://tiles.example.org/{z}/{x}/{y}.png',
    });
    const index = await app.inject('/');
    expect(index.statusCode).toBe(200);
    expect(index.body).toContain('<title>CrimePulse</title>');
    expect(index.headers['cache-control']).toBe('no-cache');
    expect(index.headers['content-security-policy']).toContain("script-src 'self'");
    expect(index.headers['content-security-policy']).toContain(
      "connect-src 'self' https://tiles.example.org",
    );
    const asset = await app.inject('/assets/index-abc.js');
    expect(asset.statusCode).toBe(200);
    expect(asset.headers['cache-control']).toContain('immutable');
    const cfg = await app.inject('/config.json');
    expect(cfg.json()).toEqual({
      chatUrl: 'https://chat.example.org/',
      tileUrl: 'https://tiles.example.org/{z}/{x}/{y}.png',
    });
    await app.close();
  });

  it('defaults the chat to /chat and no tiles', async () => {
    const app = await appWith(join(dir, 'dist'));
    expect((await app.inject('/config.json')).json()).toEqual({ chatUrl: '/chat', tileUrl: null });
    await app.close();
  });

  it('answers 503 with how to build when web/dist is missing', async () => {
    const app = await appWith(join(dir, 'missing'));
    const res = await app.inject('/');
    expect(res.statusCode).toBe(503);
    expect(res.json().message).toMatch(/npm run build:web/);
    await app.close();
  });

  it('never lets a non-http tile URL into the CSP', () => {
    expect(dashboardCsp({ tileUrl: 'javascript:alert(1)' })).not.toContain('javascript');
    expect(dashboardCsp({})).toContain("object-src 'none'");
  });
});
