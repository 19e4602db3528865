import { Writable } from 'node:stream';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CrimePulseError, SourceError } from '../../../src/core/errors.js';
import { createLogger, silentLogger } from '../../../src/core/logger.js';
import { registry } from '../../../src/core/metrics.js';
import {
  PoliteClient,
  type PoliteClientOptions,
  parseRetryAfter,
  redactUrl,
} from '../../../src/sources/http/polite-client.js';
import { loadSocrataFixture, type PortalServer, startPortalServer } from '../../helpers/portal-server.js';

let portal: PortalServer;
let base: string;
const TOKEN = 'app-token-s3cr3t-value';

beforeAll(async () => {
  portal = await startPortalServer([loadSocrataFixture('chicago')]);
  base = `${portal.url}/resource/ijzp-q8t2.json`;
});
afterAll(() => portal.close());
beforeEach(() => {
  portal.reset();
});

const fast = (o: Partial<PoliteClientOptions> = {}) =>
  new PoliteClient({
    userAgent: 'CrimePulse-test/1',
    log: silentLogger,
    timeoutMs: 1000,
    maxRetries: 3,
    backoffBaseMs: 5,
    backoffMaxMs: 20,
    rateLimit: { perSecond: 1000, burst: 1000 },
    ...o,
  });

async function failure(p: Promise<unknown>): Promise<SourceError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SourceError);
  return err as SourceError;
}

async function metricValue(name: string, labels: Record<string, string>): Promise<number> {
  const metric = registry.getSingleMetric(name);
  if (!metric) return 0;
  const { values } = await metric.get();
  return values
    .filter((v) =>
      Object.entries(labels).every(([k, want]) => String((v.labels as Record<string, unknown>)[k]) === want),
    )
    .reduce((s, v) => s + v.value, 0);
}

describe('PoliteClient', () => {
  it('sends the User-Agent and token, logs the URL with its parameters but never the token', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const log = createLogger({ destination: sink, level: 'debug' });
    const client = fast({ log, headers: { 'X-App-Token': TOKEN } });
    const res = await client.request(`${base}?$limit=2&$$app_token=${TOKEN}`);
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text)).toHaveLength(2);
    const seen = portal.requests[0];
    expect(seen?.headers['user-agent']).toBe('CrimePulse-test/1');
    expect(seen?.headers['x-app-token']).toBe(TOKEN);
    await new Promise((r) => setImmediate(r));
    const logged = lines.join('');
    expect(logged).toContain('"params":{"$limit":"2"');
    expect(logged).not.toContain(TOKEN);
  });

  it('honours Retry-After on 429 and then succeeds', async () => {
    portal.inject({ kind: 'rate-limit', retryAfter: '0.2' });
    const before = await metricValue('crimepulse_http_retries_total', { reason: '429' });
    const res = await fast().request(`${base}?$limit=1`);
    expect(res.status).toBe(200);
    const [first, second] = portal.requests;
    expect(first?.status).toBe(429);
    expect(second?.status).toBe(200);
    // The backoff alone would wait at most 20 ms; only Retry-After explains 200.
    expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(190);
    expect(await metricValue('crimepulse_http_retries_total', { reason: '429' })).toBe(before + 1);
  });

  it('caps a huge Retry-After', async () => {
    portal.inject({ kind: 'rate-limit', retryAfter: '3600' });
    const res = await fast({ retryAfterMaxMs: 30 }).request(`${base}?$limit=1`);
    expect(res.status).toBe(200);
    expect(portal.requests).toHaveLength(2);
  });

  it('retries 503 and gives up with a transient error after maxRetries', async () => {
    portal.inject({ kind: 'unavailable' }, { times: 2 });
    expect((await fast().request(`${base}?$limit=1`)).status).toBe(200);
    expect(portal.requests.map((r) => r.status)).toEqual([503, 503, 200]);

    portal.requests.length = 0;
    portal.inject({ kind: 'unavailable' }, { times: 10 });
    const err = await failure(fast({ maxRetries: 2 }).request(`${base}?$limit=1`));
    expect(err.code).toBe('CP_ERR_SOURCE_HTTP');
    expect(err.kind).toBe('transient');
    expect(err.details?.attempts).toBe(3);
    expect(portal.requests).toHaveLength(3);
    portal.reset();
    portal.inject({ kind: 'rate-limit' }, { times: 10 });
    const limited = await failure(fast({ maxRetries: 1 }).request(`${base}?$limit=1`));
    expect(limited.code).toBe('CP_ERR_SOURCE_RATE_LIMITED');
    expect(limited.kind).toBe('transient');
  });

  it('counts attempts per host and status', async () => {
    const host = new URL(base).host;
    const before = await metricValue('crimepulse_http_requests_total', { host, status: '503' });
    portal.inject({ kind: 'unavailable' });
    await fast().request(`${base}?$limit=1`);
    expect(await metricValue('crimepulse_http_requests_total', { host, status: '503' })).toBe(before + 1);
    const text = await registry.getSingleMetricAsString('crimepulse_http_client_request_duration_seconds');
    expect(text).toContain(`host="${host}"`);
  });

  it('times out slow headers and slow bodies, retries, and reports a timeout when it never answers', async () => {
    portal.inject({ kind: 'slow', delayMs: 400 });
    expect((await fast({ timeoutMs: 100 }).request(`${base}?$limit=1`)).status).toBe(200);
    portal.inject({ kind: 'slow', delayMs: 400, phase: 'body' });
    expect((await fast({ timeoutMs: 100 }).request(`${base}?$limit=1`)).status).toBe(200);
    portal.inject({ kind: 'slow', delayMs: 400 }, { times: 2 });
    const err = await failure(fast({ timeoutMs: 100, maxRetries: 1 }).request(`${base}?$limit=1`));
    expect(err.code).toBe('CP_ERR_SOURCE_TIMEOUT');
    expect(err.kind).toBe('transient');
  });

  it('retries a connection reset mid-body', async () => {
    portal.inject({ kind: 'reset' });
    const res = await fast().request(`${base}?$limit=1`);
    expect(JSON.parse(res.text)).toHaveLength(1);
    expect(portal.requests).toHaveLength(2);
  });

  it('does not retry 400/401/403/404: a config error', async () => {
    const err = await failure(fast().request(`${portal.url}/resource/zzzz-zzzz.json`));
    expect(err.code).toBe('CP_ERR_SOURCE_REFUSED');
    expect(err.kind).toBe('config');
    expect(err.details?.status).toBe(404);
    expect(portal.requests).toHaveLength(1);
    const soql = await failure(fast().request(`${base}?$where=${encodeURIComponent("nope > '1'")}`));
    expect(soql.code).toBe('CP_ERR_SOURCE_REFUSED');
    expect(String(soql.details?.body)).toContain('no-such-column');
    portal.inject({ kind: 'status', status: 410 });
    const gone = await failure(fast().request(`${base}?$limit=1`));
    expect(gone.code).toBe('CP_ERR_SOURCE_HTTP');
    expect(portal.requests).toHaveLength(3);
  });

  it('stops at once when the caller aborts, even while backing off', async () => {
    portal.inject({ kind: 'unavailable', retryAfter: '10' }, { times: 5 });
    const ctrl = new AbortController();
    const p = fast({ retryAfterMaxMs: 10_000 }).request(`${base}?$limit=1`, { signal: ctrl.signal });
    setTimeout(() => ctrl.abort(new Error('shutting down')), 50);
    await expect(p).rejects.toThrow('shutting down');
    expect(portal.requests).toHaveLength(1);
  });

  it('sends conditional requests and reports 304 as notModified', async () => {
    const client = fast();
    const url = `${base}?$limit=3`;
    const first = await client.request(url);
    const etag = first.headers.get('etag') ?? '';
    const lastModified = first.headers.get('last-modified') ?? '';
    expect(etag).not.toBe('');
    const byTag = await client.request(url, { etag });
    expect(byTag).toMatchObject({ status: 304, notModified: true, text: '' });
    expect(portal.requests.at(-1)?.headers['if-none-match']).toBe(etag);
    const byDate = await client.request(url, { lastModified });
    expect(byDate.notModified).toBe(true);
    const changed = await client.request(url, { etag: '"other"' });
    expect(changed.notModified).toBe(false);
    expect(JSON.parse(changed.text)).toHaveLength(3);
  });

  it('retries what validate rejects as transient, fails at once on anything else', async () => {
    const validate = (r: { text: string }) => {
      if (r.text.trimStart().startsWith('<')) throw new SourceError('CP_ERR_SOURCE_BAD_RESPONSE', 'html');
    };
    portal.inject({ kind: 'html' });
    const res = await fast().request(`${base}?$limit=1`, { validate });
    expect(JSON.parse(res.text)).toHaveLength(1);
    expect(portal.requests).toHaveLength(2);
    portal.requests.length = 0;
    const boom = fast().request(`${base}?$limit=1`, {
      validate: () => {
        throw new Error('not ours to retry');
      },
    });
    await expect(boom).rejects.toThrow('not ours to retry');
    await expect(boom).rejects.not.toBeInstanceOf(CrimePulseError);
    expect(portal.requests).toHaveLength(1);
  });

  it('spaces requests to one host by its token bucket (server-side timestamps)', async () => {
    const client = fast({ rateLimit: { perSecond: 20, burst: 2 } });
    await Promise.all(Array.from({ length: 8 }, (_, i) => client.request(`${base}?$limit=1&n=${i}`)));
    const at = portal.requests.map((r) => r.at).sort((a, b) => a - b);
    expect(at).toHaveLength(8);
    // Tokens: 2 at once, then one every 50 ms. Lower bounds only: a slow machine can only add delay.
    const t0 = at[0] as number;
    for (let i = 2; i < at.length; i++)
      expect((at[i] as number) - t0).toBeGreaterThanOrEqual((i - 1) * 50 - 10);
    // FIFO: requests leave in call order.
    const order = portal.requests.map((r) => Number(r.params.n));
    expect(order).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });
});

describe('redactUrl and parseRetryAfter', () => {
  it('redacts token-like parameters and passwords only', () => {
    const out = redactUrl('https://u:pw@data.example.org/resource/a.json?$$app_token=abc&$limit=5&api_key=k');
    expect(out).not.toContain('abc');
    expect(out).not.toContain('pw');
    expect(out).not.toContain('=k');
    expect(decodeURIComponent(out)).toContain('$limit=5');
  });

  it('reads seconds and HTTP dates', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Wed, 31 Dec 2025 23:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });
});
