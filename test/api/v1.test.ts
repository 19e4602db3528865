/** /v1 answers against direct SQL on a real store (Chicago + LA samples through the real pipeline). */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/api/index.js';
import { silentLogger } from '../../src/core/logger.js';
import { SourceStatusBoard } from '../../src/sources/status-board.js';
import { buildTestStore, type TestStore } from './helpers.js';

let ts: TestStore;
let app: FastifyInstance;
const board = new SourceStatusBoard();

async function sql(
  q: string,
  params: Record<string, string | number> = {},
): Promise<Record<string, unknown>[]> {
  const rows = (await ts.store.reader.runAndReadAll(q, params)).getRowObjectsJS() as Record<
    string,
    unknown
  >[];
  return rows.map((r) =>
    Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v])),
  );
}
async function get<T = Record<string, unknown>>(url: string): Promise<{ status: number; body: T }> {
  const res = await app.inject({ url });
  return { status: res.statusCode, body: res.json() as T };
}

beforeAll(async () => {
  ts = await buildTestStore();
  board.register(
    'chicago',
    'Chicago Police Department',
    'replay',
    'forced by CRIMEPULSE_MODE=replay',
    7 * 86400_000,
  );
  board.update({
    source: 'chicago',
    mode: 'replay',
    expectedLagMs: 7 * 86400_000,
    stale: true,
    newestRecordAt: '2015-02-09T05:43:40.000Z',
    lastSuccessAt: '2026-01-01T00:00:00.000Z',
    complete: true,
  });
  app = await buildApp({
    log: silentLogger,
    board,
    store: ts.store,
    models: {
      async list() {
        return [
          {
            name: 'predict-iforest',
            champion: '2',
            versions: [{ version: '2', metrics: { auc: 0.91 }, aliases: ['champion'] }],
          },
        ];
      },
    },
    forecaster: {
      version: 'count-3',
      async forecast(q) {
        if (q.area !== '25') return undefined;
        return Array.from({ length: q.horizon }, (_, i) => ({
          windowStart: new Date(Date.UTC(2015, 1, 9 + i, 6)).toISOString(),
          expected: 40,
          lower: 30,
          upper: 52,
        }));
      },
    },
  });
}, 120_000);
afterAll(async () => {
  await app?.close();
  await ts?.close();
});

type Page<T> = { items: T[]; nextPageToken: string | null };
type Ev = {
  id: string;
  source: string;
  occurredAt: string;
  category: string;
  areaId: string;
  lat?: number;
  lon?: number;
};

describe('/v1/events', () => {
  it('pages a filter newest first, every event once, as many as SQL counts', async () => {
    const from = '2015-02-01T06:00:00Z';
    const to = '2015-02-02T06:00:00Z';
    const [n] = await sql(
      `SELECT count(*) AS n FROM events WHERE source = 'chicago' AND category IN ('theft', 'robbery') AND occurred_at >= '2015-02-01 06:00:00' AND occurred_at < '2015-02-02 06:00:00'`,
    );
    const seen: Ev[] = [];
    let token: string | null = null;
    do {
      const { status, body }: { status: number; body: Page<Ev> } = await get(
        `/v1/events?source=chicago&category=theft&category=robbery&from=${from}&to=${to}&limit=50${token ? `&pageToken=${token}` : ''}`,
      );
      expect(status).toBe(200);
      seen.push(...body.items);
      token = body.nextPageToken;
    } while (token);
    expect(seen.length).toBe(n?.n);
    expect(new Set(seen.map((e) => e.id)).size).toBe(seen.length);
    for (let i = 1; i < seen.length; i++)
      expect((seen[i - 1] as Ev).occurredAt >= (seen[i] as Ev).occurredAt).toBe(true);
    expect(seen.every((e) => ['theft', 'robbery'].includes(e.category))).toBe(true);
  });

  it('filters by bbox, area list (comma-separated) and date-only bounds', async () => {
    const bbox = '-87.70,41.85,-87.60,41.95';
    const [n] = await sql(
      `SELECT count(*) AS n FROM events WHERE lon BETWEEN -87.70 AND -87.60 AND lat BETWEEN 41.85 AND 41.95 AND area_id IN ('8', '32') AND occurred_at >= '2015-02-01' AND occurred_at < '2015-02-03'`,
    );
    const { body } = await get<Page<Ev>>(
      `/v1/events?bbox=${bbox}&area=8,32&from=2015-02-01&to=2015-02-03&limit=1000`,
    );
    expect(body.items.length).toBe(n?.n);
    expect(body.items.length).toBeGreaterThan(0);
    expect(
      body.items.every(
        (e) => ['8', '32'].includes(e.areaId) && (e.lon as number) >= -87.7 && (e.lat as number) <= 41.95,
      ),
    ).toBe(true);
  });

  it('answers 400 naming the field for bad parameters and tokens', async () => {
    const cases: [string, string][] = [
      ['/v1/events?limit=0', 'querystring.limit'],
      ['/v1/events?limit=1.5', 'querystring.limit'],
      ['/v1/events?limit=NaN', 'querystring.limit'],
      ['/v1/events?bbox=1,2,3', 'querystring.bbox'],
      ['/v1/events?bbox=Infinity,0,1,1', 'querystring.bbox'],
      ['/v1/events?from=yesterday', 'querystring.from'],
      ['/v1/events?to=2015-02-30', 'querystring.to'],
      ['/v1/events?source=Chicago!', 'querystring.source'],
      ['/v1/events?category=shoplifting', 'querystring.category'],
      ['/v1/events?colour=red', 'colour'],
      ['/v1/events?pageToken=xyz', 'querystring.pageToken'],
      ['/v1/events?limit=5&limit=6', 'querystring.limit'],
    ];
    for (const [url, field] of cases) {
      const { status, body } = await get<{ code: string; message: string; statusCode: number }>(url);
      expect(status, url).toBe(400);
      expect(body.code).toBe('CP_ERR_API_VALIDATION');
      expect(body.statusCode).toBe(400);
      expect(body.message, url).toContain(field);
    }
  });
});

describe('/v1/windows', () => {
  it('sums the filter’s windows per period like SQL, pages by window start', async () => {
    const expected =
      await sql(`SELECT CAST(window_start AS VARCHAR) AS ws, sum(event_count) AS n FROM windows_hourly
      WHERE source = 'chicago' AND category = 'violence' AND window_start >= '2015-02-01' AND window_start < '2015-02-04' GROUP BY 1 HAVING sum(event_count) > 0 ORDER BY 1`);
    const got: { windowStart: string; events: number }[] = [];
    let token: string | null = null;
    do {
      const { body }: { body: Page<{ windowStart: string; events: number }> & { granularity: string } } =
        await get(
          `/v1/windows?source=chicago&category=violence&granularity=hour&from=2015-02-01&to=2015-02-04&limit=20${token ? `&pageToken=${token}` : ''}`,
        );
      expect(body.granularity).toBe('hour');
      got.push(...body.items);
      token = body.nextPageToken;
    } while (token);
    expect(got.map((w) => w.events)).toEqual(expected.map((r) => r.n));
    expect(got[0]?.windowStart).toBe(`${String(expected[0]?.ws).replace(' ', 'T')}.000Z`);
  });

  it('refuses an unknown granularity', async () => {
    const { status, body } = await get<{ message: string }>('/v1/windows?granularity=week');
    expect(status).toBe(400);
    expect(body.message).toContain('querystring.granularity');
  });
});

describe('/v1/stats and /v1/heatmap', () => {
  it('totals, category mix and top areas match SQL', async () => {
    const { body } = await get<{
      events: number;
      sources: unknown[];
      categories: { category: string; events: number; share: number }[];
      topAreas: { areaId: string; events: number }[];
    }>('/v1/stats?source=chicago&source=la&limit=3');
    const [t] = await sql('SELECT count(*) AS n FROM events');
    expect(body.events).toBe(t?.n);
    const mix = await sql('SELECT category, count(*) AS n FROM events GROUP BY 1 ORDER BY n DESC, category');
    expect(body.categories.map((c) => [c.category, c.events])).toEqual(mix.map((r) => [r.category, r.n]));
    expect(body.categories.reduce((s, c) => s + c.share, 0)).toBeCloseTo(1, 9);
    const top = await sql(
      'SELECT area_id, count(*) AS n FROM events GROUP BY source, area_id ORDER BY n DESC, source, area_id LIMIT 3',
    );
    expect(body.topAreas.map((a) => [a.areaId, a.events])).toEqual(top.map((r) => [r.area_id, r.n]));
  });

  it('hour-of-week bins add up to the located-in-time events; grid bins to the located ones', async () => {
    const { body } = await get<{
      hourOfWeek: { hourOfWeek: number; events: number }[];
      grid: { bins: { events: number }[] };
    }>('/v1/heatmap?source=la&cellDeg=0.05');
    const [h] = await sql(
      `SELECT count(*) AS n FROM events WHERE source = 'la' AND local_hour IS NOT NULL AND time_precision IN ('minute', 'hour')`,
    );
    const [g] = await sql(
      `SELECT count(*) AS n FROM events WHERE source = 'la' AND lat IS NOT NULL AND lon IS NOT NULL`,
    );
    expect(body.hourOfWeek.reduce((s, b) => s + b.events, 0)).toBe(h?.n);
    expect(body.grid.bins.reduce((s, b) => s + b.events, 0)).toBe(g?.n);
    expect(body.hourOfWeek.every((b) => b.hourOfWeek >= 0 && b.hourOfWeek < 168)).toBe(true);
  });
});

describe('/v1/compstat', () => {
  it('current totals match the daily windows, with significance fields', async () => {
    const { status, body } = await get<{
      timeZone: string;
      items: {
        areaId: string;
        category: string;
        current: number;
        previous: { baseline: number; q: number; significant: boolean };
      }[];
    }>('/v1/compstat?source=chicago&from=2015-02-01&to=2015-02-08&limit=5000');
    expect(status).toBe(200);
    expect(body.timeZone).toBe('America/Chicago');
    const [cur] = await sql(
      `SELECT sum(event_count) AS n FROM windows_daily WHERE source = 'chicago' AND window_start >= '2015-02-01 06:00:00' AND window_start < '2015-02-08 06:00:00'`,
    );
    const [prev] = await sql(
      `SELECT sum(event_count) AS n FROM windows_daily WHERE source = 'chicago' AND window_start >= '2015-01-25 06:00:00' AND window_start < '2015-02-01 06:00:00'`,
    );
    const all = body.items.find((r) => r.areaId === 'all' && r.category === 'all');
    expect(all?.current).toBe(Number(cur?.n));
    expect(all?.previous.baseline).toBe(Number(prev?.n));
    expect(
      body.items.every(
        (r) => r.previous.q >= 0 && r.previous.q <= 1 && r.previous.significant === r.previous.q <= 0.05,
      ),
    ).toBe(true);
  });

  it('needs one source and an ordered period', async () => {
    expect((await get('/v1/compstat?from=2015-02-01&to=2015-02-08')).status).toBe(400);
    expect((await get('/v1/compstat?source=chicago,la&from=2015-02-01&to=2015-02-08')).status).toBe(400);
    const back = await get<{ message: string }>('/v1/compstat?source=chicago&from=2015-02-08&to=2015-02-01');
    expect(back.status).toBe(400);
    expect(back.body.message).toContain('querystring.to');
  });
});

describe('/v1/anomalies', () => {
  it('filters by minimum severity and explains each', async () => {
    for (const [min, levels] of [
      ['low', ['low', 'medium', 'high']],
      ['medium', ['medium', 'high']],
      ['high', ['high']],
    ] as const) {
      const [n] = await sql(
        `SELECT count(*) AS n FROM anomalies WHERE list_contains(string_split($l, ','), severity)`,
        { l: levels.join(',') },
      );
      const { body } = await get<Page<{ severity: string; explanation: string; observed: number }>>(
        `/v1/anomalies?minSeverity=${min}&limit=1000`,
      );
      expect(body.items.length, min).toBe(n?.n);
      for (const a of body.items) expect(a.explanation).toContain(`${a.observed} `);
    }
    const [all] = await sql('SELECT count(*) AS n FROM anomalies');
    expect(Number(all?.n)).toBeGreaterThan(2);
  });

  it('pages with a token', async () => {
    const first = await get<Page<{ id: string }>>('/v1/anomalies?limit=2');
    expect(first.body.items).toHaveLength(2);
    const second = await get<Page<{ id: string }>>(
      `/v1/anomalies?limit=2&pageToken=${first.body.nextPageToken}`,
    );
    expect(second.body.items.map((a) => a.id)).not.toContain(first.body.items[0]?.id);
  });
});

describe('/v1/hotspots, /v1/forecast, /v1/models, /v1/sources', () => {
  it('hot spots use every located event of the filter', async () => {
    const { status, body } = await get<{ points: number; items: { class: string; z: number }[] }>(
      '/v1/hotspots?source=chicago&cellMeters=1000',
    );
    expect(status).toBe(200);
    const [n] = await sql(
      `SELECT count(*) AS n FROM events WHERE source = 'chicago' AND lat IS NOT NULL AND lon IS NOT NULL`,
    );
    expect(body.points).toBe(n?.n);
    expect(body.items.some((c) => c.class === 'hot' && c.z > 0)).toBe(true);
  });

  it('refuses a grid spanning two cities instead of building millions of cells', async () => {
    const { status, body } = await get<{ message: string }>('/v1/hotspots?cellMeters=100');
    expect(status).toBe(400);
    expect(body.message).toContain('querystring.cellMeters');
  });

  it('forecast comes from the injected model, 404 for an uncovered series', async () => {
    const ok = await get<{ modelVersion: string; items: unknown[] }>(
      '/v1/forecast?source=chicago&area=25&category=theft&horizon=3',
    );
    expect(ok.status).toBe(200);
    expect(ok.body.modelVersion).toBe('count-3');
    expect(ok.body.items).toHaveLength(3);
    expect((await get('/v1/forecast?source=chicago&area=1&category=theft')).status).toBe(404);
    expect((await get('/v1/forecast?source=chicago&area=1,2&category=theft')).status).toBe(400);
  });

  it('/ready checks the store it was given', async () => {
    const { status, body } = await get('/ready');
    expect(status).toBe(200);
    expect(body).toEqual({ status: 'ready', checks: { store: true } });
  });

  it('models list the registry; sources merge the status board with the store', async () => {
    const m = await get<{ items: { name: string; champion: string }[] }>('/v1/models');
    expect(m.body.items[0]).toMatchObject({ name: 'predict-iforest', champion: '2' });
    const s = await get<{
      items: {
        source: string;
        mode: string | null;
        stale: boolean;
        lagSeconds: number | null;
        stored: { events: number } | null;
      }[];
    }>('/v1/sources');
    const chicago = s.body.items.find((i) => i.source === 'chicago');
    expect(chicago).toMatchObject({ mode: 'replay', stale: true, stored: { events: 9999 } });
    expect(chicago?.lagSeconds).toBeGreaterThan(86400 * 365);
    const la = s.body.items.find((i) => i.source === 'la');
    expect(la).toMatchObject({ mode: null, stored: { events: 874 } });
  });
});
