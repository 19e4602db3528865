/** The dashboard's pure logic (web/src): URL filters, KPI significance, CompStat sorting and CSV. */
import { describe, expect, it } from 'vitest';
import { CATEGORY_LABELS } from '../../src/core/categories.js';
import type { CompstatResponse, CompstatRow } from '../../web/src/api.js';
import { queryString } from '../../web/src/api.js';
import { CATEGORIES } from '../../web/src/categories.js';
import { sortRows, toCsv } from '../../web/src/compstat.js';
import { effectiveRange, filtersToSearch, parseFilters } from '../../web/src/filters.js';
import { change, kpi } from '../../web/src/kpi.js';

describe('URL filters', () => {
  it('round-trips the /v1 parameter names', () => {
    const search =
      '?source=chicago,la&area=25&category=theft&from=2015-01-26&to=2015-02-08&granularity=hour&minSeverity=medium&hourFrom=18&hourTo=23';
    const f = parseFilters(search);
    expect(f).toEqual({
      source: ['chicago', 'la'],
      area: ['25'],
      category: ['theft'],
      from: '2015-01-26',
      to: '2015-02-08',
      granularity: 'hour',
      minSeverity: 'medium',
      hourFrom: 18,
      hourTo: 23,
    });
    expect(parseFilters(filtersToSearch(f))).toEqual(f);
  });

  it('accepts repeated parameters and drops bad values', () => {
    const f = parseFilters(
      '?source=chicago&source=la&from=yesterday&to=2015-13&minSeverity=extreme&hourFrom=20&hourTo=4&area=<script>',
    );
    expect(f.source).toEqual(['chicago', 'la']);
    expect(f.from).toBeUndefined();
    expect(f.to).toBeUndefined();
    expect(f.minSeverity).toBe('low');
    expect([f.hourFrom, f.hourTo]).toEqual([0, 24]);
    expect(f.area).toEqual([]);
    expect(filtersToSearch(parseFilters(''))).toBe('');
  });

  it('defaults to the 28 days ending with the latest data', () => {
    expect(effectiveRange(parseFilters(''), '2015-02-09T05:43:40Z')).toEqual({
      from: '2015-01-13',
      to: '2015-02-10',
    });
    expect(effectiveRange(parseFilters('?from=2015-01-01&to=2015-01-08'), '2020-01-01T00:00:00Z')).toEqual({
      from: '2015-01-01',
      to: '2015-01-08',
    });
  });

  it('sends lists as commas and leaves out empty values', () => {
    expect(queryString({ source: ['a', 'b'], area: [], from: '2015-01-01', x: undefined, limit: 10 })).toBe(
      '?source=a%2Cb&from=2015-01-01&limit=10',
    );
  });
});

describe('KPI change against the usual level', () => {
  it('calls a change only when it is significant, not on the raw percentage', () => {
    // +50 % on small, noisy counts is within the usual range ...
    expect(change(6, [4, 2, 6, 3, 5]).verdict).toBe('usual');
    // ... while +20 % on large, steady counts is not.
    expect(change(1200, [1000, 1010, 990, 1005, 995]).verdict).toBe('above');
    expect(change(800, [1000, 1010, 990, 1005, 995]).verdict).toBe('below');
    expect(change(5, [5]).verdict).toBe('unknown');
  });

  it('sums hourly windows into blocks ending at the anchor and ignores blocks before the data', () => {
    const anchor = Date.parse('2015-02-09T00:00:00Z');
    const items = [];
    for (let h = 1; h <= 24 * 10; h++) {
      const start = new Date(anchor - h * 3_600_000).toISOString();
      items.push({ windowStart: start, windowEnd: start, events: h <= 24 ? 10 : 2, incidents: 0 });
    }
    const first = anchor - 10 * 86_400_000;
    const k = kpi(items, anchor, 24, 28, first);
    expect(k.observed).toBe(240);
    expect(k.blocks).toBe(9);
    expect(k.usual).toBe(48);
    expect(k.verdict).toBe('above');
  });
});

const cmp = (baseline: number, pctChange: number | null, z: number, significant: boolean) => ({
  baseline,
  expected: baseline,
  pctChange,
  pExact: 0.5,
  z,
  q: significant ? 0.01 : 0.5,
  significant,
});
const rows: CompstatRow[] = [
  {
    areaId: '10',
    category: 'theft',
    current: 5,
    previous: cmp(5, 0, 0, false),
    lastYear: cmp(4, 25, 0.4, false),
  },
  {
    areaId: '2',
    category: 'robbery',
    current: 30,
    previous: cmp(10, 200, 4.1, true),
    lastYear: cmp(0, null, 5, true),
  },
  {
    areaId: '=HYPERLINK("http://x")',
    category: 'theft, "other"',
    current: 1,
    previous: cmp(9, -88.9, -3, true),
    lastYear: cmp(1, 0, 0, false),
  },
];
const res: CompstatResponse = {
  source: 'chicago',
  timeZone: 'America/Chicago',
  current: { from: '2015-01-26', to: '2015-02-09' },
  previous: { from: '2015-01-12', to: '2015-01-26' },
  lastYear: { from: '2014-01-26', to: '2014-02-09' },
  items: rows,
  truncated: false,
};

describe('CompStat table', () => {
  it('sorts numbers numerically and area ids naturally', () => {
    expect(sortRows(rows, 'current', 'descending').map((r) => r.current)).toEqual([30, 5, 1]);
    expect(sortRows(rows, 'prevPct', 'ascending').map((r) => r.areaId[0])).toEqual(['=', '1', '2']);
    expect(sortRows(rows.slice(0, 2), 'areaId', 'ascending').map((r) => r.areaId)).toEqual(['2', '10']);
  });

  it('exports RFC 4180 CSV with formula cells neutralised', () => {
    const csv = toCsv(res, rows);
    const lines = csv.trimEnd().split('\r\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(/^source,area,category,current,previous,/);
    expect(lines[2]).toBe('chicago,2,robbery,30,10,10.00,200.0,0.0100,true,0,0.00,,0.0100,true');
    expect(lines[3]).toContain(`"'=HYPERLINK(""http://x"")","theft, ""other"""`);
  });
});

describe('categories', () => {
  it('match the canonical taxonomy', () => {
    expect(CATEGORIES).toEqual(CATEGORY_LABELS);
  });
});
