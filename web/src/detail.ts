/**
 * The anomaly explanation: observed against the model's expected count and interval, the tail
 * probability (p) and its multiple-testing q, the severity, and the contributing categories or
 * areas the model reports (`contributors`). A native <dialog>: focus moves in, Esc closes it, and
 * focus returns to the button that opened it.
 */
import type { AnomalyItem } from './api.js';
import { loadPlotly, SEVERITY_STYLE } from './charts.js';
import { byId, fmtNum, fmtP, fmtTime, h, replace } from './dom.js';

interface ContributorTop {
  dimension?: string;
  value?: string;
  excess?: number;
  observed?: number;
  expected?: number;
}

/** Rows of the contributors object, whatever model wrote it (the count model nests them under `top`). */
export function contributorLines(c: unknown): string[] {
  if (c === null || typeof c !== 'object') return [];
  const obj = c as Record<string, unknown>;
  const lines: string[] = [];
  const top = Array.isArray(obj.top)
    ? (obj.top as ContributorTop[])
    : Array.isArray(c)
      ? (c as ContributorTop[])
      : [];
  for (const t of top.slice(0, 10)) {
    if (t && typeof t === 'object') {
      const what = [t.dimension, t.value].filter((x) => x !== undefined).join(' ');
      const parts = [
        t.observed !== undefined ? `observed ${fmtNum(Number(t.observed))}` : '',
        t.expected !== undefined ? `expected ${fmtNum(Number(t.expected))}` : '',
        t.excess !== undefined ? `excess ${fmtNum(Number(t.excess))}` : '',
      ].filter(Boolean);
      lines.push(`${what || 'contributor'}${parts.length ? `: ${parts.join(', ')}` : ''}`);
    }
  }
  for (const [k, v] of Object.entries(obj)) {
    if (k === 'top') continue;
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean')
      lines.push(`${k}: ${typeof v === 'number' ? fmtNum(v, 3) : String(v)}`);
  }
  return lines;
}

export function explain(a: AnomalyItem): string {
  if (a.explanation) return a.explanation;
  const dir = a.observed >= a.expected ? 'more' : 'fewer';
  return `${fmtNum(a.observed, 0)} events against ${fmtNum(a.expected)} expected (${dir} than usual; interval ${fmtNum(a.lower)}–${fmtNum(a.upper)}), p = ${fmtP(a.pValue)}${a.qValue === null ? '' : `, q = ${fmtP(a.qValue)}`}.`;
}

export function anomalyTitle(a: AnomalyItem): string {
  return `${a.source} · area ${a.areaId} · ${a.category} · ${a.granularity} from ${fmtTime(a.windowStart)}`;
}

export function openAnomaly(a: AnomalyItem): void {
  const dialog = byId<HTMLDialogElement>('anomaly-detail');
  const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
  const body = byId('anomaly-detail-body');
  const contributors = contributorLines(a.contributors);
  const chartEl = h('div', {
    class: 'plot small',
    role: 'img',
    'aria-label': `Observed ${a.observed} against expected ${fmtNum(a.expected)} (interval ${fmtNum(a.lower)} to ${fmtNum(a.upper)})`,
  });
  replace(
    body,
    h('h2', { id: 'anomaly-detail-title' }, anomalyTitle(a)),
    h('p', { class: `severity sev-${a.severity}` }, `Severity: ${a.severity}`),
    h('p', { class: 'explanation' }, explain(a)),
    h(
      'dl',
      { class: 'facts' },
      h('dt', {}, 'Observed'),
      h('dd', { 'data-field': 'observed' }, fmtNum(a.observed, 0)),
      h('dt', {}, 'Expected'),
      h(
        'dd',
        { 'data-field': 'expected' },
        `${fmtNum(a.expected)} (interval ${fmtNum(a.lower)} – ${fmtNum(a.upper)})`,
      ),
      h('dt', {}, 'Probability (p)'),
      h('dd', { 'data-field': 'p' }, fmtP(a.pValue)),
      h('dt', {}, 'After multiple testing (q)'),
      h('dd', {}, a.qValue === null ? 'n/a' : fmtP(a.qValue)),
      h('dt', {}, 'Window'),
      h('dd', {}, `${fmtTime(a.windowStart)} – ${fmtTime(a.windowEnd)}`),
      h('dt', {}, 'Model'),
      h('dd', {}, a.modelVersion),
    ),
    h('h3', {}, 'Contributing categories and areas'),
    contributors.length
      ? h('ul', { class: 'contributors' }, ...contributors.map((c) => h('li', {}, c)))
      : h('p', {}, 'The model reported no contributors for this anomaly.'),
    chartEl,
  );
  dialog.addEventListener('close', () => opener?.focus(), { once: true });
  if (!dialog.open) dialog.showModal();
  byId('anomaly-detail-close').focus();
  const sev = SEVERITY_STYLE[a.severity];
  void loadPlotly().then((P) =>
    P.react(
      chartEl,
      [
        {
          type: 'bar',
          x: ['Observed', 'Expected'],
          y: [a.observed, a.expected],
          marker: { color: [sev.color, '#999999'] },
          error_y: {
            type: 'data',
            symmetric: false,
            array: [0, Math.max(0, a.upper - a.expected)],
            arrayminus: [0, Math.max(0, a.expected - a.lower)],
            visible: true,
          },
          hoverinfo: 'y',
        },
      ],
      { height: 220, margin: { l: 48, r: 8, t: 8, b: 32 }, yaxis: { title: { text: 'events' } } },
      { displayModeBar: false, responsive: true },
    ),
  );
}
