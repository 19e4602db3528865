import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SourceError } from '../../../src/core/errors.js';
import { silentLogger } from '../../../src/core/logger.js';
import { chicagoSpec } from '../../../src/sources/chicago/index.js';
import { laSpec } from '../../../src/sources/la/index.js';
import type { RawRow } from '../../../src/sources/normalise.js';
import { nycArrestsSpec } from '../../../src/sources/nyc-arrests/index.js';
import { nycComplaintsSpec } from '../../../src/sources/nyc-complaints/index.js';
import { nycShootingsSpec } from '../../../src/sources/nyc-shootings/index.js';
import {
  floatingToUtc,
  type SocrataConfig,
  socrataSource,
  utcToFloating,
} from '../../../src/sources/socrata/connector.js';
import type { SocrataDatasetSpec } from '../../../src/sources/socrata/dataset-spec.js';
import type { Cursor, Source, SourceMessage } from '../../../src/sources/source.js';
import {
  type FixtureName,
  loadSocrataFixture,
  type PortalFault,
  type PortalServer,
  startPortalServer,
} from '../../helpers/portal-server.js';

let portal: PortalServer;
const chicagoRows = loadSocrataFixture('chicago').rows;
const ORDER = 'updated_on,id';
const PAGE = 37;

beforeAll(async () => {
  portal = await startPortalServer(
    (['chicago', 'la', 'nyc-complaints', 'nyc-arrests', 'nyc-shootings'] as FixtureName[]).map(
      loadSocrataFixture,
    ),
  );
});
afterAll(() => portal.close());
beforeEach(() => portal.reset());

const config = (o: Partial<SocrataConfig> = {}): SocrataConfig => ({
  url: portal.url,
  userAgent: 'CrimePulse-test/1',
  pageSize: PAGE,
  timeoutMs: 300,
  checkTimeoutMs: 300,
  maxRetries: 3,
  backoffBaseMs: 2,
  retryAfterMaxMs: 50,
  rateLimit: { perSecond: 100_000, burst: 100_000 },
  ...o,
});

const at = (iso: string) => () => new Date(iso);
const chicago = (now = '2015-02-16T12:00:00Z') => socrataSource(chicagoSpec, { now: at(now) });

interface Pass {
  msgs: SourceMessage[];
  error: unknown;
  ids: string[];
  states: Cursor[];
  last: Cursor | undefined;
}

async function pass(
  source: Source<SocrataConfig>,
  cfg: SocrataConfig,
  state?: Cursor,
  since?: Date,
  stream = 'ijzp-q8t2',
): Promise<Pass> {
  const msgs: SourceMessage[] = [];
  let error: unknown;
  try {
    for await (const m of source.read(cfg, {
      state: state ? { [stream]: state } : undefined,
      signal: AbortSignal.timeout(20_000),
      log: silentLogger,
      ...(since ? { since } : {}),
    })) {
      msgs.push(m);
    }
  } catch (err) {
    error = err;
  }
  const ids = msgs.flatMap((m) => (m.kind === 'record' ? [m.event.id] : []));
  const states = msgs.flatMap((m) => (m.kind === 'state' ? [m.cursor] : []));
  return { msgs, error, ids, states, last: states.at(-1) };
}

const chicagoId = (r: RawRow) => `chicago:${String(r.id)}`;
const allChicagoIds = new Set(chicagoRows.map(chicagoId));
const posCmp = (a: RawRow, c: string, k: string) =>
  String(a.updated_on) < c ? -1 : String(a.updated_on) > c ? 1 : Number(a.id) - Number(k);

/** Every state covers only rows already emitted: no row at or before its cursor is missing. */
function expectStatesNeverSkip(
  p: Pass,
  rows: RawRow[] = chicagoRows,
  alreadyHave: Set<string> = new Set(),
): void {
  const seen = new Set(alreadyHave);
  for (const m of p.msgs) {
    if (m.kind === 'record') seen.add(m.event.id);
    if (m.kind === 'reject') seen.add(chicagoId(m.payload as RawRow));
    if (m.kind === 'state' && typeof m.cursor.cursor === 'string') {
      const { cursor: c, key: k } = m.cursor as { cursor: string; key: string };
      const covered = rows.filter((r) => posCmp(r, c, k) <= 0).map(chicagoId);
      expect(covered.filter((id) => !seen.has(id))).toEqual([]);
    }
  }
}

const pageRequests = () =>
  portal.requests.filter((r) => r.datasetId === 'ijzp-q8t2' && r.params.$order === ORDER);
const nthPage = (n: number) => {
  let i = 0;
  return (r: { datasetId: string | undefined; params: Record<string, string> }) =>
    r.datasetId === 'ijzp-q8t2' && r.params.$order === ORDER && ++i === n;
};

describe('socrataSource: a full pass', () => {
  it('reads every fixture row once, in stable (updated_on, id) order, with a state after each page', async () => {
    const p = await pass(chicago(), config(), undefined, new Date('2015-01-01T00:00:00Z'));
    expect(p.error).toBeUndefined();
    expect(new Set(p.ids)).toEqual(allChicagoIds);
    expect(p.ids).toHaveLength(allChicagoIds.size);
    const expectedOrder = [...chicagoRows]
      .sort((a, b) => posCmp(a, String(b.updated_on), String(b.id)))
      .map(chicagoId);
    expect(p.ids).toEqual(expectedOrder);
    // 200 rows in pages of 37: 5 full pages and a short one, each followed by its state; then the final state.
    expect(pageRequests()).toHaveLength(6);
    expect(p.states).toHaveLength(7);
    expect(p.msgs.at(-1)?.kind).toBe('status');
    const kinds = p.msgs.map((m) => m.kind);
    expect(kinds.slice(0, PAGE + 1)).toEqual([...Array(PAGE).fill('record'), 'state']);
    expect(p.last).toMatchObject({ cursor: '2015-02-15T12:43:39.000', etag: expect.stringMatching(/^"v/) });
    expectStatesNeverSkip(p);
    const first = pageRequests()[0];
    expect(first?.params.$where).toBe("updated_on >= '2014-12-31T18:00:00.000'");
    // Keyset pages after the first, never $offset.
    expect(pageRequests()[1]?.params.$where).toMatch(
      /^\(updated_on > '.+'\) OR \(updated_on = '.+' AND id > \d+\)$/,
    );
    expect(pageRequests().every((r) => r.params.$offset === undefined)).toBe(true);
  });

  it('reports freshness from the data: fresh in Feb 2015, stale today', async () => {
    const fresh = await pass(chicago('2015-02-16T12:00:00Z'), config());
    const status = fresh.msgs.find((m) => m.kind === 'status');
    expect(status?.kind === 'status' && status.status).toMatchObject({
      source: 'chicago',
      stale: false,
      newestRecordAt: '2015-02-09T05:43:40.000Z',
      lastModified: '2015-02-15T13:43:39.000Z',
    });
    const old = await pass(
      chicago('2026-11-25T12:00:00Z'),
      config(),
      undefined,
      new Date('2015-01-01T00:00:00Z'),
    );
    const s2 = old.msgs.find((m) => m.kind === 'status');
    expect(s2?.kind === 'status' && s2.status.stale).toBe(true);
  });

  it('shows LA stale because its newest report is old, not because of a flag', async () => {
    const la = socrataSource(laSpec, { now: () => new Date() });
    const p = await pass(
      la,
      config({ pageSize: 100 }),
      undefined,
      new Date('2019-01-01T00:00:00Z'),
      '2nrs-mtv8',
    );
    expect(p.error).toBeUndefined();
    expect(new Set(p.ids).size).toBe(loadSocrataFixture('la').rows.length);
    const status = p.msgs.find((m) => m.kind === 'status');
    const newest = loadSocrataFixture('la')
      .rows.map((r) => String(r.date_rptd))
      .sort()
      .at(-1) as string;
    expect(status?.kind === 'status' && status.status).toMatchObject({
      stale: true,
      newestRecordAt: floatingToUtc(newest, 'America/Los_Angeles'),
    });
    // The same data is fresh for a clock a week after its newest report.
    const then = new Date(
      Date.parse(floatingToUtc(newest, 'America/Los_Angeles') as string) + 7 * 86_400_000,
    );
    const again = await pass(
      socrataSource(laSpec, { now: () => then }),
      config({ pageSize: 100 }),
      undefined,
      new Date('2019-01-01T00:00:00Z'),
      '2nrs-mtv8',
    );
    const s2 = again.msgs.find((m) => m.kind === 'status');
    expect(s2?.kind === 'status' && s2.status.stale).toBe(false);
  });
});

describe('socrataSource: faults on the third page', () => {
  const faults: [string, PortalFault][] = [
    ['429 with Retry-After', { kind: 'rate-limit', retryAfter: '0' }],
    ['503', { kind: 'unavailable' }],
    ['slow response (timeout)', { kind: 'slow', delayMs: 1000 }],
    ['slow body (timeout)', { kind: 'slow', delayMs: 1000, phase: 'body' }],
    ['truncated JSON', { kind: 'truncated' }],
    ['connection reset', { kind: 'reset' }],
    ['HTML error page (200)', { kind: 'html' }],
    ['HTML error page (502)', { kind: 'html', status: 502 }],
    ['repeated (stale) page', { kind: 'duplicate-page' }],
  ];
  it.each(faults)('%s: retried, no row lost or doubled, cursor never skips', async (_name, fault) => {
    portal.inject(fault, { match: nthPage(3) });
    const p = await pass(chicago(), config(), undefined, new Date('2015-01-01T00:00:00Z'));
    expect(p.error).toBeUndefined();
    expect(p.ids).toHaveLength(allChicagoIds.size);
    expect(new Set(p.ids)).toEqual(allChicagoIds);
    expect(pageRequests().filter((r) => r.fault === fault.kind)).toHaveLength(1);
    expect(pageRequests()).toHaveLength(7);
    expectStatesNeverSkip(p);
  });

  it('gives up with a transient error after retries, keeps the cursor at the last good page, and resumes', async () => {
    portal.inject(
      { kind: 'truncated' },
      {
        match: (r) => r.datasetId === 'ijzp-q8t2' && r.params.$order === ORDER && pageRequests().length > 3,
        times: 100,
      },
    );
    const first = await pass(
      chicago(),
      config({ maxRetries: 2 }),
      undefined,
      new Date('2015-01-01T00:00:00Z'),
    );
    expect(first.error).toBeInstanceOf(SourceError);
    expect((first.error as SourceError).code).toBe('CP_ERR_SOURCE_BAD_RESPONSE');
    expect((first.error as SourceError).kind).toBe('transient');
    expect(first.ids).toHaveLength(3 * PAGE);
    expect(first.states).toHaveLength(3);
    expectStatesNeverSkip(first);
    // The failed pass's last state carries no ETag: a later 304 must not hide the rows it did not read.
    expect(first.last?.etag).toBeNull();

    portal.reset();
    const second = await pass(chicago(), config(), first.last);
    expect(second.error).toBeUndefined();
    expect(new Set([...first.ids, ...second.ids])).toEqual(allChicagoIds);
    expectStatesNeverSkip(second, chicagoRows, new Set(first.ids));
    // Overlap is only the stored cursor's tie group (>= on purpose), never more than the rows re-read.
    const overlap = second.ids.filter((id) => first.ids.includes(id));
    const tie = chicagoRows.filter((r) => r.updated_on === first.last?.cursor).map(chicagoId);
    expect(overlap.every((id) => tie.includes(id))).toBe(true);
  });
});

describe('socrataSource: incremental passes', () => {
  it('answers an unchanged dataset with 304 and reads only new rows after an upstream append', async () => {
    const src = chicago();
    const full = await pass(src, config(), undefined, new Date('2015-01-01T00:00:00Z'));
    portal.reset();
    const same = await pass(src, config(), full.last);
    expect(portal.requests).toHaveLength(1);
    expect(portal.requests[0]?.status).toBe(304);
    expect(portal.requests[0]?.headers['if-none-match']).toBe(full.last?.etag);
    expect(same.ids).toEqual([]);
    expect(same.msgs.map((m) => m.kind)).toEqual(['status']);

    const added = chicagoRows
      .slice(0, 5)
      .map((r, i) => ({ ...r, id: String(20_000_000 + i), updated_on: '2015-02-16T08:00:00.000' }));
    portal.appendRows('ijzp-q8t2', added);
    portal.reset();
    const next = await pass(src, config(), full.last);
    const newIds = added.map(chicagoId);
    expect(next.ids.filter((id) => newIds.includes(id))).toEqual(newIds);
    const tie = chicagoRows.filter((r) => r.updated_on === full.last?.cursor).map(chicagoId);
    expect(next.ids.filter((id) => !newIds.includes(id)).every((id) => tie.includes(id))).toBe(true);
    expect(next.last?.cursor).toBe('2015-02-16T08:00:00.000');
    portal.dataset('ijzp-q8t2').rows.splice(-5);
  });

  it('turns --since into the portal’s local floating time and a stored cursor into a >= query', async () => {
    await pass(chicago(), config(), undefined, new Date('2015-02-10T00:00:00Z'));
    expect(pageRequests()[0]?.params.$where).toBe("updated_on >= '2015-02-09T18:00:00.000'");
    portal.reset();
    const la = socrataSource(laSpec, { now: () => new Date('2021-01-01T00:00:00Z') });
    await pass(
      la,
      config(),
      { cursor: '2020-06-20T00:00:00.000', key: '201300000', etag: null, lastModified: null, newest: null },
      undefined,
      '2nrs-mtv8',
    );
    // LA re-reads 14 days before its cursor: its batches can carry older report dates.
    const laPage = portal.requests.find((r) => r.params.$order === 'date_rptd,dr_no');
    expect(laPage?.params.$where).toBe("date_rptd >= '2020-06-06T00:00:00.000'");
  });

  it('sends the app token as a header, never in the URL', async () => {
    await pass(chicago(), config({ appToken: 'tok-123456' }), undefined, new Date('2015-02-14T00:00:00Z'));
    expect(portal.requests.length).toBeGreaterThan(0);
    for (const r of portal.requests) {
      expect(r.headers['x-app-token']).toBe('tok-123456');
      expect(JSON.stringify(r.params)).not.toContain('tok-123456');
    }
  });
});

describe('socrataSource: schema drift and bad rows', () => {
  it('stops with CP_ERR_SOURCE_SCHEMA_DRIFT when the cursor column is renamed upstream', async () => {
    portal.renameColumn('ijzp-q8t2', 'updated_on', 'updated_at');
    try {
      const p = await pass(chicago(), config(), undefined, new Date('2015-01-01T00:00:00Z'));
      expect((p.error as SourceError).code).toBe('CP_ERR_SOURCE_SCHEMA_DRIFT');
      expect((p.error as SourceError).kind).toBe('config');
      expect(p.ids).toEqual([]);
      expect(p.states).toEqual([]);
    } finally {
      portal.renameColumn('ijzp-q8t2', 'updated_at', 'updated_on');
    }
  });

  it('stops mid-pass before emitting a page whose required column disappeared; the cursor stays', async () => {
    const src = chicago();
    const msgs: SourceMessage[] = [];
    let error: unknown;
    let states = 0;
    try {
      for await (const m of src.read(config(), {
        state: undefined,
        since: new Date('2015-01-01T00:00:00Z'),
        signal: AbortSignal.timeout(20_000),
        log: silentLogger,
      })) {
        msgs.push(m);
        if (m.kind === 'state' && ++states === 2)
          portal.renameColumn('ijzp-q8t2', 'primary_type', 'primary_type_text');
      }
    } catch (err) {
      error = err;
    } finally {
      portal.renameColumn('ijzp-q8t2', 'primary_type_text', 'primary_type');
    }
    expect((error as SourceError).code).toBe('CP_ERR_SOURCE_SCHEMA_DRIFT');
    expect((error as SourceError).details?.missing).toEqual(['primary_type']);
    expect(msgs.filter((m) => m.kind === 'record')).toHaveLength(2 * PAGE);
    expect(msgs.at(-1)).toMatchObject({ kind: 'log', level: 'error' });
    const last = msgs.filter((m) => m.kind === 'state').at(-1);
    expect(last?.kind === 'state' && last.cursor.etag).toBeNull();
  });

  it('dead-letters rows the normaliser cannot read and still covers them with the cursor', async () => {
    const rows = portal.dataset('ijzp-q8t2').rows;
    const broken = [rows[3], rows[50], rows[120]] as RawRow[];
    const saved = broken.map((r) => r.date);
    for (const r of broken) r.date = 'not a date';
    try {
      const p = await pass(chicago(), config(), undefined, new Date('2015-01-01T00:00:00Z'));
      expect(p.error).toBeUndefined();
      const rejects = p.msgs.filter((m) => m.kind === 'reject');
      expect(rejects.map((m) => m.kind === 'reject' && chicagoId(m.payload as RawRow)).sort()).toEqual(
        broken.map(chicagoId).sort(),
      );
      expect(rejects.every((m) => m.kind === 'reject' && m.source === 'chicago' && m.reason.length > 0)).toBe(
        true,
      );
      expect(p.ids.length + rejects.length).toBe(allChicagoIds.size);
      expectStatesNeverSkip(p);
    } finally {
      broken.forEach((r, i) => {
        r.date = saved[i];
      });
    }
  });
});

describe('socrataSource: check()', () => {
  it('is ok when the portal answers and not ok on an HTML page or a closed port', async () => {
    const src = chicago();
    expect(await src.check(config(), AbortSignal.timeout(2000))).toMatchObject({ ok: true });
    expect(portal.requests[0]?.params.$limit).toBe('1');
    portal.inject({ kind: 'html' });
    expect((await src.check(config(), AbortSignal.timeout(2000))).ok).toBe(false);
    expect((await src.check(config({ url: 'http://127.0.0.1:9' }), AbortSignal.timeout(2000))).ok).toBe(
      false,
    );
    portal.inject({ kind: 'slow', delayMs: 1000 });
    expect((await src.check(config({ checkTimeoutMs: 100 }), AbortSignal.timeout(2000))).ok).toBe(false);
  });
});

describe('the city sources on their recorded rows', () => {
  const cases: [string, SocrataDatasetSpec, FixtureName, string][] = [
    ['chicago', chicagoSpec, 'chicago', 'ijzp-q8t2'],
    ['nyc-complaints (historic dataset)', nycComplaintsSpec, 'nyc-complaints', 'qgea-i56i'],
    ['nyc-arrests', nycArrestsSpec, 'nyc-arrests', 'uip8-fykc'],
    ['nyc-shootings (historic dataset, :id key)', nycShootingsSpec, 'nyc-shootings', '833y-fsy8'],
    ['la', laSpec, 'la', '2nrs-mtv8'],
  ];
  it.each(cases)(
    '%s: one event per row, no duplicate id, in cursor order',
    async (_n, spec, fixture, datasetId) => {
      const rows = loadSocrataFixture(fixture).rows;
      const src = socrataSource(spec, { now: () => new Date('2026-11-25T00:00:00Z') });
      const p = await pass(
        src,
        config({ datasetId, pageSize: 23 }),
        undefined,
        new Date('2000-01-01T00:00:00Z'),
        datasetId,
      );
      expect(p.error).toBeUndefined();
      expect(p.msgs.filter((m) => m.kind === 'reject')).toEqual([]);
      expect(p.ids).toHaveLength(rows.length);
      expect(new Set(p.ids).size).toBe(rows.length);
      const incidents = p.msgs.flatMap((m) => (m.kind === 'record' ? [m.event.incidentKey] : []));
      expect(new Set(incidents).size).toBe(
        new Set(rows.map((r) => String(r[spec.keyField.startsWith(':') ? 'incident_key' : spec.keyField])))
          .size,
      );
      const cursors = p.states.map((s) => String(s.cursor));
      expect([...cursors].sort()).toEqual(cursors);
      if (spec.keyField === ':id')
        expect(portal.requests.find((r) => r.params.$order?.endsWith(':id'))?.params.$select).toBe(':*,*');
    },
  );
});

describe('floating time helpers', () => {
  it('round-trips across a DST change in the portal zone', () => {
    expect(utcToFloating(new Date('2015-03-08T08:30:00Z'), 'America/Chicago')).toBe(
      '2015-03-08T03:30:00.000',
    );
    expect(floatingToUtc('2015-03-08T03:30:00.000', 'America/Chicago')).toBe('2015-03-08T08:30:00.000Z');
    expect(floatingToUtc('2015-02-08T23:43:40', 'America/Chicago')).toBe('2015-02-09T05:43:40.000Z');
    expect(floatingToUtc('02/08/2015', 'America/Chicago')).toBeUndefined();
  });
});
