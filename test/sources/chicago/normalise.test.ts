import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CrimeEvent } from '../../../src/core/crime-event.js';
import { chicagoNormaliser } from '../../../src/sources/chicago/normalise.js';
import type { NormaliseResult, RawRow } from '../../../src/sources/normalise.js';
import { readRecordedRows } from '../../../src/sources/recorded-file.js';

const ctx = { ingestedAt: '2026-01-01T00:00:00.000Z' };
const SAMPLE = 'samples/chicago/chicago_crimes_2015-01-23_to_2015-02-08.csv.gz';
const API_FIXTURE = 'test/fixtures/chicago/chicago_soda_api_fields_first300.csv';
const SODA_JSON = 'test/fixtures/socrata/chicago.json';

const events = (res: NormaliseResult[]) => res.flatMap((r) => (r.ok ? [r.event] : []));
const byId = (res: NormaliseResult[], id: string) => events(res).find((e) => e.id === id);

const sample = readRecordedRows(SAMPLE).then((rows) => ({
  rows,
  res: chicagoNormaliser.normaliseRows(rows, ctx),
}));

describe('chicagoNormaliser on the shipped CSV export (9,999 rows)', async () => {
  const { rows, res } = await sample;

  it('accepts every row, one result per row, all valid CrimeEvents', () => {
    expect(rows).toHaveLength(9999);
    expect(res).toHaveLength(9999);
    expect(res.filter((r) => !r.ok)).toEqual([]);
    for (const e of events(res)) expect(CrimeEvent.safeParse(e).success).toBe(true);
    expect(new Set(events(res).map((e) => e.id)).size).toBe(9999);
  });

  it('golden: 9955810 (first line: 02/08/2015 11:43:40 PM, NARCOTICS 1811, community area 46)', () => {
    const e = byId(res, 'chicago:9955810')!;
    expect(e).toMatchObject({
      sourceKey: '9955810',
      incidentKey: '9955810',
      occurredAt: '2015-02-09T05:43:40.000Z', // CST = UTC-6
      timePrecision: 'minute',
      timeFlags: [],
      updatedAt: '2015-02-15T18:43:39.000Z',
      category: 'drugs',
      sourceType: 'NARCOTICS',
      sourceCode: '1811',
      areaId: '46',
      area: { district: '004', beat: '0422', ward: '7', communityArea: '46' },
      lat: 41.747693646,
      lon: -87.549035389,
      locationStatus: 'ok',
    });
    expect(e.attributes).toMatchObject({
      arrest: true,
      domestic: false,
      caseNumber: 'HY144797',
      fbiCode: '18',
    });
  });

  it('golden: 9955861 (DOMESTIC BATTERY SIMPLE 0486/08B, domestic, community area 53)', () => {
    const e = byId(res, 'chicago:9955861')!;
    expect(e).toMatchObject({
      occurredAt: '2015-02-09T05:41:42.000Z',
      category: 'violence',
      subcategory: 'simple-battery',
      areaId: '53',
    });
    expect(e.attributes).toMatchObject({ arrest: true, domestic: true });
  });

  it('keeps the 162 rows without coordinates as `missing`, and no midnight placeholders exist in this export', () => {
    const ev = events(res);
    expect(ev.filter((e) => e.locationStatus === 'missing')).toHaveLength(162);
    expect(ev.filter((e) => e.locationStatus === 'ok')).toHaveLength(9837);
    expect(ev.every((e) => e.timePrecision === 'minute')).toBe(true);
  });
});

describe('chicagoNormaliser on SODA API field rows (pandas-flattened API extract, no id)', async () => {
  const rows = await readRecordedRows(API_FIXTURE);
  const res = chicagoNormaliser.normaliseRows(rows, ctx);

  it('accepts all 300 rows, keyed by case_number, areaId unknown (no community_area column)', () => {
    expect(res).toHaveLength(300);
    expect(res.every((r) => r.ok)).toBe(true);
    expect(events(res).every((e) => e.areaId === 'unknown' && e.sourceKey === e.attributes.caseNumber)).toBe(
      true,
    );
  });

  it('lowers exact midnight and 00:01 to day precision with the placeholder flag (79 + 77 rows of this slice)', () => {
    const ph = events(res).filter((e) => e.timeFlags.includes('placeholder-time'));
    expect(ph).toHaveLength(156);
    expect(ph.every((e) => e.timePrecision === 'day' && e.occurredAt === '2012-01-01T06:00:00.000Z')).toBe(
      true,
    );
  });

  it('golden: JC225381 (midnight placeholder, no location) and HV100307 (02:00, dict-repr location, Python booleans)', () => {
    expect(byId(res, 'chicago:JC225381')).toMatchObject({
      occurredAt: '2012-01-01T06:00:00.000Z',
      timePrecision: 'day',
      timeFlags: ['placeholder-time'],
      category: 'violence',
      locationStatus: 'missing',
    });
    const e = byId(res, 'chicago:HV100307')!;
    expect(e).toMatchObject({
      occurredAt: '2012-01-01T08:00:00.000Z',
      timePrecision: 'minute',
      category: 'violence',
      subcategory: 'simple-battery',
      lat: 41.785848109,
      lon: -87.607582382,
      locationStatus: 'ok',
    });
    expect(e.attributes).toMatchObject({ domestic: true, arrest: false });
  });
});

describe('chicagoNormaliser on SODA JSON', () => {
  it.skipIf(!existsSync(SODA_JSON))(
    'gives the same events for JSON rows as for the CSV export (test/fixtures/socrata/chicago.json)',
    async () => {
      const csv = new Map(events((await sample).res).map((e) => [e.id, e]));
      const json = chicagoNormaliser.normaliseRows(await readRecordedRows(SODA_JSON), ctx);
      expect(json.length).toBeGreaterThan(50);
      for (const r of json) {
        expect(r.ok).toBe(true);
        if (r.ok) expect(r.event).toEqual(csv.get(r.event.id));
      }
    },
  );

  it('handles a DST overlap and gap, JSON booleans, GeoJSON location and absent fields', () => {
    const rows: RawRow[] = [
      // 2015-11-01 01:30 happens twice in Chicago: the earlier (CDT) instant is used.
      {
        id: '1',
        date: '2015-11-01T01:30:00.000',
        primary_type: 'THEFT',
        iucr: '0820',
        fbi_code: '06',
        arrest: false,
        domestic: true,
        community_area: '08',
        location: { type: 'Point', coordinates: [-87.63, 41.88] },
      },
      // 2015-03-08 02:30 does not exist: the transition instant (03:00 CDT).
      {
        id: '2',
        date: '2015-03-08T02:30:00.000',
        primary_type: 'ROBBERY',
        iucr: '031A',
        updated_on: '2015-07-01T12:00:00.000',
      },
      { id: '3', date: '2015-03-08T00:01:00.000', primary_type: 'NO SUCH TYPE', fbi_code: '26' },
      { case_number: 'X1', date: 'not a date' },
      { date: '2015-03-08T00:01:00.000' },
    ];
    const res = chicagoNormaliser.normaliseRows(rows, ctx);
    expect(res[0]).toMatchObject({
      ok: true,
      event: {
        occurredAt: '2015-11-01T06:30:00.000Z',
        areaId: '8',
        lat: 41.88,
        lon: -87.63,
        category: 'theft',
        attributes: { arrest: false, domestic: true },
      },
    });
    expect(res[1]).toMatchObject({
      ok: true,
      event: {
        occurredAt: '2015-03-08T08:00:00.000Z',
        updatedAt: '2015-07-01T17:00:00.000Z',
        areaId: 'unknown',
        locationStatus: 'missing',
        category: 'robbery',
      },
    });
    expect(res[2]).toMatchObject({
      ok: true,
      event: {
        category: 'other',
        subcategory: 'unmapped',
        timePrecision: 'day',
        timeFlags: ['placeholder-time'],
        occurredAt: '2015-03-08T06:00:00.000Z',
      },
    });
    expect(res[3]).toMatchObject({ ok: false, reason: expect.stringContaining('unparseable date') });
    expect(res[4]).toMatchObject({ ok: false, reason: 'missing id and case_number' });
  });
});
