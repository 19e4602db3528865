/**
 * The UK connector against a local HTTP server (127.0.0.1, port 0) that answers from the recorded real
 * API responses in samples/uk/api_json/: `crimes-street-dates.json` for month discovery, and the
 * 145 crimes of `crimes-street_2013-08_north-london.json` for every month asked (their `month` field
 * rewritten to the month asked, since no recorded answer exists for the months the dates list has),
 * filtered by the polygon the client sent, so splitting really has to reassemble the area.
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SourceError } from '../../../src/core/errors.js';
import { silentLogger } from '../../../src/core/logger.js';
import type { SourceMessage } from '../../../src/sources/source.js';
import {
  createUkPoliceSource,
  monthsToRead,
  UkPoliceConfig,
  ukFreshness,
} from '../../../src/sources/uk-police/connector.js';
import { pointPolygon } from '../../../src/sources/uk-police/polygon.js';

const DATES = readFileSync('samples/uk/api_json/crimes-street-dates.json', 'utf8');
const CRIMES = JSON.parse(
  readFileSync('samples/uk/api_json/crimes-street_2013-08_north-london.json', 'utf8'),
) as Array<Record<string, unknown> & { location: { latitude: string; longitude: string } }>;

interface Seen {
  method: string;
  path: string;
  params: URLSearchParams;
  status: number;
}

// Ray casting; test-only geometry to play the API's role.
function inside(lat: number, lng: number, poly: [number, number][]): boolean {
  let hit = false;
  for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
    const [yi, xi] = poly[i] as [number, number];
    const [yj, xj] = poly[j] as [number, number];
    if (yi > lat !== yj > lat && lng < ((xj - xi) * (lat - yi)) / (yj - yi) + xi) hit = !hit;
  }
  return hit;
}

let server: Server;
let base: string;
const seen: Seen[] = [];
const behaviour = { limit: Number.POSITIVE_INFINITY, always503: false };

async function body(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

beforeAll(async () => {
  server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const params = req.method === 'POST' ? new URLSearchParams(await body(req)) : url.searchParams;
    const reply = (status: number, text: string) => {
      seen.push({ method: req.method ?? '', path: url.pathname, params, status });
      res.writeHead(status, { 'content-type': 'application/json' }).end(text);
    };
    if (url.pathname === '/api/crimes-street-dates') return reply(200, DATES);
    if (url.pathname !== '/api/crimes-street/all-crime') return reply(404, '{}');
    const month = params.get('date') ?? '';
    const poly = params.get('poly');
    const rows = poly
      ? CRIMES.filter((c) =>
          inside(
            Number(c.location.latitude),
            Number(c.location.longitude),
            poly.split(':').map((p) => p.split(',').map(Number) as [number, number]),
          ),
        )
      : CRIMES;
    // data.police.uk answers 503 when an area holds more than 10,000 crimes.
    if (behaviour.always503 || rows.length > behaviour.limit) return reply(503, '');
    return reply(200, JSON.stringify(rows.map((r) => ({ ...r, month }))));
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`;
});

afterAll(() => new Promise<void>((ok) => server.close(() => ok())));

beforeEach(() => {
  seen.length = 0;
  behaviour.limit = Number.POSITIVE_INFINITY;
  behaviour.always503 = false;
});

const NORTH_LONDON: [number, number][] = [
  [51.58, -0.14],
  [51.58, -0.08],
  [51.545, -0.08],
  [51.545, -0.14],
];

function config(extra: Record<string, unknown> = {}): UkPoliceConfig {
  return UkPoliceConfig.parse({
    url: base,
    areas: [{ id: 'north-london', poly: NORTH_LONDON }],
    backoffBaseMs: 0,
    ...extra,
  });
}

async function run(
  cfg: UkPoliceConfig,
  state?: Record<string, Record<string, string>>,
  since?: Date,
  now = new Date('2020-10-16T12:00:00Z'),
) {
  const source = createUkPoliceSource({ now: () => now });
  const out: SourceMessage[] = [];
  for await (const m of source.read(cfg, {
    state,
    since,
    signal: new AbortController().signal,
    log: silentLogger,
  } as never))
    out.push(m);
  return out;
}

const kinds = (ms: SourceMessage[]) => ms.map((m) => m.kind);
const states = (ms: SourceMessage[]) => ms.filter((m) => m.kind === 'state');
const records = (ms: SourceMessage[]) => ms.flatMap((m) => (m.kind === 'record' ? [m.event] : []));
const crimeRequests = () => seen.filter((s) => s.path.endsWith('/all-crime'));

describe('uk-police connector (local server with recorded API answers)', () => {
  it('discovers months and, on a first run, reads the newest `initialMonths`, each followed by its state', async () => {
    const out = await run(config());
    expect(seen[0]?.path).toBe('/api/crimes-street-dates');
    expect(crimeRequests().map((s) => s.params.get('date'))).toEqual(['2020-06', '2020-07', '2020-08']);
    expect(states(out)).toEqual([
      {
        kind: 'state',
        source: 'uk-police',
        stream: 'area:north-london',
        cursor: { lastMonth: '2020-06' },
        recordCount: 145,
      },
      {
        kind: 'state',
        source: 'uk-police',
        stream: 'area:north-london',
        cursor: { lastMonth: '2020-07' },
        recordCount: 145,
      },
      {
        kind: 'state',
        source: 'uk-police',
        stream: 'area:north-london',
        cursor: { lastMonth: '2020-08' },
        recordCount: 145,
      },
    ]);
    // status, 145 records, state, ..., status
    const k = kinds(out);
    expect(k[0]).toBe('status');
    expect(k.at(-1)).toBe('status');
    expect(k.slice(1, 147)).toEqual([...Array(145).fill('record'), 'state']);
    const evs = records(out);
    expect(evs).toHaveLength(435);
    // Unique within each month; the fixture repeats one month's crimes, so ids repeat across months.
    for (let i = 0; i < 3; i++)
      expect(new Set(evs.slice(i * 145, (i + 1) * 145).map((e) => e.id)).size).toBe(145);
    expect(evs.every((e) => e.areaId === 'north-london' && e.timePrecision === 'month')).toBe(true);
    expect(evs[0]?.occurredAt).toBe('2020-05-31T23:00:00.000Z');
    // A short polygon goes as GET with the poly unescaped.
    expect(crimeRequests().every((s) => s.method === 'GET')).toBe(true);
    expect(crimeRequests()[0]?.params.get('poly')).toBe('51.58,-0.14:51.58,-0.08:51.545,-0.08:51.545,-0.14');
  });

  it('resumes after the cursor month and reads nothing when up to date', async () => {
    await run(config(), { 'area:north-london': { lastMonth: '2020-07' } });
    expect(crimeRequests().map((s) => s.params.get('date'))).toEqual(['2020-08']);
    seen.length = 0;
    const out = await run(config(), { 'area:north-london': { lastMonth: '2020-08' } });
    expect(crimeRequests()).toHaveLength(0);
    expect(kinds(out)).toEqual(['status', 'status']);
  });

  it('backfills from `since` when there is no state', async () => {
    await run(config(), undefined, new Date('2020-01-15T00:00:00Z'));
    expect(crimeRequests().map((s) => s.params.get('date'))).toEqual([
      '2020-01',
      '2020-02',
      '2020-03',
      '2020-04',
      '2020-05',
      '2020-06',
      '2020-07',
      '2020-08',
    ]);
  });

  it('sends a polygon whose GET URL would pass 4094 characters as a POST form, with the same result', async () => {
    const get = records(await run(config({ initialMonths: 1 })));
    seen.length = 0;
    const longPoly = pointPolygon(51.5625, -0.11, 400, 4000);
    const out = await run(config({ initialMonths: 1, areas: [{ id: 'north-london', poly: longPoly }] }));
    const reqs = crimeRequests();
    expect(reqs).toHaveLength(1);
    expect(reqs[0]?.method).toBe('POST');
    expect(reqs[0]?.params.get('poly')?.split(':')).toHaveLength(400);
    expect(reqs[0]?.params.get('date')).toBe('2020-08');
    expect(
      records(out)
        .map((e) => e.id)
        .sort(),
    ).toEqual(get.map((e) => e.id).sort());
  });

  it('splits the polygon into quadrants on 503 and reassembles the same crimes', async () => {
    const whole = records(await run(config({ initialMonths: 1 })));
    seen.length = 0;
    behaviour.limit = 60;
    const out = await run(config({ initialMonths: 1 }));
    const reqs = crimeRequests();
    expect(reqs.filter((s) => s.status === 503).length).toBeGreaterThanOrEqual(1);
    expect(reqs.filter((s) => s.status === 200).length).toBeGreaterThanOrEqual(4);
    const split = records(out);
    expect(split).toHaveLength(145);
    expect(split.map((e) => e.id).sort()).toEqual(whole.map((e) => e.id).sort());
    expect(states(out)).toHaveLength(1);
  });

  it('queries a point area by lat/lng', async () => {
    const out = await run(
      config({ initialMonths: 1, areas: [{ id: 'islington', point: { lat: 51.5625, lng: -0.11 } }] }),
    );
    const [req] = crimeRequests();
    expect(req?.params.get('lat')).toBe('51.5625');
    expect(req?.params.get('lng')).toBe('-0.11');
    expect(records(out).every((e) => e.areaId === 'islington')).toBe(true);
    expect(records(out)).toHaveLength(145);
  });

  it('gives up with a SourceError when the area is still too large after maxSplitDepth, without moving the cursor', async () => {
    behaviour.always503 = true;
    const got: SourceMessage[] = [];
    const source = createUkPoliceSource({ now: () => new Date('2020-10-16T12:00:00Z') });
    const cfg = config({ initialMonths: 1, maxSplitDepth: 1, maxRetries: 0 });
    await expect(async () => {
      for await (const m of source.read(cfg, {
        state: undefined,
        signal: new AbortController().signal,
        log: silentLogger,
      }))
        got.push(m);
    }).rejects.toBeInstanceOf(SourceError);
    // The whole area, then its first quadrant (already at maxSplitDepth): it fails there.
    expect(crimeRequests()).toHaveLength(2);
    expect(states(got)).toHaveLength(0);
  });

  it('reports freshness: fresh in Oct 2020 with 2020-08 published, stale today', async () => {
    const fresh = await run(config(), { 'area:north-london': { lastMonth: '2020-08' } });
    expect(fresh[0]).toMatchObject({
      kind: 'status',
      status: { stale: false, newestRecordAt: '2020-07-31T23:00:00.000Z' },
    });
    const stale = await run(
      config(),
      { 'area:north-london': { lastMonth: '2020-08' } },
      undefined,
      new Date('2026-11-25T00:00:00Z'),
    );
    expect(stale[0]).toMatchObject({ kind: 'status', status: { stale: true } });
    expect(stale.at(-1)).toMatchObject({
      kind: 'status',
      status: { lastSuccessAt: '2026-11-25T00:00:00.000Z' },
    });
  });

  it('check() probes crimes-street-dates', async () => {
    const source = createUkPoliceSource();
    expect(await source.check(config(), AbortSignal.timeout(5000))).toEqual({
      ok: true,
      message: '36 months published, newest 2020-08',
    });
    const bad = await source.check(config({ url: `${base}/nope` }), AbortSignal.timeout(5000));
    expect(bad.ok).toBe(false);
  });
});

describe('monthsToRead and ukFreshness', () => {
  const months = ['2020-03', '2020-01', '2020-02', '2020-02'];
  it('orders, dedupes and filters months', () => {
    expect(monthsToRead(months, undefined, undefined, 2)).toEqual(['2020-02', '2020-03']);
    expect(monthsToRead(months, '2020-01', undefined, 1)).toEqual(['2020-02', '2020-03']);
    // `since` is read as a London month: 31 Jan 23:30 UTC is January (GMT), 31 May 23:30 UTC is June (BST).
    expect(monthsToRead(months, undefined, new Date('2020-01-31T23:30:00Z'), 1)).toEqual([
      '2020-01',
      '2020-02',
      '2020-03',
    ]);
    expect(monthsToRead(['2020-05', '2020-06'], undefined, new Date('2020-05-31T23:30:00Z'), 1)).toEqual([
      '2020-06',
    ]);
  });
  it('is stale once the newest month ended more than lag + 31 days ago', () => {
    const lag = 60 * 86_400_000;
    expect(ukFreshness('2020-08', new Date('2020-11-30T00:00:00Z'), lag).stale).toBe(false);
    expect(ukFreshness('2020-08', new Date('2020-12-02T00:00:00Z'), lag).stale).toBe(true);
    expect(ukFreshness(undefined, new Date(), lag).stale).toBe(true);
  });
});
