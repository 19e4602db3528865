/**
 * What every taxonomy mapper shares: the mapping result, the unmapped counter and the report the CLI
 * (`crimepulse taxonomy --report`) prints. A portal type with no rule becomes `other` with the
 * subcategory `unmapped`, so an event alone tells a deliberate `other` (e.g. Chicago parole
 * violations, a type with no sensible canonical home) from a gap in the rules.
 */
import type { Category } from '../categories.js';
import type { CrimeEvent } from '../crime-event.js';
import { counter } from '../metrics.js';

export interface TaxonomyMapping {
  readonly category: Category;
  /** Short kebab-case refinement, e.g. `aggravated-assault`, `theft-from-vehicle`; `unmapped` for gaps. */
  readonly subcategory: string;
}

export const UNMAPPED_SUBCATEGORY = 'unmapped';

export const UNMAPPED: TaxonomyMapping = { category: 'other', subcategory: UNMAPPED_SUBCATEGORY };

export function isUnmapped(
  m: Pick<TaxonomyMapping, 'category' | 'subcategory'> | { category: string; subcategory?: string },
): boolean {
  return m.category === 'other' && m.subcategory === UNMAPPED_SUBCATEGORY;
}

const unmappedTotal = () =>
  counter(
    'crimepulse_taxonomy_unmapped_total',
    'Rows whose portal type has no taxonomy rule and became `other`',
    ['source', 'type'] as const,
  );

/** Counts one row of an unmapped portal type (`crimepulse_taxonomy_unmapped_total{source,type}`). */
export function countUnmappedType(source: string, type: string, n = 1): void {
  // Label values are bounded by the portal's own type list; cut them anyway so a garbage column
  // cannot blow up the series count.
  unmappedTotal().inc({ source, type: type.slice(0, 100) || '(empty)' }, n);
}

/** One line of the taxonomy report: how many rows of a portal type went to which category. */
export interface TaxonomyReportRow {
  sourceType: string;
  sourceCode: string;
  category: Category;
  subcategory: string;
  count: number;
  unmapped: boolean;
}

export interface TaxonomyReport {
  source: string;
  total: number;
  /** Rows with a non-`other` category. */
  mapped: number;
  /** Rows deliberately mapped to `other` (known type, no sensible canonical category). */
  deliberateOther: number;
  /** Rows whose type has no rule (`other`/`unmapped`). */
  unmapped: number;
  /** mapped / (total - deliberateOther): the share of rows with a sensible category that got one. */
  coverage: number;
  /** mapped / total. */
  strictCoverage: number;
  rows: TaxonomyReportRow[];
  unmappedTypes: { sourceType: string; sourceCode: string; count: number }[];
}

type Classified = Pick<CrimeEvent, 'sourceType' | 'category'> & {
  sourceCode?: string | undefined;
  subcategory?: string | undefined;
};

/**
 * The report over already-classified rows or events: counts by (sourceType, sourceCode) → category,
 * sorted by count descending, plus the unmapped list. Pure; the CLI prints `rows` as a table.
 */
export function taxonomyReportRows(source: string, items: Iterable<Classified>): TaxonomyReport {
  const byKey = new Map<string, TaxonomyReportRow>();
  let total = 0;
  let mapped = 0;
  let deliberateOther = 0;
  let unmapped = 0;
  for (const it of items) {
    total++;
    const sub = it.subcategory ?? '';
    const un = isUnmapped({ category: it.category, subcategory: sub });
    if (it.category !== 'other') mapped++;
    else if (un) unmapped++;
    else deliberateOther++;
    const code = it.sourceCode ?? '';
    const key = `${it.sourceType}\u0000${code}\u0000${it.category}\u0000${sub}`;
    const row = byKey.get(key);
    if (row) row.count++;
    else
      byKey.set(key, {
        sourceType: it.sourceType,
        sourceCode: code,
        category: it.category,
        subcategory: sub,
        count: 1,
        unmapped: un,
      });
  }
  const rows = [...byKey.values()].sort(
    (a, b) => b.count - a.count || a.sourceType.localeCompare(b.sourceType),
  );
  const denominator = total - deliberateOther;
  return {
    source,
    total,
    mapped,
    deliberateOther,
    unmapped,
    coverage: denominator === 0 ? 1 : mapped / denominator,
    strictCoverage: total === 0 ? 1 : mapped / total,
    rows,
    unmappedTypes: rows
      .filter((r) => r.unmapped)
      .map((r) => ({ sourceType: r.sourceType, sourceCode: r.sourceCode, count: r.count })),
  };
}

/** Plain-text table of a report, for `crimepulse taxonomy --report` (one line per type → category). */
export function formatTaxonomyReport(report: TaxonomyReport): string {
  const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
  const lines = [
    `${report.source}: ${report.total} rows, ${report.mapped} mapped, ${report.deliberateOther} deliberately other, ` +
      `${report.unmapped} unmapped; coverage ${pct(report.coverage)} (strict ${pct(report.strictCoverage)})`,
    ['count', 'code', 'source type', 'category', 'subcategory'].join('\t'),
    ...report.rows.map((r) =>
      [
        r.count,
        r.sourceCode,
        r.sourceType,
        r.category,
        r.subcategory + (r.unmapped ? ' (UNMAPPED)' : ''),
      ].join('\t'),
    ),
  ];
  return `${lines.join('\n')}\n`;
}
