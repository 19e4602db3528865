import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CrimeEvent } from '../../../src/core/crime-event.js';
import { laNormaliser } from '../../../src/sources/la/normalise.js';
import type { NormaliseResult } from '../../../src/sources/normalise.js';
import { readRecordedRows } from '../../../src/sources/recorded-file.js';

const ctx = { ingestedAt: '2026-01-01T00:00:00.000Z' };
const FIRST10K = 'samples/la/la_crime_2020_first10000rows.csv.gz';
const SAMPLE874 = 'samples/la/la_crime_2020_sample874_portal_format.csv';
const SODA_JSON = 'test/fixtures/socrata/la.json';

const events = (res: NormaliseResult[]) => res.flatMap((r) => (r.ok ? [r.event] : []));
const byId = (res: NormaliseResult[], id: string) => events(res).find((e) => e.id === id);

describe('laNormaliser on the shipped samples', async () => {
  const first = laNormaliser.normaliseRows(await readRecordedRows(FIRST10K), ctx);
  const sample = laNormaliser.normaliseRows(await readRecordedRows(SAMPLE874), ctx);

  it('accepts all 10,000 + 874 rows (both timestamp formats, mixed row by row) as valid events', () => {
    expect(first).toHaveLength(10000);
    expect(sample).toHaveLength(874);
    expect([...first, ...sample].filter((r) => !r.ok)).toEqual([]);
    for (const e of events([...first, ...sample])) expect(CrimeEvent.safeParse(e).success).toBe(true);
    expect(new Set(events(first).map((e) => e.id)).size).toBe(10000);
  });

  it('LAT/LON 0 → `zero` (13 and 2 rows), no other location problems', () => {
    expect(events(first).filter((e) => e.locationStatus === 'zero')).toHaveLength(13);
    expect(events(sample).filter((e) => e.locationStatus === 'zero')).toHaveLength(2);
    expect(
      events(first).filter((e) => e.locationStatus !== 'zero' && e.locationStatus !== 'ok'),
    ).toHaveLength(0);
  });

  it('golden: 010304468 (spreadsheet format, TIME OCC 2230 PST, padded LOCATION, leading-zero DR_NO)', () => {
    expect(byId(first, 'la:010304468')).toMatchObject({
      sourceKey: '010304468',
      occurredAt: '2020-01-09T06:30:00.000Z',
      timePrecision: 'minute',
      reportedAt: '2020-01-08T08:00:00.000Z',
      category: 'violence',
      subcategory: 'simple-assault',
      sourceCode: '624',
      areaId: 'Southwest',
      area: { division: 'Southwest', divisionCode: '3', reportingDistrict: '0377' },
      attributes: { location: '1100 W 39TH PL', victimAge: 36, moCodes: ['0444', '0913'], arrest: false },
    });
  });

  it('golden: 221008844 at 01:30 on 11/01/2020 (DST overlap → earlier, PDT) and 200516301 at 03:00 (PST)', () => {
    expect(byId(first, 'la:221008844')).toMatchObject({
      occurredAt: '2020-11-01T08:30:00.000Z',
      reportedAt: '2022-05-06T07:00:00.000Z',
      category: 'vehicle-crime',
      areaId: 'West Valley',
      attributes: { location: 'VALJEAN ST', crossStreet: 'VANOWEN AV' },
    });
    expect(byId(first, 'la:200516301')).toMatchObject({
      occurredAt: '2020-11-01T11:00:00.000Z',
      category: 'vehicle-crime',
      subcategory: 'theft-from-vehicle',
      areaId: 'Harbor',
    });
  });

  it('golden: 210705082 (portal format, 23:00 PST → next UTC day, LAT 0 → zero)', () => {
    const e = byId(first, 'la:210705082')!;
    expect(e).toMatchObject({
      occurredAt: '2020-12-14T07:00:00.000Z',
      locationStatus: 'zero',
      areaId: 'Wilshire',
      category: 'vehicle-crime',
    });
    expect(e.lat).toBeUndefined();
  });

  it('golden: 190326475 (sample874, VEHICLE - STOLEN, adult arrest, crime codes 510+998)', () => {
    expect(byId(sample, 'la:190326475')).toMatchObject({
      occurredAt: '2020-03-02T05:30:00.000Z',
      category: 'vehicle-crime',
      areaId: 'Wilshire',
      attributes: { arrest: true, crimeCodes: ['510', '998'] },
    });
  });

  it.skipIf(!existsSync(SODA_JSON))(
    'SODA JSON rows (test/fixtures/socrata/la.json) give the same events as the CSV rows',
    async () => {
      const csv = new Map(events([...first, ...sample]).map((e) => [e.id, e]));
      const res = laNormaliser.normaliseRows(await readRecordedRows(SODA_JSON), ctx);
      expect(res.length).toBeGreaterThan(50);
      for (const r of res) {
        expect(r.ok).toBe(true);
        if (r.ok) expect(r.event).toEqual(csv.get(r.event.id));
      }
    },
  );

  it('rejects rows without a key or with an unreadable date/time, never throws', () => {
    const r = laNormaliser.normaliseRows(
      [
        { date_occ: '2020-03-08T00:00:00.000', time_occ: '230' },
        { dr_no: '1', date_occ: '2020-03-08T00:00:00.000', time_occ: '230', crm_cd: '946' },
        { dr_no: '2', date_occ: '2020-02-30T00:00:00.000', time_occ: '1200' },
        { dr_no: '3', date_occ: '03/08/2020 12:00:00 AM', time_occ: '2560' },
        { dr_no: '4', date_occ: '03/08/2020 12:00:00 AM' },
        { dr_no: '5', date_occ: { weird: true }, time_occ: 5 },
      ],
      ctx,
    );
    expect(r[0]).toMatchObject({ ok: false, reason: 'missing dr_no' });
    // 02:30 on 2020-03-08 does not exist in LA: the transition instant 03:00 PDT = 10:00Z.
    expect(r[1]).toMatchObject({
      ok: true,
      event: {
        occurredAt: '2020-03-08T10:00:00.000Z',
        category: 'other',
        subcategory: 'other-miscellaneous',
      },
    });
    expect(r[2]).toMatchObject({ ok: false, reason: expect.stringContaining('invalid date') });
    expect(r[3]).toMatchObject({ ok: false, reason: expect.stringContaining('unparseable time') });
    expect(r[4]).toMatchObject({
      ok: true,
      event: {
        timePrecision: 'day',
        timeFlags: ['placeholder-time'],
        occurredAt: '2020-03-08T08:00:00.000Z',
      },
    });
    expect(r[5]).toMatchObject({ ok: false, reason: 'date_occ/time_occ: missing date' });
  });
});
