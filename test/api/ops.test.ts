import { describe, expect, it } from 'vitest';
import { buildApp } from '../../src/api/index.js';
import { silentLogger } from '../../src/core/logger.js';
import { SourceStatusBoard } from '../../src/sources/status-board.js';

describe('health, readiness, metrics, docs, headers', () => {
  it('/ready reports each check and 503 when one fails or throws', async () => {
    const ok = await buildApp({
      log: silentLogger,
      board: new SourceStatusBoard(),
      readiness: { store: () => true, model: async () => true },
    });
    expect((await ok.inject({ url: '/ready' })).json()).toEqual({
      status: 'ready',
      checks: { store: true, model: true },
    });
    expect((await ok.inject({ url: '/health' })).json()).toEqual({ status: 'ok' });
    await ok.close();
    const bad = await buildApp({
      log: silentLogger,
      board: new SourceStatusBoard(),
      readiness: {
        store: () => true,
        bus: () => {
          throw new Error('down');
        },
      },
    });
    const res = await bad.inject({ url: '/ready' });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toEqual({ status: 'not-ready', checks: { store: true, bus: false } });
    await bad.close();
  });

  it('/metrics has request durations by method, route pattern and status', async () => {
    const app = await buildApp({ log: silentLogger, board: new SourceStatusBoard() });
    await app.inject({ url: '/health' });
    await app.inject({ url: '/no/such/route' });
    const res = await app.inject({ url: '/metrics' });
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.body).toMatch(
      /crimepulse_http_request_duration_seconds_count\{[^}]*method="GET"[^}]*route="\/health"[^}]*status="200"/,
    );
    expect(res.body).toMatch(
      /crimepulse_http_request_duration_seconds_count\{[^}]*route="unmatched"[^}]*status="404"/,
    );
    await app.close();
  });

  it('serves the OpenAPI document and a self-contained docs page', async () => {
    const app = await buildApp({ log: silentLogger, board: new SourceStatusBoard() });
    const doc = (await app.inject({ url: '/openapi.json' })).json() as { paths: Record<string, unknown> };
    for (const p of [
      '/predict',
      '/predict/schema',
      '/v1/events',
      '/v1/windows',
      '/v1/stats',
      '/v1/heatmap',
      '/v1/compstat',
      '/v1/anomalies',
      '/v1/forecast',
      '/v1/hotspots',
      '/v1/sources',
      '/v1/models',
      '/v1/stream',
      '/health',
      '/ready',
      '/metrics',
    ]) {
      expect(doc.paths, p).toHaveProperty([p]);
    }
    const page = await app.inject({ url: '/docs' });
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.body).toContain('<script src="/docs/app.js"></script>');
    expect(page.body).not.toMatch(/https?:\/\/(?!localhost)/);
    expect((await app.inject({ url: '/docs/app.js' })).body).toContain("fetch('/openapi.json')");
    await app.close();
  });

  it('echoes a sane request id, sets security headers, CORS when configured', async () => {
    const app = await buildApp({
      log: silentLogger,
      board: new SourceStatusBoard(),
      options: { corsOrigins: ['https://dash.example'] },
    });
    const res = await app.inject({
      url: '/health',
      headers: { 'x-request-id': 'abc-123', origin: 'https://dash.example' },
    });
    expect(res.headers['x-request-id']).toBe('abc-123');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['content-security-policy']).toBeDefined();
    expect(res.headers['access-control-allow-origin']).toBe('https://dash.example');
    const other = await app.inject({
      url: '/health',
      headers: { 'x-request-id': 'bad id with spaces', origin: 'https://evil.example' },
    });
    expect(other.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
    await app.close();
  });

  it('serves the dashboard plugin when asked, with its own CSP and a 503 when web/dist is not built', async () => {
    const app = await buildApp({
      log: silentLogger,
      board: new SourceStatusBoard(),
      web: { root: '.crimepulse-tmp/no-such-dist', tileUrl: 'https://tiles.example/{z}/{x}/{y}.png' },
    });
    const cfg = await app.inject({ url: '/config.json' });
    expect(cfg.json()).toEqual({ chatUrl: '/chat', tileUrl: 'https://tiles.example/{z}/{x}/{y}.png' });
    expect(cfg.headers['content-security-policy']).toContain('https://tiles.example');
    const page = await app.inject({ url: '/' });
    expect(page.statusCode).toBe(503);
    expect(page.json()).toMatchObject({ code: 'CP_ERR_API_UNAVAILABLE' });
    await app.close();
  });

  it('rate-limits expensive routes per client with 429 {code}', async () => {
    const app = await buildApp({
      log: silentLogger,
      board: new SourceStatusBoard(),
      options: { rateLimitPerMinute: 3 },
    });
    const codes: number[] = [];
    for (let i = 0; i < 5; i++)
      codes.push((await app.inject({ url: '/v1/events', remoteAddress: '10.0.0.1' })).statusCode);
    // no store: 503 until the limit, then 429
    expect(codes).toEqual([503, 503, 503, 429, 429]);
    const limited = await app.inject({ url: '/v1/events', remoteAddress: '10.0.0.1' });
    expect(limited.json()).toMatchObject({ code: 'CP_ERR_API_RATE_LIMITED', statusCode: 429 });
    expect((await app.inject({ url: '/v1/events', remoteAddress: '10.0.0.2' })).statusCode).toBe(503);
    expect((await app.inject({ url: '/health', remoteAddress: '10.0.0.1' })).statusCode).toBe(200);
    await app.close();
  });

  it('logs carry the reqId', async () => {
    const lines: string[] = [];
    const { createLogger } = await import('../../src/core/logger.js');
    const { Writable } = await import('node:stream');
    const log = createLogger({
      level: 'error',
      destination: new Writable({
        write: (c, _e, cb) => {
          lines.push(String(c));
          cb();
        },
      }),
    });
    const app = await buildApp({
      log,
      board: new SourceStatusBoard(),
      models: {
        list: async () => {
          throw new Error('registry exploded');
        },
      },
    });
    const res = await app.inject({ url: '/v1/models', headers: { 'x-request-id': 'trace-42' } });
    expect(res.statusCode).toBe(500);
    expect(res.json()).toEqual({ code: 'CP_ERR_INTERNAL', message: 'Internal error', statusCode: 500 });
    expect(res.body).not.toContain('exploded');
    await app.close();
    expect(lines.some((l) => l.includes('"reqId":"trace-42"') && l.includes('registry exploded'))).toBe(true);
  });
});
