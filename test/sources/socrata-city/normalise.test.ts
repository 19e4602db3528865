/**
 * The config-driven Socrata city, proved with San Francisco (samples/sf, DataSF wg3w-h783, December
 * 2018, 11,884 rows; see its PROVENANCE.md) and with a made-up city whose mapping file is written here.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CrimeEvent } from '../../../src/core/crime-event.js';
import { ConfigError } from '../../../src/core/errors.js';
import { taxonomyReportRows } from '../../../src/core/taxonomy/mapping.js';
import type { RawRow, RowNormaliser } from '../../../src/sources/normalise.js';
import { readRecordedRows } from '../../../src/sources/recorded-file.js';
import {
  type LoadedSocrataCity,
  loadSocrataCityMappings,
  parseSocrataCityMapping,
} from '../../../src/sources/socrata-city/index.js';

const ctx = { ingestedAt: '2026-11-25T12:00:00.000Z' };
let sf: LoadedSocrataCity;
let rows: RawRow[];
let events: CrimeEvent[];
let tmp: string;

function normalise(n: RowNormaliser, input: RawRow[]): CrimeEvent[] {
  return n.normaliseRows(input, ctx).map((r) => {
    if (!r.ok) throw new Error(`rejected: ${r.reason}`);
    return r.event;
  });
}

beforeAll(async () => {
  const all = await loadSocrataCityMappings('sources');
  sf = all.find((c) => c.mapping.source === 'socrata-sf') as LoadedSocrataCity;
  rows = await readRecordedRows('samples/sf/sf_police_incidents_2018-12.csv.gz');
  events = normalise(sf.normaliser, rows);
  tmp = await mkdtemp(join(tmpdir(), 'crimepulse-socrata-city-'));
});

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('sources/socrata-sf.json on the SF sample', () => {
  it('loads from sources/ and gives the generic connector a dataset spec', () => {
    expect(sf.file).toBe(join('sources', 'socrata-sf.json'));
    expect(sf.spec).toMatchObject({
      id: 'socrata-sf',
      datasetId: 'wg3w-h783',
      defaultBaseUrl: 'https://data.sfgov.org',
      timeZone: 'America/Los_Angeles',
      cursorField: 'report_datetime',
      keyField: 'row_id',
      keyType: 'number',
      freshnessField: 'incident_datetime',
      expectedLagMs: 3 * 86_400_000,
      lookbackMs: 7 * 86_400_000,
    });
    expect(sf.spec.requiredFields).toEqual([
      'row_id',
      'incident_datetime',
      'incident_category',
      'report_datetime',
    ]);
    expect(sf.spec.normaliser).toBe(sf.normaliser);
    expect(sf.source.id).toBe('socrata-sf');
    expect(sf.samples('samples')).toEqual([
      { path: join('samples', 'sf', 'sf_police_incidents_2018-12.csv.gz') },
    ]);
    expect(existsSync(sf.samples('samples')[0]?.path as string)).toBe(true);
  });

  it('normalises all 11,884 rows: unique ids by Row ID, 9,749 incidents by Incident ID', () => {
    expect(rows).toHaveLength(11_884);
    expect(events).toHaveLength(11_884);
    expect(new Set(events.map((e) => e.id)).size).toBe(11_884);
    // PROVENANCE: Incident ID repeats 2,135 times (one row per incident code).
    expect(new Set(events.map((e) => e.incidentKey)).size).toBe(11_884 - 2_135);
  });

  it('maps >= 99% of rows through the category table (measured: 100%, none unmapped)', () => {
    const report = taxonomyReportRows('socrata-sf', events);
    const inTable = (report.total - report.unmapped) / report.total;
    expect(inTable).toBeGreaterThanOrEqual(0.99);
    expect(report.unmapped).toBe(0);
    // Rows with a real crime category: 7,977 (67.1%); the rest are deliberate `other` (non-criminal,
    // lost property, warrants, ...).
    expect(report.mapped).toBe(7_977);
    expect(report.deliberateOther).toBe(3_907);
  });

  it('608 rows without coordinates are `missing`; every other point is inside San Francisco', () => {
    const byStatus = new Map<string, number>();
    for (const e of events) byStatus.set(e.locationStatus, (byStatus.get(e.locationStatus) ?? 0) + 1);
    expect(Object.fromEntries(byStatus)).toEqual({ ok: 11_884 - 608, missing: 608 });
    expect(
      events
        .filter((e) => e.locationStatus === 'missing')
        .every((e) => e.lat === undefined && e.lon === undefined),
    ).toBe(true);
  });

  it('every occurrence is a minute-precision instant in December 2018, Pacific time', () => {
    for (const e of events) {
      expect(e.timePrecision).toBe('minute');
      expect(e.occurredAt >= '2018-12-01T08:00:00.000Z' && e.occurredAt < '2019-01-01T08:00:00.000Z').toBe(
        true,
      );
    }
  });

  it('golden: row 0 (checked by hand: 12:25 AM PST = 08:25 UTC)', () => {
    expect(events[0]).toEqual({
      id: 'socrata-sf:74339603074',
      source: 'socrata-sf',
      sourceKey: '74339603074',
      incidentKey: '743396',
      occurredAt: '2018-12-01T08:25:00.000Z',
      timeZone: 'America/Los_Angeles',
      timePrecision: 'minute',
      timeFlags: [],
      reportedAt: '2018-12-01T08:28:00.000Z',
      ingestedAt: ctx.ingestedAt,
      category: 'robbery',
      subcategory: 'robbery',
      sourceType: 'Robbery',
      sourceCode: '03074',
      lat: 37.73355034231799,
      lon: -122.43414453855247,
      locationStatus: 'ok',
      areaId: 'Ingleside',
      area: { policeDistrict: 'Ingleside', analysisNeighborhood: 'Glen Park', supervisorDistrict: '8' },
      attributes: {
        incident_date: '2018/12/01',
        incident_time: '00:25',
        incident_year: '2018',
        incident_day_of_week: 'Saturday',
        incident_number: '180906213',
        cad_number: '183350077',
        report_type_code: 'II',
        report_type_description: 'Initial',
        incident_description: 'Robbery, W/ Force',
        resolution: 'Cite or Arrest Adult',
        intersection: 'BOSWORTH ST \\ DIAMOND ST',
        cnn: '21940000',
      },
    });
    // Row 1 is the same incident's second code.
    expect(events[1]).toMatchObject({
      incidentKey: '743396',
      category: 'violence',
      sourceType: 'Offences Against The Family And Children',
    });
  });

  it('golden: row 46 (12:11 PM = 20:11 UTC) and row 141 (no coordinates, Out of SF)', () => {
    expect(events[46]).toMatchObject({
      sourceKey: '74359171012',
      occurredAt: '2018-12-01T20:11:00.000Z',
      category: 'other',
      subcategory: 'other-offenses',
      sourceCode: '71012',
      areaId: 'Richmond',
      area: { policeDistrict: 'Richmond', analysisNeighborhood: 'Inner Richmond', supervisorDistrict: '1' },
      lat: 37.779186711053285,
    });
    expect(events[141]).toMatchObject({
      sourceKey: '74365707041',
      occurredAt: '2018-12-02T01:19:00.000Z',
      reportedAt: '2018-12-02T01:25:00.000Z',
      category: 'other',
      subcategory: 'recovered-vehicle',
      locationStatus: 'missing',
      areaId: 'Out of SF',
      area: { policeDistrict: 'Out of SF' },
    });
  });

  it('reads SODA JSON rows (ISO floating timestamps, GeoJSON point) the same as CSV rows', () => {
    const r = rows[0] as RawRow;
    const soda: RawRow = {
      ...r,
      incident_datetime: '2018-12-01T00:25:00.000',
      report_datetime: '2018-12-01T00:28:00.000',
      latitude: undefined,
      longitude: undefined,
      point: { type: 'Point', coordinates: [-122.43414453855247, 37.73355034231799] },
      ':@computed_region_jwn9_ihcz': '22',
    };
    const [e] = normalise(sf.normaliser, [soda]);
    expect(e).toMatchObject({
      occurredAt: events[0]?.occurredAt,
      reportedAt: events[0]?.reportedAt,
      lat: events[0]?.lat,
      lon: events[0]?.lon,
    });
    expect(e?.attributes).not.toHaveProperty(':@computed_region_jwn9_ihcz');
  });

  it('rejects a row without its key and sends an unknown type to other/unmapped', () => {
    const r = rows[0] as RawRow;
    const res = sf.normaliser.normaliseRows(
      [
        { ...r, row_id: '' },
        { ...r, incident_category: 'Space Piracy' },
        { ...r, incident_datetime: 'soon' },
      ],
      ctx,
    );
    expect(res[0]).toMatchObject({ ok: false, reason: 'missing key row_id' });
    expect(res[1]).toMatchObject({
      ok: true,
      event: { category: 'other', subcategory: 'unmapped', sourceType: 'Space Piracy' },
    });
    expect(res[2]).toMatchObject({ ok: false });
  });
});

describe('a new city is a new mapping file, no code', () => {
  // "Gotham": the SF rows with every column renamed, the date and time in separate columns, the
  // type upper-cased, coordinates only as a "(lat, lon)" string, and midnight declared a placeholder.
  const RENAME: Record<string, string> = {
    row_id: 'record_no',
    incident_id: 'case_no',
    incident_date: 'occ_date',
    incident_time: 'occ_time',
    report_datetime: 'filed_at',
    incident_category: 'offense',
    incident_subcategory: 'offense_detail',
    incident_code: 'ucr',
    police_district: 'precinct',
    analysis_neighborhood: 'hood',
    point: 'geo',
  };
  const gothamMapping = {
    source: 'socrata-gotham',
    description: 'Gotham City Police incidents (made up from SF rows for this test)',
    baseUrl: 'https://data.gotham.example',
    dataset: 'gthm-0001',
    timeZone: 'America/Los_Angeles',
    expectedLag: 'P1D',
    cursor: { field: 'filed_at' },
    fields: {
      key: 'record_no',
      incidentKey: 'case_no',
      occurred: { date: 'occ_date', time: 'occ_time' },
      reported: 'filed_at',
      location: ['geo'],
      areaId: 'precinct',
      area: { precinct: 'precinct', neighborhood: 'hood' },
      type: 'offense',
      subtype: 'offense_detail',
      code: 'ucr',
    },
    datetimeFormats: ['yyyy/MM/dd hh:mm:ss a', 'yyyy/MM/dd'],
    placeholderTimes: ['00:00'],
    categories: {} as Record<string, unknown>,
    bbox: { minLat: 37.6, maxLat: 37.84, minLon: -122.54, maxLon: -122.34 },
  };

  it('normalises the renamed rows like SF, from files written here', async () => {
    const sfJson = JSON.parse(await readFile('sources/socrata-sf.json', 'utf8')) as {
      categories: Record<string, unknown>;
    };
    gothamMapping.categories = sfJson.categories;
    await writeFile(join(tmp, 'socrata-gotham.json'), JSON.stringify(gothamMapping, null, 2));
    await writeFile(join(tmp, 'README.txt'), 'not a mapping: ignored');
    const gothamRows = rows.map((r) => {
      const out: RawRow = {};
      for (const [k, v] of Object.entries(r)) {
        if (k === 'latitude' || k === 'longitude' || k === 'incident_datetime') continue;
        out[RENAME[k] ?? k] = k === 'incident_category' ? String(v).toUpperCase() : v;
      }
      return out;
    });
    await writeFile(join(tmp, 'gotham-rows.json'), JSON.stringify(gothamRows));

    const loaded = await loadSocrataCityMappings(tmp);
    expect(loaded.map((c) => c.mapping.source)).toEqual(['socrata-gotham']);
    const gotham = normalise(
      (loaded[0] as LoadedSocrataCity).normaliser,
      await readRecordedRows(join(tmp, 'gotham-rows.json')),
    );

    expect(gotham).toHaveLength(events.length);
    let midnight = 0;
    gotham.forEach((g, i) => {
      const s = events[i] as CrimeEvent;
      expect(g.id).toBe(`socrata-gotham:${s.sourceKey}`);
      expect(g.incidentKey).toBe(s.incidentKey);
      expect([g.category, g.subcategory, g.sourceCode, g.locationStatus, g.lat, g.lon, g.reportedAt]).toEqual(
        [s.category, s.subcategory, s.sourceCode, s.locationStatus, s.lat, s.lon, s.reportedAt],
      );
      expect(g.sourceType).toBe(s.sourceType.toUpperCase());
      expect(g.area).toEqual({
        precinct: s.area.policeDistrict,
        ...(s.area.analysisNeighborhood ? { neighborhood: s.area.analysisNeighborhood } : {}),
      });
      if (g.timePrecision === 'day') {
        // Declared placeholder: local midnight with the flag, same local day as SF's exact 00:00.
        midnight++;
        expect(g.timeFlags).toEqual(['placeholder-time']);
        expect(g.occurredAt).toBe(s.occurredAt);
      } else expect(g.occurredAt).toBe(s.occurredAt);
    });
    expect(midnight).toBe(281);
  });

  it('refuses a broken mapping with the file and key named', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'crimepulse-socrata-bad-'));
    try {
      await writeFile(
        join(dir, 'socrata-bad.json'),
        JSON.stringify({ ...gothamMapping, source: 'socrata-bad', timeZone: 'Mars/Olympus' }),
      );
      await expect(loadSocrataCityMappings(dir)).rejects.toThrow(
        /socrata-bad\.json: timeZone: not an IANA time zone/,
      );
      await writeFile(join(dir, 'socrata-bad.json'), JSON.stringify(gothamMapping));
      await expect(loadSocrataCityMappings(dir)).rejects.toThrow(/must match the file name/);
      await writeFile(join(dir, 'socrata-bad.json'), '{ nope');
      await expect(loadSocrataCityMappings(dir)).rejects.toBeInstanceOf(ConfigError);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('validates categories and durations', () => {
    expect(() =>
      parseSocrataCityMapping({ ...gothamMapping, categories: { X: 'mayhem' } }, 'f.json'),
    ).toThrow(/categories\.X/);
    expect(() => parseSocrataCityMapping({ ...gothamMapping, expectedLag: '2 days' }, 'f.json')).toThrow(
      /expectedLag/,
    );
    const ok = parseSocrataCityMapping({ ...gothamMapping, categories: { X: 'drugs' } }, 'f.json');
    expect(ok.categories.X).toEqual({ category: 'drugs' });
    expect(ok.expectedLag).toBe(86_400_000);
  });
});
