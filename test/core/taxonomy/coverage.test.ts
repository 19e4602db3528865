/**
 * Taxonomy coverage on every real file: at least 99 % of the rows whose type has a sensible canonical
 * category get one (deliberate `other` types such as "OTHER MISCELLANEOUS CRIME" are left out of the
 * denominator), and no type is unmapped. Reads /work/shared/data/real when present (all files), and
 * always the shipped samples/.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { registry } from '../../../src/core/metrics.js';
import { taxonomyReportRows } from '../../../src/core/taxonomy/mapping.js';
import { chicagoNormaliser } from '../../../src/sources/chicago/normalise.js';
import { laNormaliser } from '../../../src/sources/la/normalise.js';
import type { RowNormaliser } from '../../../src/sources/normalise.js';
import {
  nycArrestsNormaliser,
  nycComplaintsNormaliser,
  nycShootingsNormaliser,
} from '../../../src/sources/nyc/normalise.js';
import { readRecordedRows } from '../../../src/sources/recorded-file.js';

const REAL = '/work/shared/data/real';
const ctx = { ingestedAt: '2026-01-01T00:00:00.000Z' };

const FILES: [string, RowNormaliser, number][] = [
  // [file under real/ (or samples/), normaliser, minimum strict coverage (non-other / all rows)]
  ['chicago/chicago_crimes_2015-01-23_to_2015-02-08.csv.gz', chicagoNormaliser, 0.995],
  ['chicago/chicago_soda_api_fields_2012-01-01_to_2012-02-14.csv.gz', chicagoNormaliser, 0.999],
  ['nyc/nypd_complaints_historic_cmplnt_fr_dt_2010-01-01.csv', nycComplaintsNormaliser, 0.995],
  ['nyc/nypd_arrests_ytd_2021-01_to_2021-09_queens.csv.gz', nycArrestsNormaliser, 0.999],
  ['nyc/nypd_shooting_incidents_historic_2006-01_to_2019-09.csv.gz', nycShootingsNormaliser, 1],
  ['la/la_crime_2020_first10000rows.csv.gz', laNormaliser, 0.99],
  ['la/la_crime_2020_sample874_portal_format.csv', laNormaliser, 0.99],
];

async function check(path: string, n: RowNormaliser, minStrict: number) {
  const res = n.normaliseRows(await readRecordedRows(path), ctx);
  const report = taxonomyReportRows(
    n.source,
    res.flatMap((r) => (r.ok ? [r.event] : [])),
  );
  expect(report.total).toBe(res.length);
  expect(report.unmappedTypes).toEqual([]);
  expect(report.coverage).toBeGreaterThanOrEqual(0.99);
  expect(report.strictCoverage).toBeGreaterThanOrEqual(minStrict);
}

describe('taxonomy coverage on real data', () => {
  for (const [file, n, minStrict] of FILES) {
    // The shipped samples are byte copies of the real files; read each file once, preferring /work/shared.
    const real = join(REAL, file);
    const sample = join('samples', file);
    const path = existsSync(real) ? real : existsSync(sample) ? sample : undefined;
    it.skipIf(path === undefined)(
      `${n.source}: ${path ?? `${file} (skipped: neither ${REAL} nor samples/ has it)`}`,
      () => check(path!, n, minStrict),
    );
  }
});

describe('unmapped counter', () => {
  it('counts rows of unknown types in crimepulse_taxonomy_unmapped_total{source,type}', async () => {
    chicagoNormaliser.normaliseRows(
      [
        { id: 'u1', date: '2015-01-01T10:00:00.000', primary_type: 'BRAND NEW TYPE', fbi_code: '26' },
        { id: 'u2', date: '2015-01-01T11:00:00.000', primary_type: 'BRAND NEW TYPE', fbi_code: '26' },
      ],
      ctx,
    );
    const text = await registry.getSingleMetricAsString('crimepulse_taxonomy_unmapped_total');
    expect(text).toMatch(
      /crimepulse_taxonomy_unmapped_total\{[^}]*source="chicago"[^}]*type="BRAND NEW TYPE"[^}]*\} 2/,
    );
  });
});
