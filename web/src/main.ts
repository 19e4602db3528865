/**
 * CrimePulse dashboard. Reads only the public /v1 API and its SSE stream. One `refresh()` per filter
 * change: it aborts the previous round, marks every chart as loading, fetches in parallel and draws
 * each chart as its data arrives. The filter lives in the URL (filters.ts), so views can be shared.
 */
import './style.css';
import {
  type AnomalyItem,
  ApiRequestError,
  type ClientConfig,
  type CompstatResponse,
  clearCache,
  type ForecastResponse,
  getAll,
  getJson,
  type HeatmapResponse,
  type HotspotResponse,
  type Query,
  type SourceItem,
  type StatsResponse,
  type WindowItem,
} from './api.js';
import { CATEGORIES } from './categories.js';
import { Chart, DAYS, plotText, SEVERITY_STYLE } from './charts.js';
import { compstatView } from './compstat.js';
import { anomalyTitle, explain, openAnomaly } from './detail.js';
import { byId, fmtInt, fmtNum, fmtTime, h, replace } from './dom.js';
import {
  DAY_MS,
  effectiveRange,
  type Filters,
  filtersToSearch,
  hourPasses,
  isoDay,
  parseFilters,
  SEVERITIES,
} from './filters.js';
import { type KpiChange, kpi } from './kpi.js';
import { drawMap } from './map.js';

const HOUR_MS = 3_600_000;
let filters: Filters = parseFilters(window.location.search);
let config: ClientConfig = { chatUrl: '/chat', tileUrl: null };
let sources: SourceItem[] = [];
let round: AbortController | null = null;
const anomaliesById = new Map<string, AnomalyItem>();
/** Bumped when new data arrives, so chart keys (and the response cache) change. */
let dataGen = 0;
const chartKey = (...parts: unknown[]): string => JSON.stringify([dataGen, ...parts]);

const charts = {
  series: new Chart('series'),
  howHeat: new Chart('hour-of-week'),
  areaCat: new Chart('area-category'),
  map: new Chart('map'),
};
const compstat = compstatView(byId('compstat'));

/** Performance marks the benchmark and tests read (`performance.getEntriesByName`). */
function mark(name: string): void {
  performance.mark(name);
}

function errorText(err: unknown): string {
  if (err instanceof ApiRequestError) return `${err.message} (${err.code})`;
  return err instanceof Error ? err.message : String(err);
}

const isAbort = (err: unknown) => err instanceof DOMException && err.name === 'AbortError';

function baseQuery(f: Filters): Query {
  return { source: f.source, area: f.area, category: f.category };
}

// ---------- filters form ----------

function fillSelect(
  sel: HTMLSelectElement,
  options: { value: string; label: string }[],
  selected: string[],
): void {
  const known = new Set(options.map((o) => o.value));
  const all = [...options, ...selected.filter((s) => !known.has(s)).map((s) => ({ value: s, label: s }))];
  replace(
    sel,
    ...all.map((o) => h('option', { value: o.value, selected: selected.includes(o.value) }, o.label)),
  );
}

function readForm(): Filters {
  const sel = (id: string) => Array.from(byId<HTMLSelectElement>(id).selectedOptions).map((o) => o.value);
  const date = (id: string) => byId<HTMLInputElement>(id).value || undefined;
  const hourFrom = Number(byId<HTMLInputElement>('f-hour-from').value);
  const hourTo = Number(byId<HTMLInputElement>('f-hour-to').value);
  const from = date('f-from');
  const to = date('f-to');
  return {
    source: sel('f-source'),
    area: sel('f-area'),
    category: sel('f-category'),
    ...(from ? { from } : {}),
    ...(to ? { to } : {}),
    granularity: byId<HTMLSelectElement>('f-granularity').value === 'hour' ? 'hour' : 'day',
    minSeverity: SEVERITIES[Number(byId<HTMLInputElement>('f-severity').value)] ?? 'low',
    hourFrom: Math.min(hourFrom, hourTo - 1),
    hourTo: Math.max(hourTo, hourFrom + 1),
  };
}

function writeForm(f: Filters, range: { from: string; to: string }): void {
  byId<HTMLInputElement>('f-from').value = f.from ?? range.from;
  byId<HTMLInputElement>('f-to').value = f.to ?? range.to;
  byId<HTMLSelectElement>('f-granularity').value = f.granularity;
  byId<HTMLInputElement>('f-severity').value = String(SEVERITIES.indexOf(f.minSeverity));
  byId('f-severity-out').textContent = f.minSeverity;
  byId<HTMLInputElement>('f-hour-from').value = String(f.hourFrom);
  byId<HTMLInputElement>('f-hour-to').value = String(f.hourTo);
  byId('f-hours-out').textContent =
    `${String(f.hourFrom).padStart(2, '0')}:00–${String(f.hourTo).padStart(2, '0')}:00`;
}

function onFormChange(ev: Event): void {
  const next = readForm();
  // Dates the user did not touch stay implicit ("the latest 28 days"), so a shared URL stays live.
  const target = ev.target as HTMLElement | null;
  if (target?.id !== 'f-from' && !filters.from) delete next.from;
  if (target?.id !== 'f-to' && !filters.to) delete next.to;
  filters = next;
  history.pushState(null, '', `${window.location.pathname}${filtersToSearch(filters)}`);
  void refresh();
}

function setupForm(): void {
  const form = byId<HTMLFormElement>('filters');
  form.addEventListener('change', onFormChange);
  form.addEventListener('submit', (e) => e.preventDefault());
  for (const id of ['f-severity', 'f-hour-from', 'f-hour-to']) {
    byId<HTMLInputElement>(id).addEventListener('input', () => {
      const f = readForm();
      byId('f-severity-out').textContent = f.minSeverity;
      byId('f-hours-out').textContent =
        `${String(f.hourFrom).padStart(2, '0')}:00–${String(f.hourTo).padStart(2, '0')}:00`;
    });
  }
  byId('f-reset').addEventListener('click', () => {
    filters = parseFilters('');
    history.pushState(null, '', window.location.pathname);
    void refresh();
  });
  window.addEventListener('popstate', () => {
    filters = parseFilters(window.location.search);
    void refresh();
  });
  fillSelect(
    byId('f-category'),
    Object.entries(CATEGORIES).map(([value, label]) => ({ value, label })),
    filters.category,
  );
}

// ---------- header: sources and KPIs ----------

function freshness(s: SourceItem): { mode: string; fresh: string } {
  const mode =
    s.mode === 'replay'
      ? `replay${s.complete ? ' (complete)' : ''}`
      : s.mode === 'live'
        ? 'live'
        : 'not running';
  let fresh = '';
  if (s.stale) fresh = 'stale';
  else if (
    s.mode === 'live' &&
    s.lagSeconds !== null &&
    s.expectedLagSeconds !== null &&
    s.lagSeconds > s.expectedLagSeconds
  )
    fresh = 'lagging';
  else if (s.mode === 'live') fresh = 'fresh';
  return { mode, fresh };
}

function renderSources(): void {
  const list = byId('sources');
  if (sources.length === 0) {
    replace(list, h('li', {}, 'No sources reported.'));
    return;
  }
  replace(
    list,
    ...sources.map((s) => {
      const f = freshness(s);
      const newest = s.stored?.newestOccurredAt ?? s.newestRecordAt;
      return h(
        'li',
        { class: 'source', 'data-source': s.source, title: s.modeReason ?? '' },
        h('span', { class: 'source-name' }, s.source),
        ' ',
        h('span', { class: `badge mode-${s.mode ?? 'off'}` }, f.mode),
        f.fresh ? h('span', { class: `badge fresh-${f.fresh}` }, f.fresh) : null,
        newest ? h('span', { class: 'newest' }, ` newest ${newest.slice(0, 10)}`) : null,
      );
    }),
  );
}

function kpiCard(id: string, label: string, k: KpiChange | null, note: string): void {
  const el = byId(id);
  if (!k) {
    replace(
      el,
      h('span', { class: 'kpi-label' }, label),
      h('span', { class: 'kpi-value' }, '–'),
      h('span', { class: 'kpi-note' }, note),
    );
    return;
  }
  const verdict =
    k.verdict === 'unknown'
      ? 'not enough history to judge'
      : k.verdict === 'usual'
        ? `within the usual range (usual ${fmtNum(k.usual)}, z = ${k.z.toFixed(1)})`
        : `${k.verdict === 'above' ? '▲ above' : '▼ below'} usual (${fmtNum(k.usual)}), z = ${k.z.toFixed(1)}`;
  el.dataset.verdict = k.verdict;
  replace(
    el,
    h('span', { class: 'kpi-label' }, label),
    h('span', { class: 'kpi-value' }, fmtInt(k.observed)),
    h('span', { class: 'kpi-note' }, verdict),
    h('span', { class: 'kpi-note' }, note),
  );
}

async function loadKpis(
  anchorIso: string | null,
  firstIso: string | null,
  signal: AbortSignal,
): Promise<void> {
  const key = chartKey(baseQuery(filters), anchorIso);
  if (byId('kpi-7d').dataset.key === key) return;
  if (!anchorIso) {
    kpiCard('kpi-24h', 'Events, last 24 h', null, 'no data for this filter');
    kpiCard('kpi-7d', 'Events, last 7 days', null, 'no data for this filter');
    return;
  }
  const anchor = Math.floor(Date.parse(anchorIso) / HOUR_MS) * HOUR_MS + HOUR_MS;
  const from = new Date(anchor - 35 * DAY_MS).toISOString();
  const to = new Date(anchor).toISOString();
  const { items } = await getAll<WindowItem>(
    '/v1/windows',
    { ...baseQuery(filters), from, to, granularity: 'hour', limit: 10000 },
    10000,
    signal,
  );
  const first = firstIso ? Date.parse(firstIso) : anchor - 35 * DAY_MS;
  const note = `to ${fmtTime(new Date(anchor).toISOString())} (latest data)`;
  kpiCard('kpi-24h', 'Events, last 24 h', kpi(items, anchor, 24, 28, first), note);
  kpiCard('kpi-7d', 'Events, last 7 days', kpi(items, anchor, 168, 4, first), note);
  byId('kpi-7d').dataset.key = key;
}

// ---------- charts ----------

function singleSeries(f: Filters): { source: string; area: string; category: string } | null {
  return f.source.length === 1 && f.area.length === 1 && f.category.length === 1
    ? { source: f.source[0]!, area: f.area[0]!, category: f.category[0]! }
    : null;
}

async function loadSeries(
  range: { from: string; to: string },
  anomalies: Promise<AnomalyItem[]>,
  signal: AbortSignal,
): Promise<void> {
  const gran = filters.granularity;
  const series = singleSeries(filters);
  const key = chartKey(baseQuery(filters), range, gran, filters.minSeverity);
  if (charts.series.isCurrent(key)) return;
  const [win, fc, anoms] = await Promise.all([
    getAll<WindowItem>(
      '/v1/windows',
      { ...baseQuery(filters), ...range, granularity: gran, limit: 10000 },
      20000,
      signal,
    ),
    series
      ? getJson<ForecastResponse>(
          '/v1/forecast',
          { ...series, granularity: gran, horizon: gran === 'hour' ? 48 : 14 },
          signal,
          true,
        ).catch((e: unknown) => (isAbort(e) ? Promise.reject(e) : errorText(e)))
      : Promise.resolve(
          'choose exactly one source, one area and one category to see the model’s forecast band',
        ),
    anomalies.catch(() => [] as AnomalyItem[]),
  ]);
  const forecastNote = byId('forecast-note');
  if (win.items.length === 0) {
    charts.series.setState(
      'empty',
      `No ${gran === 'hour' ? 'hourly' : 'daily'} counts for this filter between ${range.from} and ${range.to}.`,
    );
    replace(forecastNote, '');
    return;
  }
  const x = win.items.map((w) => w.windowStart);
  const y = win.items.map((w) => w.events);
  const data: Record<string, unknown>[] = [
    {
      type: 'scatter',
      mode: 'lines',
      name: `Events per ${gran}`,
      x,
      y,
      line: { color: '#0072B2', width: 1.5 },
    },
  ];
  if (typeof fc === 'string') replace(forecastNote, `Forecast: ${fc}.`);
  else {
    replace(
      forecastNote,
      `Forecast: model ${fc.modelVersion}, ${fc.items.length} ${gran}s ahead with its interval.`,
    );
    const fx = fc.items.map((p) => p.windowStart);
    data.push(
      {
        type: 'scatter',
        mode: 'lines',
        x: fx,
        y: fc.items.map((p) => p.upper),
        line: { width: 0 },
        hoverinfo: 'skip',
        showlegend: false,
        name: 'upper',
      },
      {
        type: 'scatter',
        mode: 'lines',
        x: fx,
        y: fc.items.map((p) => p.lower),
        fill: 'tonexty',
        fillcolor: 'rgba(230,159,0,0.25)',
        line: { width: 0 },
        name: 'Forecast interval',
      },
      {
        type: 'scatter',
        mode: 'lines',
        x: fx,
        y: fc.items.map((p) => p.expected),
        line: { color: '#E69F00', dash: 'dash' },
        name: 'Forecast (expected)',
      },
    );
  }
  const own = anoms.filter((a) => a.granularity === gran);
  if (own.length > 0) {
    data.push({
      type: 'scatter',
      mode: 'markers',
      name: 'Expected and interval at anomalies',
      x: own.map((a) => a.windowStart),
      y: own.map((a) => a.expected),
      error_y: {
        type: 'data',
        symmetric: false,
        array: own.map((a) => Math.max(0, a.upper - a.expected)),
        arrayminus: own.map((a) => Math.max(0, a.expected - a.lower)),
        color: '#777777',
      },
      marker: { symbol: 'line-ew-open', size: 10, color: '#777777' },
      hoverinfo: 'skip',
    });
    for (const sev of SEVERITIES) {
      const rows = own.filter((a) => a.severity === sev);
      if (rows.length === 0) continue;
      data.push({
        type: 'scatter',
        mode: 'markers',
        name: `Anomaly: ${sev} (click for explanation)`,
        x: rows.map((a) => a.windowStart),
        y: rows.map((a) => a.observed),
        customdata: rows.map((a) => a.id),
        text: rows.map(
          (a) => `${plotText(anomalyTitle(a))}<br>${a.observed} observed, ${fmtNum(a.expected)} expected`,
        ),
        hoverinfo: 'text',
        marker: {
          size: 11,
          color: SEVERITY_STYLE[sev].color,
          symbol: SEVERITY_STYLE[sev].symbol,
          line: { color: '#000', width: 1 },
        },
      });
    }
  }
  const total = y.reduce((a, b) => a + b, 0);
  let peak = 0;
  for (let i = 1; i < y.length; i++) if ((y[i] ?? 0) > (y[peak] ?? 0)) peak = i;
  const alt = `${gran === 'hour' ? 'Hourly' : 'Daily'} events from ${range.from} to ${range.to}: ${fmtInt(total)} in total over ${y.length} ${gran}s, peak ${fmtInt(y[peak] ?? 0)} at ${fmtTime(x[peak] ?? '')}; ${own.length} anomalies marked${typeof fc === 'string' ? '' : '; forecast band shown'}.`;
  await charts.series.draw(
    data,
    { height: 340, xaxis: { type: 'date' }, yaxis: { title: { text: 'events' }, rangemode: 'tozero' } },
    alt,
    (id) => {
      const a = typeof id === 'string' ? anomaliesById.get(id) : undefined;
      if (a) openAnomaly(a);
    },
    key,
  );
}

function renderAnomalyList(items: AnomalyItem[], truncated: boolean): void {
  const el = byId('anomaly-list');
  el.removeAttribute('aria-busy');
  byId('kpi-anomalies-value').textContent = `${fmtInt(items.length)}${truncated ? '+' : ''}`;
  if (items.length === 0) {
    el.dataset.state = 'empty';
    replace(
      el,
      h('p', { class: 'state' }, `No anomalies of severity ${filters.minSeverity} or above in this view.`),
    );
    return;
  }
  el.dataset.state = 'ready';
  const sorted = [...items].sort((a, b) => b.windowStart.localeCompare(a.windowStart)).slice(0, 100);
  replace(
    el,
    h(
      'ul',
      { class: 'anomalies' },
      ...sorted.map((a) => {
        const btn = h('button', { type: 'button', class: 'explain', 'data-anomaly': a.id }, 'Explain');
        btn.addEventListener('click', () => openAnomaly(a));
        return h(
          'li',
          { class: `anomaly-item sev-${a.severity}` },
          h('span', { class: 'sev' }, a.severity),
          ' ',
          h('span', {}, anomalyTitle(a)),
          ' ',
          h('span', { class: 'muted' }, explain(a)),
          ' ',
          btn,
        );
      }),
    ),
    items.length > 100
      ? h('p', { class: 'muted' }, `Newest 100 of ${items.length}${truncated ? '+' : ''} shown.`)
      : null,
  );
}

async function loadHeatmaps(
  range: { from: string; to: string },
  focusSource: string | null,
  signal: AbortSignal,
): Promise<void> {
  const key = chartKey(baseQuery(filters), range, filters.hourFrom, filters.hourTo);
  if (charts.howHeat.isCurrent(key)) return;
  const heat = await getJson<HeatmapResponse>(
    '/v1/heatmap',
    { ...baseQuery(filters), ...range },
    signal,
    true,
  );
  const z = Array.from({ length: 24 }, () => new Array<number>(7).fill(0));
  let total = 0;
  for (const r of heat.hourOfWeek) {
    const hr = r.hourOfWeek % 24;
    if (!hourPasses(filters, hr)) continue;
    const row = z[hr]!;
    row[Math.floor(r.hourOfWeek / 24)]! += r.events;
    total += r.events;
  }
  if (total === 0)
    charts.howHeat.setState(
      'empty',
      'No events with an hour of occurrence in this filter (UK data is monthly).',
    );
  else {
    let best = [0, 0];
    for (let hr = 0; hr < 24; hr++)
      for (let d = 0; d < 7; d++) if ((z[hr]![d] ?? 0) > (z[best[0]!]![best[1]!] ?? 0)) best = [hr, d];
    const hours = Array.from({ length: 24 }, (_, i) => `${String(i).padStart(2, '0')}:00`);
    await charts.howHeat.draw(
      [
        {
          type: 'heatmap',
          x: DAYS,
          y: hours,
          z,
          colorscale: 'Viridis',
          hovertemplate: '%{x} %{y}: %{z} events<extra></extra>',
          colorbar: { title: { text: 'events' }, thickness: 10 },
        },
      ],
      { height: 420, yaxis: { autorange: 'reversed', title: { text: 'local hour' } } },
      `Events by local hour (rows) and day of week (columns), ${fmtInt(total)} events${filters.hourFrom > 0 || filters.hourTo < 24 ? ` between ${filters.hourFrom}:00 and ${filters.hourTo}:00` : ''}; busiest: ${DAYS[best[1]!]} ${hours[best[0]!]} with ${fmtInt(z[best[0]!]![best[1]!] ?? 0)}.`,
    );
  }
  void focusSource;
}

function drawAreaCategory(res: CompstatResponse | null, message: string, key?: string): Promise<void> | void {
  if (!res || res.items.length === 0) {
    charts.areaCat.setState('empty', message);
    return;
  }
  const byArea = new Map<string, number>();
  const cats = new Set<string>();
  for (const r of res.items) {
    if (r.areaId === 'all' || r.category === 'all') continue;
    byArea.set(r.areaId, (byArea.get(r.areaId) ?? 0) + r.current);
    cats.add(r.category);
  }
  const areas = [...byArea]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 25)
    .map(([a]) => a);
  const catList = [...cats].sort();
  const cell = new Map(res.items.map((r) => [`${r.areaId}\u0000${r.category}`, r.current]));
  const z = areas.map((a) => catList.map((c) => cell.get(`${a}\u0000${c}`) ?? 0));
  const cellsOnly = res.items.filter((r) => r.areaId !== 'all' && r.category !== 'all');
  if (cellsOnly.length === 0) {
    charts.areaCat.setState('empty', message);
    return;
  }
  const top = cellsOnly.reduce((m, r) => (r.current > m.current ? r : m), cellsOnly[0]!);
  return charts.areaCat.draw(
    [
      {
        type: 'heatmap',
        x: catList.map(plotText),
        y: areas.map(plotText),
        z,
        colorscale: 'Cividis',
        hovertemplate: 'area %{y}, %{x}: %{z} events<extra></extra>',
        colorbar: { title: { text: 'events' }, thickness: 10 },
      },
    ],
    {
      height: Math.max(320, 22 * areas.length + 120),
      yaxis: { type: 'category', autorange: 'reversed', title: { text: `${res.source} area` } },
      xaxis: { type: 'category', tickangle: -30 },
      margin: { l: 110, r: 16, t: 8, b: 90 },
    },
    `Events by area (top ${areas.length} of ${byArea.size} in ${res.source}) and category, ${res.current.from} to ${res.current.to}; largest: area ${top.areaId}, ${top.category}, ${fmtInt(top.current)} events.`,
    undefined,
    key,
  );
}

async function loadCompstat(
  range: { from: string; to: string },
  source: string | null,
  signal: AbortSignal,
): Promise<void> {
  if (!source) {
    compstat.render(null, 'No source has data for this filter.');
    drawAreaCategory(null, 'No source has data for this filter.');
    return;
  }
  // CompStat periods are at most 366 days (the API's limit): a longer view compares its last 366 days.
  const period = {
    from: isoDay(Math.max(Date.parse(range.from), Date.parse(range.to) - 366 * DAY_MS)),
    to: range.to,
  };
  const res = await getJson<CompstatResponse>(
    '/v1/compstat',
    { source, area: filters.area, category: filters.category, ...period, limit: 5000 },
    signal,
    true,
  );
  compstat.render(res);
  await drawAreaCategory(
    res,
    `No events for ${source} between ${range.from} and ${range.to}.`,
    chartKey(source, filters.area, filters.category, range),
  );
}

async function loadMap(
  range: { from: string; to: string },
  source: string | null,
  signal: AbortSignal,
): Promise<void> {
  if (!source) {
    charts.map.setState('empty', 'No source has data for this filter.');
    return;
  }
  const q = { source, area: filters.area, category: filters.category, ...range };
  const key = chartKey(q);
  if (charts.map.isCurrent(key)) return;
  const [heatmap, hot] = await Promise.all([
    getJson<HeatmapResponse>('/v1/heatmap', { ...q, cellDeg: '0.005' }, signal, true),
    getJson<HotspotResponse>('/v1/hotspots', q, signal, true).catch((e: unknown) =>
      isAbort(e) ? Promise.reject(e) : errorText(e),
    ),
  ]);
  await drawMap(
    charts.map,
    {
      source,
      heatmap,
      hotspots: typeof hot === 'string' ? null : hot,
      ...(typeof hot === 'string' ? { hotspotError: hot } : {}),
    },
    config.tileUrl,
    key,
  );
}

// ---------- latest events ----------

interface EventItem {
  id: string;
  source: string;
  occurredAt: string;
  category: string;
  sourceType: string;
  areaId: string;
  attributes: Record<string, unknown>;
  area: Record<string, string>;
}

const DESCRIPTION_KEYS = ['description', 'pdDescription', 'incidentDescription', 'outcomeStatus'];
const LOCATION_KEYS = [
  'block',
  'location',
  'crossStreet',
  'locationDescription',
  'premisesDescription',
  'locationOfOccurrence',
  'premisesType',
  'intersection',
  'street',
];

function firstText(obj: Record<string, unknown>, keys: string[]): string {
  for (const k of keys) {
    const v = obj[k];
    if (typeof v === 'string' && v.trim()) return v;
  }
  return '';
}

/** Crime descriptions and locations come from outside: text nodes only (dom.ts). */
function eventRow(e: EventItem): HTMLElement {
  const description = firstText(e.attributes, DESCRIPTION_KEYS);
  const location = LOCATION_KEYS.map((k) => e.attributes[k])
    .filter((v): v is string => typeof v === 'string' && v.trim() !== '')
    .join(', ');
  return h(
    'li',
    { 'data-event-id': e.id },
    h('span', { class: 'muted' }, `${fmtTime(e.occurredAt)} · ${e.source} · area ${e.areaId}`),
    h('br', {}),
    h('strong', {}, e.sourceType),
    description ? ` — ${description}` : '',
    location ? h('span', { class: 'muted' }, ` at ${location}`) : null,
  );
}

async function loadEvents(range: { from: string; to: string }, signal: AbortSignal): Promise<void> {
  const el = byId('events-list');
  const res = await getJson<{ items: EventItem[] }>(
    '/v1/events',
    { ...baseQuery(filters), ...range, limit: 10 },
    signal,
    true,
  );
  el.dataset.state = res.items.length ? 'ready' : 'empty';
  replace(
    el,
    res.items.length
      ? h('ol', { class: 'events' }, ...res.items.map(eventRow))
      : h('p', { class: 'state' }, 'No events in this view.'),
  );
}

// ---------- refresh ----------

async function guard(chartSetter: (msg: string) => void, p: Promise<void>): Promise<void> {
  try {
    await p;
  } catch (err) {
    if (!isAbort(err)) chartSetter(`Could not load: ${errorText(err)}`);
  }
}

/**
 * CompStat, the area × category heatmap and the map show one city: the first selected source, or,
 * with none selected, the source whose data reaches latest (so the default "latest 28 days" has data).
 */
function pickFocusSource(): string | null {
  if (filters.source[0]) return filters.source[0];
  const ranked = sources
    .filter((s) => (s.stored?.events ?? 0) > 0)
    .sort(
      (a, b) =>
        (b.stored?.newestOccurredAt ?? '').localeCompare(a.stored?.newestOccurredAt ?? '') ||
        (b.stored?.events ?? 0) - (a.stored?.events ?? 0),
    );
  return ranked[0]?.source ?? null;
}

/** Newest stored event of the selected sources (all when none is selected); null when unknown. */
function sourcesAnchor(): string | null {
  let best: string | null = null;
  for (const s of sources) {
    if (filters.source.length > 0 && !filters.source.includes(s.source)) continue;
    const t = s.stored?.newestOccurredAt ?? null;
    if (t !== null && (best === null || t > best)) best = t;
  }
  return best;
}

async function refresh(): Promise<void> {
  round?.abort();
  const ctrl = new AbortController();
  round = ctrl;
  const { signal } = ctrl;
  mark('cp:refresh-start');
  for (const c of Object.values(charts)) c.begin();
  byId('anomaly-list').setAttribute('aria-busy', 'true');
  document.body.dataset.ready = 'false';
  // The dropdowns' options and the KPIs' data start come from /v1/stats; the view's range does not
  // wait for it: it is anchored at the newest stored event of the selected sources (/v1/sources).
  const statsPromise = getJson<StatsResponse>(
    '/v1/stats',
    { source: filters.source, category: filters.category, limit: 100 },
    signal,
    true,
  );
  let anchor = sourcesAnchor();
  if (anchor === null) {
    try {
      anchor = (await statsPromise).lastOccurredAt;
    } catch (err) {
      if (isAbort(err)) return;
      for (const c of Object.values(charts)) c.setState('error', `Could not load: ${errorText(err)}`);
      return;
    }
  }
  const range = effectiveRange(filters, anchor);
  writeForm(filters, range);
  const optionsTask = statsPromise.then((stats) => {
    fillSelect(
      byId('f-source'),
      [...new Set([...sources.map((s) => s.source), ...stats.sources.map((s) => s.source)])]
        .sort()
        .map((s) => {
          const n = stats.sources.find((x) => x.source === s);
          return { value: s, label: `${s}${n ? ` (${fmtInt(n.events)})` : ''}` };
        }),
      filters.source,
    );
    fillSelect(
      byId('f-area'),
      stats.topAreas.map((a) => ({
        value: a.areaId,
        label: `${a.source} · ${a.areaId} (${fmtInt(a.events)})`,
      })),
      filters.area,
    );
    return stats;
  });
  byId('range-note').textContent =
    `Showing ${range.from} to ${range.to}${filters.from || filters.to ? '' : ' (the latest 28 days of data)'}.`;
  const focusSource = pickFocusSource();
  byId('focus-source').textContent = focusSource
    ? `CompStat, area × category and map show ${focusSource}${filters.source.length > 1 ? ' (the first selected source)' : filters.source.length === 0 ? ' (the source with the newest data; pick a source to change)' : ''}.`
    : '';
  const anomalyQuery = { ...baseQuery(filters), ...range, minSeverity: filters.minSeverity, limit: 1000 };
  const anomalyPromise = getAll<AnomalyItem>('/v1/anomalies', anomalyQuery, 2000, signal);
  const anomalyItems = anomalyPromise.then((r) => {
    for (const a of r.items) anomaliesById.set(a.id, a);
    return r.items;
  });
  const tasks = [
    guard(
      () => kpiCard('kpi-24h', 'Events, last 24 h', null, 'could not load'),
      optionsTask.then((stats) => loadKpis(anchor, stats.firstOccurredAt, signal)),
    ),
    guard((m) => charts.series.setState('error', m), loadSeries(range, anomalyItems, signal)),
    guard(
      (m) => {
        const el = byId('anomaly-list');
        el.dataset.state = 'error';
        replace(el, h('p', { class: 'state' }, m));
      },
      anomalyPromise.then((r) => renderAnomalyList(r.items, r.truncated)),
    ),
    guard((m) => charts.howHeat.setState('error', m), loadHeatmaps(range, focusSource, signal)),
    guard(
      (m) => {
        compstat.render(null, m);
        charts.areaCat.setState('error', m);
      },
      loadCompstat(range, focusSource, signal),
    ),
    guard((m) => charts.map.setState('error', m), loadMap(range, focusSource, signal)),
    guard((m) => replace(byId('events-list'), h('p', { class: 'state' }, m)), loadEvents(range, signal)),
  ];
  await Promise.all(tasks);
  if (signal.aborted) return;
  mark('cp:refresh-done');
  document.body.dataset.ready = 'true';
  document.dispatchEvent(new CustomEvent('cp:rendered'));
}

// ---------- live feed ----------

function feedMatches(a: AnomalyItem): boolean {
  return (
    (filters.source.length === 0 || filters.source.includes(a.source)) &&
    (filters.area.length === 0 || filters.area.includes(a.areaId)) &&
    (filters.category.length === 0 || filters.category.includes(a.category)) &&
    SEVERITIES.indexOf(a.severity) >= SEVERITIES.indexOf(filters.minSeverity)
  );
}

function feedItem(a: AnomalyItem, live: boolean): HTMLElement {
  const btn = h('button', { type: 'button', class: 'explain', 'data-anomaly': a.id }, 'Explain');
  btn.addEventListener('click', () => openAnomaly(a));
  return h(
    'li',
    { class: `anomaly-item sev-${a.severity}${live ? ' live' : ''}`, 'data-anomaly-id': a.id },
    h('span', { class: 'sev' }, a.severity),
    ' ',
    h('span', {}, anomalyTitle(a)),
    ' ',
    h('span', { class: 'muted' }, explain(a)),
    ' ',
    btn,
  );
}

function startFeed(): void {
  const list = byId('feed-list');
  const status = byId('feed-status');
  let newEvents = 0;
  void getJson<{ items: AnomalyItem[] }>('/v1/anomalies', { limit: 20 })
    .then((r) => {
      if (list.children.length === 0 && r.items.length === 0)
        replace(
          list,
          h(
            'li',
            { class: 'muted', id: 'feed-empty' },
            'No anomalies yet; new ones appear here as they are detected.',
          ),
        );
      for (const a of r.items.sort((x, y) => y.detectedAt.localeCompare(x.detectedAt))) {
        anomaliesById.set(a.id, a);
        if (!list.querySelector(`[data-anomaly-id="${CSS.escape(a.id)}"]`)) list.append(feedItem(a, false));
      }
    })
    .catch((err: unknown) => replace(status, `Could not load recent anomalies: ${errorText(err)}`));
  if (typeof EventSource === 'undefined') {
    status.textContent = 'Live updates are not supported by this browser.';
    return;
  }
  const es = new EventSource('/v1/stream');
  es.addEventListener('open', () => {
    status.textContent = 'Live: connected to the anomaly stream.';
    status.dataset.live = 'true';
  });
  es.addEventListener('error', () => {
    status.textContent = 'Live stream disconnected; reconnecting…';
    status.dataset.live = 'false';
  });
  es.addEventListener('anomaly', (ev) => {
    let a: AnomalyItem;
    try {
      a = JSON.parse((ev as MessageEvent<string>).data) as AnomalyItem;
    } catch {
      return;
    }
    anomaliesById.set(a.id, a);
    if (!feedMatches(a)) return;
    document.getElementById('feed-empty')?.remove();
    list.querySelector(`[data-anomaly-id="${CSS.escape(a.id)}"]`)?.remove();
    list.prepend(feedItem(a, true));
    while (list.children.length > 50) list.lastElementChild?.remove();
  });
  es.addEventListener('events', (ev) => {
    try {
      const d = JSON.parse((ev as MessageEvent<string>).data) as { total: number; sample?: EventItem[] };
      newEvents += d.total;
      const ol = document.querySelector('#events-list ol.events');
      if (ol && Array.isArray(d.sample)) {
        for (const e of d.sample.slice(0, 10)) ol.prepend(eventRow(e));
        while (ol.children.length > 10) ol.lastElementChild?.remove();
      }
    } catch {
      return;
    }
    const btn = byId<HTMLButtonElement>('refresh-live');
    btn.hidden = false;
    btn.textContent = `${fmtInt(newEvents)} new events arrived: refresh the charts`;
  });
  byId('refresh-live').addEventListener('click', () => {
    newEvents = 0;
    dataGen++;
    clearCache();
    byId('refresh-live').hidden = true;
    void refreshSources();
    void refresh();
  });
}

async function refreshSources(): Promise<void> {
  try {
    sources = (await getJson<{ items: SourceItem[] }>('/v1/sources')).items;
    renderSources();
  } catch (err) {
    replace(byId('sources'), h('li', {}, `Sources unavailable: ${errorText(err)}`));
  }
}

async function main(): Promise<void> {
  mark('cp:shell');
  try {
    config = { ...config, ...((await getJson<Partial<ClientConfig>>('/config.json')) as ClientConfig) };
  } catch {
    /* defaults: chat at /chat, no tiles */
  }
  const chat = byId<HTMLAnchorElement>('chat-button');
  const chatHref = h('a', { href: config.chatUrl }).getAttribute('href');
  if (chatHref) chat.href = chatHref;
  setupForm();
  byId('anomaly-detail-close').addEventListener('click', () =>
    byId<HTMLDialogElement>('anomaly-detail').close(),
  );
  await refreshSources();
  startFeed();
  await refresh();
  setInterval(() => void refreshSources(), 30_000);
}

void main();
