/**
 * The CompStat table: area × category, this period against the previous one and the same period a
 * year earlier, with the API's significance (exact conditional test, Benjamini–Hochberg q ≤ 0.05).
 * Sortable by any column (buttons in the headers, so keyboard users can sort), exportable as CSV.
 */
import type { Comparison, CompstatResponse, CompstatRow } from './api.js';
import { fmtInt, h, replace } from './dom.js';

export type SortKey = 'areaId' | 'category' | 'current' | 'previous' | 'prevPct' | 'lastYear' | 'lyPct';

const COLUMNS: { key: SortKey; label: string; numeric: boolean }[] = [
  { key: 'areaId', label: 'Area', numeric: false },
  { key: 'category', label: 'Category', numeric: false },
  { key: 'current', label: 'This period', numeric: true },
  { key: 'previous', label: 'Previous', numeric: true },
  { key: 'prevPct', label: 'vs previous', numeric: true },
  { key: 'lastYear', label: 'Last year', numeric: true },
  { key: 'lyPct', label: 'vs last year', numeric: true },
];

function value(r: CompstatRow, k: SortKey): number | string {
  switch (k) {
    case 'areaId':
      return r.areaId;
    case 'category':
      return r.category;
    case 'current':
      return r.current;
    case 'previous':
      return r.previous.baseline;
    case 'prevPct':
      return r.previous.pctChange ?? Number.NEGATIVE_INFINITY;
    case 'lastYear':
      return r.lastYear.baseline;
    case 'lyPct':
      return r.lastYear.pctChange ?? Number.NEGATIVE_INFINITY;
  }
}

export function sortRows(
  rows: readonly CompstatRow[],
  key: SortKey,
  dir: 'ascending' | 'descending',
): CompstatRow[] {
  const sign = dir === 'ascending' ? 1 : -1;
  return [...rows].sort((a, b) => {
    const va = value(a, key);
    const vb = value(b, key);
    const c =
      typeof va === 'number' && typeof vb === 'number'
        ? va - vb
        : String(va).localeCompare(String(vb), 'en', { numeric: true });
    return (
      c * sign ||
      a.areaId.localeCompare(b.areaId, 'en', { numeric: true }) ||
      a.category.localeCompare(b.category)
    );
  });
}

/** ▲/▼ with words: the mark never relies on colour alone. */
export function sigMark(c: Comparison): string {
  if (!c.significant) return '';
  return c.z > 0 ? '▲ significant rise' : '▼ significant fall';
}

const pct = (c: Comparison): string =>
  c.pctChange === null ? 'new' : `${c.pctChange > 0 ? '+' : ''}${Math.round(c.pctChange)}%`;

/** RFC 4180 CSV; cells that a spreadsheet would run as a formula are prefixed with a quote. */
export function toCsv(res: CompstatResponse, rows: readonly CompstatRow[]): string {
  const cell = (v: string | number | boolean | null): string => {
    let s = v === null ? '' : String(v);
    if (/^[=+\-@\t\r]/.test(s) && typeof v === 'string') s = `'${s}`;
    return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
  };
  const head = [
    'source',
    'area',
    'category',
    'current',
    'previous',
    'previous_expected',
    'previous_pct_change',
    'previous_q',
    'previous_significant',
    'last_year',
    'last_year_expected',
    'last_year_pct_change',
    'last_year_q',
    'last_year_significant',
  ];
  const lines = [head.join(',')];
  for (const r of rows) {
    lines.push(
      [
        res.source,
        r.areaId,
        r.category,
        r.current,
        r.previous.baseline,
        r.previous.expected.toFixed(2),
        r.previous.pctChange === null ? null : r.previous.pctChange.toFixed(1),
        r.previous.q.toPrecision(3),
        r.previous.significant,
        r.lastYear.baseline,
        r.lastYear.expected.toFixed(2),
        r.lastYear.pctChange === null ? null : r.lastYear.pctChange.toFixed(1),
        r.lastYear.q.toPrecision(3),
        r.lastYear.significant,
      ]
        .map(cell)
        .join(','),
    );
  }
  return `${lines.join('\r\n')}\r\n`;
}

export interface CompstatView {
  render(res: CompstatResponse | null, message?: string): void;
}

export function compstatView(container: HTMLElement): CompstatView {
  let sort: { key: SortKey; dir: 'ascending' | 'descending' } = { key: 'current', dir: 'descending' };
  let data: CompstatResponse | null = null;
  let downloadUrl: string | null = null;

  const draw = (message?: string) => {
    if (!data) {
      container.dataset.state = message ? 'empty' : 'loading';
      replace(container, h('p', { class: 'state' }, message ?? 'Loading CompStat…'));
      return;
    }
    const res = data;
    if (res.items.length === 0) {
      container.dataset.state = 'empty';
      replace(
        container,
        h('p', { class: 'state' }, `No events for ${res.source} in ${res.current.from} – ${res.current.to}.`),
      );
      return;
    }
    const rows = sortRows(res.items, sort.key, sort.dir);
    const thead = h(
      'tr',
      {},
      ...COLUMNS.map((c) => {
        const active = sort.key === c.key;
        const btn = h(
          'button',
          { type: 'button', class: 'sort', 'data-sort': c.key },
          c.label,
          active ? (sort.dir === 'ascending' ? ' ↑' : ' ↓') : '',
        );
        btn.addEventListener('click', () => {
          sort = {
            key: c.key,
            dir:
              active && sort.dir === 'descending'
                ? 'ascending'
                : active
                  ? 'descending'
                  : c.numeric
                    ? 'descending'
                    : 'ascending',
          };
          draw();
          container.querySelector<HTMLButtonElement>(`button[data-sort="${c.key}"]`)?.focus();
        });
        return h(
          'th',
          { scope: 'col', 'aria-sort': active ? sort.dir : 'none', class: c.numeric ? 'num' : undefined },
          btn,
        );
      }),
    );
    const body = h('tbody', {});
    for (const r of rows.slice(0, 300)) {
      body.append(
        h(
          'tr',
          {},
          h('th', { scope: 'row' }, r.areaId),
          h('td', {}, r.category),
          h('td', { class: 'num' }, fmtInt(r.current)),
          h('td', { class: 'num' }, fmtInt(r.previous.baseline)),
          h(
            'td',
            {
              class: `num ${r.previous.significant ? (r.previous.z > 0 ? 'up' : 'down') : ''}`,
              title: `q = ${r.previous.q.toPrecision(2)}`,
            },
            pct(r.previous),
            ' ',
            h('span', { class: 'sig' }, sigMark(r.previous)),
          ),
          h('td', { class: 'num' }, fmtInt(r.lastYear.baseline)),
          h(
            'td',
            {
              class: `num ${r.lastYear.significant ? (r.lastYear.z > 0 ? 'up' : 'down') : ''}`,
              title: `q = ${r.lastYear.q.toPrecision(2)}`,
            },
            pct(r.lastYear),
            ' ',
            h('span', { class: 'sig' }, sigMark(r.lastYear)),
          ),
        ),
      );
    }
    if (downloadUrl) URL.revokeObjectURL(downloadUrl);
    downloadUrl = URL.createObjectURL(new Blob([toCsv(res, rows)], { type: 'text/csv' }));
    const link = h(
      'a',
      { class: 'button', download: `compstat-${res.source}-${res.current.from}.csv`, id: 'compstat-csv' },
      'Export CSV',
    );
    link.href = downloadUrl; // a blob: URL we made ourselves, set directly (h() only lets http(s) and paths through)
    container.dataset.state = 'ready';
    replace(
      container,
      h(
        'p',
        { class: 'caption' },
        `${res.source}: ${res.current.from} – ${res.current.to} against ${res.previous.from} – ${res.previous.to} and ${res.lastYear.from} – ${res.lastYear.to} (${res.timeZone}). ▲/▼ = significant at q ≤ 0.05 (exact test, Benjamini–Hochberg). ${rows.length > 300 ? `First 300 of ${rows.length} rows shown; the CSV has all.` : ''}${res.truncated ? ' The API truncated the table.' : ''}`,
        ' ',
        link,
      ),
      h(
        'div',
        { class: 'table-wrap', tabindex: 0, role: 'region', 'aria-label': 'CompStat table' },
        h('table', { id: 'compstat-table' }, h('thead', {}, thead), body),
      ),
    );
  };

  return {
    render(res, message) {
      data = res;
      draw(message);
    },
  };
}
