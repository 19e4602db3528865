import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CrimeEvent } from '../../../src/core/crime-event.js';
import type { NormaliseResult, RowNormaliser } from '../../../src/sources/normalise.js';
import {
  nycArrestsNormaliser,
  nycComplaintsNormaliser,
  nycShootingsNormaliser,
} from '../../../src/sources/nyc/normalise.js';
import { readRecordedRows } from '../../../src/sources/recorded-file.js';

const ctx = { ingestedAt: '2026-01-01T00:00:00.000Z' };
const COMPLAINTS = 'samples/nyc/nypd_complaints_historic_cmplnt_fr_dt_2010-01-01.csv';
const ARRESTS = 'samples/nyc/nypd_arrests_ytd_2021-01_to_2021-09_queens.csv.gz';
const SHOOTINGS = 'samples/nyc/nypd_shooting_incidents_historic_2006-01_to_2019-09.csv.gz';

const events = (res: NormaliseResult[]) => res.flatMap((r) => (r.ok ? [r.event] : []));
const byId = (res: NormaliseResult[], id: string) => events(res).find((e) => e.id === id);

/** Each sample is read and normalised once per file run, however many suites use it. */
const memo = new Map<string, Promise<NormaliseResult[]>>();
function load(path: string, n: RowNormaliser): Promise<NormaliseResult[]> {
  const key = `${n.source}:${path}`;
  if (!memo.has(key))
    memo.set(
      key,
      readRecordedRows(path).then((rows) => n.normaliseRows(rows, ctx)),
    );
  return memo.get(key)!;
}

function allValid(res: NormaliseResult[]) {
  for (const e of events(res)) {
    const p = CrimeEvent.safeParse(e);
    if (!p.success) throw new Error(`${e.id}: ${p.error.message}`);
  }
}

describe('nycComplaintsNormaliser (historic export, BOM, 2,444 rows of 2010-01-01)', async () => {
  const res = await load(COMPLAINTS, nycComplaintsNormaliser);

  it('accepts every row with valid, unique events', () => {
    expect(res).toHaveLength(2444);
    expect(res.filter((r) => !r.ok)).toEqual([]);
    allValid(res);
    expect(new Set(events(res).map((e) => e.id)).size).toBe(2444);
  });

  it('golden: 692499668 (17:30 EST, precinct 107, thousands-separated X/Y, rpt_dt same day)', () => {
    const e = byId(res, 'nyc-complaints:692499668')!;
    expect(e).toMatchObject({
      occurredAt: '2010-01-01T22:30:00.000Z',
      timePrecision: 'minute',
      reportedAt: '2010-01-01T05:00:00.000Z',
      category: 'criminal-damage',
      sourceType: 'CRIMINAL MISCHIEF & RELATED OF',
      sourceCode: '351',
      areaId: '107',
      area: { precinct: '107', borough: 'QUEENS' },
      locationStatus: 'ok',
    });
    expect(e.attributes).toMatchObject({
      xCoord: 1035836,
      yCoord: 206042,
      lawCategory: 'misdemeanor',
      victimSex: 'F',
    });
    // `NA` placeholder (PARKS_NM) is dropped.
    expect(e.attributes.parkName).toBeUndefined();
  });

  it('golden: 275847676 reported 07/06/2010 (EDT midnight) is aggravated harassment → violence', () => {
    expect(byId(res, 'nyc-complaints:275847676')).toMatchObject({
      occurredAt: '2010-01-01T14:00:00.000Z',
      reportedAt: '2010-07-06T04:00:00.000Z',
      category: 'violence',
      subcategory: 'harassment',
      areaId: '90',
    });
  });

  it('golden: 667979670 at 00:01:00 is a placeholder: day precision at local midnight', () => {
    expect(byId(res, 'nyc-complaints:667979670')).toMatchObject({
      occurredAt: '2010-01-01T05:00:00.000Z',
      timePrecision: 'day',
      timeFlags: ['placeholder-time'],
      category: 'theft',
      areaId: '45',
    });
  });

  it('lowers 00:00/00:01/empty times to day precision (451 rows) and marks 17 rows without coordinates', () => {
    const ev = events(res);
    expect(ev.filter((e) => e.timeFlags.includes('placeholder-time'))).toHaveLength(451);
    expect(ev.filter((e) => e.locationStatus === 'missing')).toHaveLength(17);
    // The 3 rows with empty BORO_NM have no borough but keep their precinct.
    expect(byId(res, 'nyc-complaints:980609903')!.area).toEqual({ precinct: '81' });
  });
});

describe('nycArrestsNormaliser (Queens 2021, 13,224 rows)', async () => {
  const res = await load(ARRESTS, nycArrestsNormaliser);

  it('accepts every row; all date-only at local midnight', () => {
    expect(res).toHaveLength(13224);
    expect(res.filter((r) => !r.ok)).toEqual([]);
    allValid(res);
    expect(
      events(res).every(
        (e) => e.timePrecision === 'day' && e.timeFlags.includes('date-only') && e.attributes.arrest === true,
      ),
    ).toBe(true);
  });

  it('golden: 234040747 (09/25/2021 EDT) and 223782194 (01/31/2021 EST)', () => {
    expect(byId(res, 'nyc-arrests:234040747')).toMatchObject({
      occurredAt: '2021-09-25T04:00:00.000Z',
      category: 'violence',
      subcategory: 'felony-assault',
      areaId: '101',
      area: { precinct: '101', borough: 'QUEENS' },
      lat: 40.60344094100003,
    });
    expect(byId(res, 'nyc-arrests:223782194')).toMatchObject({
      occurredAt: '2021-01-31T05:00:00.000Z',
      category: 'violence',
      sourceCode: '344',
      areaId: '107',
      attributes: { lawCategory: 'misdemeanor' },
    });
  });
});

describe('nycShootingsNormaliser (2006–2019, 21,408 victim rows)', async () => {
  const res = await load(SHOOTINGS, nycShootingsNormaliser);

  it('accepts every row; ids unique, 16,862 distinct incidents (4,546 repeated keys)', () => {
    expect(res).toHaveLength(21408);
    expect(res.filter((r) => !r.ok)).toEqual([]);
    allValid(res);
    const ev = events(res);
    expect(new Set(ev.map((e) => e.id)).size).toBe(21408);
    expect(new Set(ev.map((e) => e.incidentKey)).size).toBe(16862);
  });

  it('golden: 67390154 on 11/01/2009 01:30 (DST overlap → earlier, EDT) has two victims -0 and -1', () => {
    const a = byId(res, 'nyc-shootings:67390154-0')!;
    const b = byId(res, 'nyc-shootings:67390154-1')!;
    for (const e of [a, b]) {
      expect(e).toMatchObject({
        incidentKey: '67390154',
        occurredAt: '2009-11-01T05:30:00.000Z',
        areaId: '6',
        category: 'violence',
        timePrecision: 'minute',
      });
    }
    expect(byId(res, 'nyc-shootings:67390154-2')).toBeUndefined();
  });

  it('golden: 44390631 on 03/09/2008 03:27 (just after spring forward, EDT) is a statistical murder', () => {
    expect(byId(res, 'nyc-shootings:44390631-0')).toMatchObject({
      occurredAt: '2008-03-09T07:27:00.000Z',
      subcategory: 'shooting-murder',
      areaId: '73',
      attributes: { statisticalMurder: true },
    });
  });

  it('uses the Socrata row id when the row has one, and occurrence order otherwise', () => {
    const rows = [
      {
        ':id': 'row-abc',
        incident_key: '9',
        occur_date: '2019-07-04T00:00:00.000',
        occur_time: '21:15:00',
        precinct: '75',
        statistical_murder_flag: false,
      },
      {
        incident_key: '9',
        occur_date: '2019-07-04T00:00:00.000',
        occur_time: '21:15:00',
        precinct: '75',
        statistical_murder_flag: true,
      },
      { incident_key: '9', occur_date: '07/04/2019' },
      { occur_date: '07/04/2019' },
    ];
    const r = nycShootingsNormaliser.normaliseRows(rows, ctx);
    expect(r[0]).toMatchObject({
      ok: true,
      event: { sourceKey: 'row-abc', incidentKey: '9', occurredAt: '2019-07-05T01:15:00.000Z' },
    });
    expect(r[1]).toMatchObject({ ok: true, event: { sourceKey: '9-1', subcategory: 'shooting-murder' } });
    expect(r[2]).toMatchObject({
      ok: true,
      event: { sourceKey: '9-2', timePrecision: 'day', timeFlags: ['placeholder-time'] },
    });
    expect(r[3]).toMatchObject({ ok: false, reason: 'missing incident_key' });
  });
});

describe('NYC SODA JSON rows give the same events as the CSV exports', () => {
  const cases: [string, RowNormaliser, string][] = [
    ['test/fixtures/socrata/nyc-complaints.json', nycComplaintsNormaliser, COMPLAINTS],
    ['test/fixtures/socrata/nyc-arrests.json', nycArrestsNormaliser, ARRESTS],
  ];
  for (const [json, n, csvPath] of cases) {
    it.skipIf(!existsSync(json))(`${n.source}: ${json}`, async () => {
      const csv = new Map(events(await load(csvPath, n)).map((e) => [e.id, e]));
      const res = n.normaliseRows(await readRecordedRows(json), ctx);
      expect(res.length).toBeGreaterThan(50);
      for (const r of res) {
        expect(r.ok).toBe(true);
        if (r.ok) expect(r.event).toEqual(csv.get(r.event.id));
      }
    });
  }

  it.skipIf(!existsSync('test/fixtures/socrata/nyc-shootings.json'))(
    'nyc-shootings: JSON victim rows match CSV victim rows apart from the batch-relative key',
    async () => {
      const strip = ({ id: _i, sourceKey: _k, ...rest }: CrimeEvent) => JSON.stringify(rest);
      const csv = new Set(events(await load(SHOOTINGS, nycShootingsNormaliser)).map(strip));
      const res = nycShootingsNormaliser.normaliseRows(
        await readRecordedRows('test/fixtures/socrata/nyc-shootings.json'),
        ctx,
      );
      expect(res.length).toBeGreaterThan(50);
      for (const r of res) {
        expect(r.ok).toBe(true);
        if (r.ok) expect(csv.has(strip(r.event)), r.event.id).toBe(true);
      }
    },
  );

  it('complaints: (null) placeholders, GeoJSON lat_lon, out-of-region and bad rows', () => {
    const r = nycComplaintsNormaliser.normaliseRows(
      [
        {
          cmplnt_num: '1',
          cmplnt_fr_dt: '2019-03-10T00:00:00.000',
          cmplnt_fr_tm: '02:30:00',
          addr_pct_cd: '014',
          ky_cd: '578',
          ofns_desc: 'HARRASSMENT 2',
          vic_race: '(null)',
          boro_nm: '(null)',
          lat_lon: { type: 'Point', coordinates: [-73.99, 40.75] },
        },
        {
          cmplnt_num: '2',
          cmplnt_fr_dt: '2019-03-10T00:00:00.000',
          cmplnt_fr_tm: '(null)',
          latitude: '41.5',
          longitude: '-73.9',
        },
        { cmplnt_num: '3', cmplnt_fr_dt: '1015-01-01T00:00:00.000', cmplnt_fr_tm: '10:00:00' },
        { cmplnt_num: '4' },
        { cmplnt_num: '5', cmplnt_fr_dt: '07/04/2012', cmplnt_fr_tm: '24:00:00', addr_pct_cd: '75' },
        { cmplnt_num: '6', cmplnt_fr_dt: '07/04/2012', cmplnt_fr_tm: '7 pm' },
      ],
      ctx,
    );
    // 02:30 on 2019-03-10 does not exist in New York: the transition instant 03:00 EDT = 07:00Z.
    expect(r[0]).toMatchObject({
      ok: true,
      event: {
        occurredAt: '2019-03-10T07:00:00.000Z',
        areaId: '14',
        area: { precinct: '14' },
        lat: 40.75,
        category: 'violence',
      },
    });
    const first = r[0]!;
    expect(first.ok && first.event.attributes.victimRace).toBeUndefined();
    expect(r[1]).toMatchObject({
      ok: true,
      event: {
        timePrecision: 'day',
        timeFlags: ['placeholder-time'],
        locationStatus: 'out-of-region',
        areaId: 'unknown',
        category: 'other',
        subcategory: 'unmapped',
      },
    });
    expect(r[2]).toMatchObject({ ok: false, reason: expect.stringContaining('implausible date') });
    expect(r[3]).toMatchObject({ ok: false, reason: expect.stringContaining('missing date') });
    expect(r[4]).toMatchObject({
      ok: true,
      event: {
        occurredAt: '2012-07-04T04:00:00.000Z',
        timePrecision: 'day',
        timeFlags: ['placeholder-time'],
        areaId: '75',
      },
    });
    expect(r[5]).toMatchObject({ ok: false, reason: expect.stringContaining("unparseable time '7 pm'") });
    expect(r).toHaveLength(6);
  });
});
