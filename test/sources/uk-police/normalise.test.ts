import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CrimeEvent } from '../../../src/core/crime-event.js';
import type { RawRow } from '../../../src/sources/normalise.js';
import { readRecordedRows } from '../../../src/sources/recorded-file.js';
import { ukMonthStart, ukPoliceNormaliser } from '../../../src/sources/uk-police/normalise.js';

const DIR = 'samples/uk/street_csv';
const ctx = { ingestedAt: '2026-11-25T12:00:00.000Z' };

// From /work/shared/data/real/uk/PROVENANCE.md: rows | empty Crime ID | no location | duplicate Crime IDs
// (the last counts rows beyond the first of each repeated ID).
const PROVENANCE: Record<string, [number, number, number, number]> = {
  '2019-01': [617, 93, 31, 4],
  '2019-02': [688, 93, 29, 0],
  '2019-03': [879, 137, 55, 0],
  '2019-04': [851, 99, 47, 0],
  '2019-05': [711, 75, 47, 0],
  '2019-06': [922, 100, 67, 27],
  '2019-07': [866, 102, 41, 3],
  '2019-08': [901, 109, 81, 15],
  '2019-09': [853, 115, 65, 14],
  '2019-10': [929, 122, 54, 14],
  '2019-11': [933, 113, 80, 13],
  '2019-12': [882, 85, 79, 10],
  '2020-01': [797, 87, 68, 10],
  '2020-02': [763, 85, 54, 10],
  '2020-03': [605, 56, 41, 11],
  '2020-04': [236, 27, 24, 3],
  '2020-05': [226, 51, 19, 6],
  '2020-06': [323, 47, 35, 4],
  '2020-07': [463, 47, 39, 11],
  '2020-08': [506, 58, 53, 14],
  '2020-09': [545, 62, 49, 12],
  '2020-10': [561, 75, 71, 15],
  '2020-11': [496, 84, 56, 5],
};

const files = readdirSync(DIR)
  .filter((f) => f.endsWith('.csv.gz'))
  .sort();
const byMonth = new Map<string, RawRow[]>();

beforeAll(async () => {
  for (const f of files) byMonth.set(f.slice(0, 7), await readRecordedRows(join(DIR, f)));
});

const memo = new Map<RawRow[], CrimeEvent[]>();
/** Events of one month's rows, normalised once per test file (the files are the slow part). */
function monthEvents(month: string): CrimeEvent[] {
  const raw = byMonth.get(month) as RawRow[];
  let evs = memo.get(raw);
  if (!evs) {
    evs = events(raw);
    memo.set(raw, evs);
  }
  return evs;
}

function events(rows: RawRow[]): CrimeEvent[] {
  return ukPoliceNormaliser.normaliseRows(rows, ctx).map((r) => {
    if (!r.ok) throw new Error(`rejected: ${r.reason}`);
    return r.event;
  });
}

describe('ukPoliceNormaliser on the 23 City of London street CSVs', () => {
  it('ships all 23 months', () => {
    expect(files).toHaveLength(23);
    expect(Object.keys(PROVENANCE).sort()).toEqual(files.map((f) => f.slice(0, 7)));
  });

  it.each(Object.entries(PROVENANCE))(
    '%s: counts match PROVENANCE, ids unique, every row valid',
    (month, [rows, asb, noLoc, dups]) => {
      const raw = byMonth.get(month) as RawRow[];
      const evs = events(raw);
      expect(evs).toHaveLength(rows);
      expect(new Set(evs.map((e) => e.id)).size).toBe(rows);
      const asbKeys = evs.filter((e) => e.sourceKey.startsWith(`${month}:city-of-london-police:asb:`));
      expect(asbKeys).toHaveLength(asb);
      expect(asbKeys.every((e) => e.attributes.crimeId === null)).toBe(true);
      expect(evs.filter((e) => e.locationStatus === 'missing')).toHaveLength(noLoc);
      expect(
        evs
          .filter((e) => e.locationStatus === 'missing')
          .every((e) => e.areaId === 'unknown' && e.lat === undefined),
      ).toBe(true);
      // Each repeated ID gives k+1 keys `<month>:<id>:0..k`; rows beyond the first = keys with index > 0.
      const repeated = evs.filter((e) => /^\d{4}-\d{2}:[0-9a-f]{64}:\d+$/.test(e.sourceKey));
      expect(repeated.filter((e) => !e.sourceKey.endsWith(':0'))).toHaveLength(dups);
      for (const e of evs) {
        expect(CrimeEvent.safeParse(e).success).toBe(true);
        expect(e.occurredAt).toBe(ukMonthStart(month));
        expect(e.timePrecision).toBe('month');
        expect(e.timeFlags).toEqual(['month-only']);
      }
    },
  );

  it('re-normalising a month gives identical events', () => {
    for (const [month, raw] of byMonth) expect(events(raw)).toEqual(monthEvents(month));
  });

  it('maps every row of every month to a known UK category (none fall to unmapped other)', () => {
    const all = [...byMonth.keys()].flatMap(monthEvents);
    expect(all).toHaveLength(15_553);
    expect(all.filter((e) => e.subcategory === 'unmapped')).toHaveLength(0);
    const bySource = new Map<string, string>();
    for (const e of all) bySource.set(e.sourceType, `${e.category}/${e.subcategory}`);
    expect(bySource.get('Violence and sexual offences')).toBe('violence/violence-and-sexual-offences');
    expect(bySource.get('Anti-social behaviour')).toBe('anti-social-behaviour/anti-social-behaviour');
    expect(bySource.get('Criminal damage and arson')).toBe('criminal-damage/criminal-damage-and-arson');
    expect(bySource.size).toBe(14);
  });

  it('accepts rows read with the original CSV headers and gives the same events', async () => {
    const kept = await readRecordedRows(join(DIR, '2020-04-city-of-london-street.csv.gz'), {
      keepHeaders: true,
    });
    expect(Object.keys(kept[0] as RawRow)).toContain('Crime ID');
    expect(events(kept)).toEqual(monthEvents('2020-04'));
  });
});

describe('ukPoliceNormaliser golden records (checked by hand against the CSV text)', () => {
  it('2019-01 row 0: an ASB row with no Crime ID, GMT month start', () => {
    const e = monthEvents('2019-01')[0] as CrimeEvent;
    expect(e).toEqual({
      id: 'uk-police:2019-01:city-of-london-police:asb:0',
      source: 'uk-police',
      sourceKey: '2019-01:city-of-london-police:asb:0',
      incidentKey: '2019-01:city-of-london-police:asb:0',
      occurredAt: '2019-01-01T00:00:00.000Z',
      timeZone: 'Europe/London',
      timePrecision: 'month',
      timeFlags: ['month-only'],
      ingestedAt: ctx.ingestedAt,
      category: 'anti-social-behaviour',
      subcategory: 'anti-social-behaviour',
      sourceType: 'Anti-social behaviour',
      sourceCode: 'anti-social-behaviour',
      lat: 51.515381,
      lon: -0.112422,
      locationStatus: 'ok',
      areaId: 'E01000914',
      area: { lsoa: 'E01000914', lsoaName: 'Camden 028B', force: 'City of London Police' },
      attributes: {
        crimeId: null,
        reportedBy: 'City of London Police',
        fallsWithin: 'City of London Police',
        location: 'On or near Star Yard',
        lastOutcomeCategory: null,
        context: null,
      },
    });
  });

  it('2019-01: the two rows sharing Crime ID ec39af34… are keyed :0 and :1 in file order', () => {
    const evs = monthEvents('2019-01');
    const id = 'ec39af348769fda27ea9124da141e914741fdab310705a90e19d67a909c30c28';
    expect(evs[166]?.sourceKey).toBe(`2019-01:${id}:0`);
    expect(evs[166]?.attributes.location).toBe('On or near Tower Royal');
    expect(evs[170]?.sourceKey).toBe(`2019-01:${id}:1`);
    expect(evs[170]?.attributes.location).toBe('On or near Birchin Lane');
    // A repeated ID whose second row has no location: still keyed, location missing, area unknown.
    const id2 = '475b820af21d9a6e0e76b12b8ba92445260ec8ef16048bca97572d43f87400d5';
    expect(evs[453]?.sourceKey).toBe(`2019-01:${id2}:0`);
    expect(evs[616]).toMatchObject({
      sourceKey: `2019-01:${id2}:1`,
      locationStatus: 'missing',
      areaId: 'unknown',
      category: 'violence',
    });
    // A unique Crime ID is the key itself.
    expect(evs[1]?.sourceKey).toBe('320930473d454d613ead909a28008a91a607c93f8b74339623a4cec4a252b0dd');
    expect(evs[1]).toMatchObject({
      category: 'theft',
      subcategory: 'bicycle-theft',
      sourceType: 'Bicycle theft',
    });
  });

  it('2019-06 (BST): the month starts at 23:00 UTC on 31 May', () => {
    const e = monthEvents('2019-06')[0] as CrimeEvent;
    expect(e.occurredAt).toBe('2019-05-31T23:00:00.000Z');
  });

  it('ASB keys count within the month batch, not across the file order of other rows', () => {
    const evs = monthEvents('2020-05');
    const asb = evs.filter((e) => e.sourceType === 'Anti-social behaviour').map((e) => e.sourceKey);
    expect(asb).toEqual(asb.map((_, i) => `2020-05:city-of-london-police:asb:${i}`));
  });

  it('a batch holding two months keys each month separately', () => {
    const mixed = [...(byMonth.get('2020-04') as RawRow[]), ...(byMonth.get('2020-05') as RawRow[])];
    const evs = events(mixed);
    expect(new Set(evs.map((e) => e.id)).size).toBe(236 + 226);
    expect(evs.slice(236)).toEqual(monthEvents('2020-05'));
  });
});

describe('ukPoliceNormaliser rejections', () => {
  it('rejects a bad month and an empty crime type, keeps the rest', () => {
    const good = (byMonth.get('2020-04') as RawRow[])[1] as RawRow;
    const res = ukPoliceNormaliser.normaliseRows(
      [{ ...good, month: '2020-13' }, { ...good, crime_type: '' }, good],
      ctx,
    );
    expect(res.map((r) => r.ok)).toEqual([false, false, true]);
    expect(res[0]?.ok === false && res[0].reason).toMatch(/YYYY-MM/);
  });

  it('an unknown crime type becomes `other`/`unmapped` and keeps its text', () => {
    const good = (byMonth.get('2020-04') as RawRow[])[1] as RawRow;
    const [r] = ukPoliceNormaliser.normaliseRows([{ ...good, crime_type: 'Something new' }], ctx);
    expect(r?.ok && r.event).toMatchObject({
      category: 'other',
      subcategory: 'unmapped',
      sourceType: 'Something new',
      sourceCode: 'something-new',
    });
  });

  it('flags (0,0) and out-of-region points', () => {
    const good = (byMonth.get('2020-04') as RawRow[])[1] as RawRow;
    const res = ukPoliceNormaliser.normaliseRows(
      [
        { ...good, latitude: '0', longitude: '0' },
        { ...good, latitude: '40.7', longitude: '-74.0' },
        { ...good, latitude: 'n/a', longitude: '-0.1' },
      ],
      ctx,
    );
    expect(res.map((r) => r.ok && r.event.locationStatus)).toEqual(['zero', 'out-of-region', 'invalid']);
  });
});

describe('ukPoliceNormaliser on the recorded API answer (crimes-street, 2013-08)', () => {
  let api: RawRow[];
  beforeAll(async () => {
    api = await readRecordedRows('samples/uk/api_json/crimes-street_2013-08_north-london.json');
  });

  it('normalises all 145 crimes with unique ids; areaId is the polled area', () => {
    const evs = events(api.map((r) => ({ ...r, polled_area: 'north-london' })));
    expect(evs).toHaveLength(145);
    expect(new Set(evs.map((e) => e.id)).size).toBe(145);
    expect(
      evs.every(
        (e) =>
          e.category === 'violence' &&
          e.areaId === 'north-london' &&
          e.occurredAt === '2013-07-31T23:00:00.000Z',
      ),
    ).toBe(true);
    expect(evs.every((e) => e.locationStatus === 'ok')).toBe(true);
    // The one empty persistent_id is keyed by month, area and occurrence.
    expect(evs.filter((e) => e.sourceKey.includes(':asb:')).map((e) => e.sourceKey)).toEqual([
      '2013-08:north-london:asb:0',
    ]);
  });

  it('golden: the first crime (checked against the JSON)', () => {
    const [e] = events(api.slice(0, 1).map((r) => ({ ...r, polled_area: 'north-london' })));
    expect(e).toEqual({
      id: 'uk-police:d3368a01720d477db3f7f9546b507eec9d51596a6766b2162b815b148d3cf8ac',
      source: 'uk-police',
      sourceKey: 'd3368a01720d477db3f7f9546b507eec9d51596a6766b2162b815b148d3cf8ac',
      incidentKey: 'd3368a01720d477db3f7f9546b507eec9d51596a6766b2162b815b148d3cf8ac',
      occurredAt: '2013-07-31T23:00:00.000Z',
      timeZone: 'Europe/London',
      timePrecision: 'month',
      timeFlags: ['month-only'],
      ingestedAt: ctx.ingestedAt,
      category: 'violence',
      subcategory: 'violence-and-sexual-offences',
      sourceType: 'violent-crime',
      sourceCode: 'violent-crime',
      lat: 51.563159,
      lon: -0.115826,
      locationStatus: 'ok',
      areaId: 'north-london',
      area: { polledArea: 'north-london' },
      attributes: {
        apiId: 26635801,
        persistentId: 'd3368a01720d477db3f7f9546b507eec9d51596a6766b2162b815b148d3cf8ac',
        streetId: 971975,
        location: 'On or near Andover Road',
        locationType: 'Force',
        locationSubtype: null,
        lastOutcomeCategory: 'Under investigation',
        lastOutcomeMonth: '2013-08',
        context: null,
      },
    });
  });

  it('repeated persistent_ids in the API answer get distinct keys', () => {
    const evs = events(api);
    const counts = new Map<string, number>();
    for (const r of api) {
      const p = String(r.persistent_id);
      if (p) counts.set(p, (counts.get(p) ?? 0) + 1);
    }
    const repeatedRows = [...counts.values()].filter((n) => n > 1).reduce((a, b) => a + b, 0);
    expect(repeatedRows).toBeGreaterThan(0);
    expect(evs.filter((e) => /^2013-08:[0-9a-f]{64}:\d+$/.test(e.sourceKey))).toHaveLength(repeatedRows);
    // Without a polled area the scope is `unknown`, never absent.
    expect(evs.filter((e) => e.sourceKey.includes(':asb:')).map((e) => e.sourceKey)).toEqual([
      '2013-08:unknown:asb:0',
    ]);
  });
});
