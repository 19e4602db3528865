/**
 * Chart plumbing: plotly (cartesian bundle, loaded lazily so the shell and KPIs paint first), an
 * explicit state per chart (`data-state` = loading | ready | empty | error, with a visible message),
 * and a text alternative per chart (a summary sentence, read by screen readers and shown under the
 * chart). Colours: Okabe–Ito for categories, viridis/cividis for magnitudes (colour-blind safe).
 */
import type { Data, Layout, PlotlyHTMLElement } from 'plotly.js-cartesian-dist-min';
import { replace } from './dom.js';

export const OKABE_ITO = [
  '#0072B2',
  '#E69F00',
  '#009E73',
  '#CC79A7',
  '#56B4E9',
  '#D55E00',
  '#F0E442',
  '#000000',
];
export const SEVERITY_STYLE = {
  low: { color: '#56B4E9', symbol: 'circle' },
  medium: { color: '#E69F00', symbol: 'square' },
  high: { color: '#D55E00', symbol: 'triangle-up' },
} as const;

type PlotlyApi = typeof import('plotly.js-cartesian-dist-min')['default'];
let plotly: Promise<PlotlyApi> | null = null;
export function loadPlotly(): Promise<PlotlyApi> {
  plotly ??= import('plotly.js-cartesian-dist-min').then((m) => m.default);
  return plotly;
}

/**
 * Plotly renders a small HTML subset in text (labels, hover); data strings are escaped so a crime
 * field can never become markup there either.
 */
export function plotText(s: string): string {
  return s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');
}

export type ChartState = 'loading' | 'ready' | 'empty' | 'error';

/** A chart slot in index.html: `<figure data-chart=NAME>` with `.plot`, `.state` and `.alt` children. */
export class Chart {
  readonly fig: HTMLElement;
  readonly plot: HTMLElement;
  readonly stateEl: HTMLElement;
  readonly alt: HTMLElement;
  #drawn = false;
  #key: string | null = null;
  #timer: ReturnType<typeof setTimeout> | null = null;

  constructor(readonly name: string) {
    const fig = document.querySelector<HTMLElement>(`[data-chart="${name}"]`);
    if (!fig) throw new Error(`missing chart slot ${name}`);
    this.fig = fig;
    this.plot = fig.querySelector<HTMLElement>('.plot')!;
    this.stateEl = fig.querySelector<HTMLElement>('.state')!;
    this.alt = fig.querySelector<HTMLElement>('.alt')!;
  }

  setState(state: ChartState, message = ''): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    if (state !== 'ready') this.#key = null;
    this.fig.dataset.state = state;
    this.fig.setAttribute('aria-busy', state === 'loading' ? 'true' : 'false');
    replace(this.stateEl, message);
    this.stateEl.hidden = message === '';
    if ((state === 'empty' || state === 'error') && this.#drawn) {
      void loadPlotly().then((P) => P.purge(this.plot));
      this.#drawn = false;
      replace(this.alt, message);
    }
  }

  loading(): void {
    this.setState('loading', 'Loading…');
  }

  /** A refresh started: say "Loading…" only if it takes long enough to notice (no flicker on cached data). */
  begin(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.fig.setAttribute('aria-busy', 'true');
    this.#timer = setTimeout(() => this.loading(), this.#drawn ? 150 : 0);
  }

  /** The inputs of the drawn chart; `draw` with the same key does nothing (plotly work skipped). */
  isCurrent(key: string): boolean {
    if (this.#key !== key || !this.#drawn) return false;
    this.setState('ready');
    return true;
  }

  async draw(
    data: Data[],
    layout: Layout,
    alt: string,
    onClick?: (customdata: unknown) => void,
    key?: string,
  ): Promise<void> {
    if (key !== undefined && this.isCurrent(key)) return;
    const P = await loadPlotly();
    const t0 = performance.now();
    const el: PlotlyHTMLElement = await P.react(this.plot, data, { ...BASE_LAYOUT, ...layout }, PLOT_CONFIG);
    if (onClick && !this.#drawn) el.on('plotly_click', (e) => onClick(e.points[0]?.customdata));
    performance.measure(`cp:draw:${this.name}`, { start: t0, end: performance.now() });
    this.#drawn = true;
    this.#key = key ?? null;
    replace(this.alt, alt);
    this.plot.setAttribute('aria-label', alt);
    this.setState('ready');
  }
}

export const BASE_LAYOUT: Layout = {
  autosize: true,
  margin: { l: 56, r: 16, t: 8, b: 48 },
  font: { family: 'system-ui, sans-serif', size: 12, color: '#1b1b1b' },
  paper_bgcolor: '#ffffff',
  plot_bgcolor: '#ffffff',
  colorway: OKABE_ITO,
  legend: { orientation: 'h', y: -0.2 },
  hoverlabel: { namelength: -1 },
};

export const PLOT_CONFIG = { responsive: true, displayModeBar: false, displaylogo: false };

export const DAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
