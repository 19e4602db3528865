import { describe, expect, it } from 'vitest';
import {
  formatTaxonomyReport,
  isUnmapped,
  taxonomyReportRows,
  UNMAPPED_SUBCATEGORY,
} from '../../../src/core/taxonomy/mapping.js';

describe('taxonomyReportRows', () => {
  it('counts by type → category, separates deliberate `other` from unmapped, and computes coverage', () => {
    const items = [
      { sourceType: 'THEFT', sourceCode: '0820', category: 'theft' as const, subcategory: 'theft' },
      { sourceType: 'THEFT', sourceCode: '0820', category: 'theft' as const, subcategory: 'theft' },
      { sourceType: 'THEFT', sourceCode: '0820', category: 'theft' as const, subcategory: 'theft' },
      {
        sourceType: 'OTHER MISCELLANEOUS CRIME',
        sourceCode: '946',
        category: 'other' as const,
        subcategory: 'other-miscellaneous',
      },
      { sourceType: 'NEW', category: 'other' as const, subcategory: UNMAPPED_SUBCATEGORY },
    ];
    const r = taxonomyReportRows('x', items);
    expect(r).toMatchObject({
      source: 'x',
      total: 5,
      mapped: 3,
      deliberateOther: 1,
      unmapped: 1,
      coverage: 0.75,
      strictCoverage: 0.6,
    });
    expect(r.rows[0]).toEqual({
      sourceType: 'THEFT',
      sourceCode: '0820',
      category: 'theft',
      subcategory: 'theft',
      count: 3,
      unmapped: false,
    });
    expect(r.unmappedTypes).toEqual([{ sourceType: 'NEW', sourceCode: '', count: 1 }]);
    const text = formatTaxonomyReport(r);
    expect(text.split('\n')[0]).toBe(
      'x: 5 rows, 3 mapped, 1 deliberately other, 1 unmapped; coverage 75.00% (strict 60.00%)',
    );
    expect(text).toContain('3\t0820\tTHEFT\ttheft\ttheft\n');
    expect(text).toContain('1\t\tNEW\tother\tunmapped (UNMAPPED)\n');
  });

  it('an empty input has full coverage, and isUnmapped needs both other and the marker', () => {
    expect(taxonomyReportRows('x', [])).toMatchObject({ total: 0, coverage: 1, rows: [] });
    expect(isUnmapped({ category: 'other', subcategory: 'unmapped' })).toBe(true);
    expect(isUnmapped({ category: 'other', subcategory: 'non-criminal' })).toBe(false);
    expect(isUnmapped({ category: 'theft', subcategory: 'unmapped' })).toBe(false);
  });
});
