/**
 * The map: area outlines from the real boundary files (web/public/boundaries, see its README) filled
 * as a classed choropleth of event counts, event density on a lat/lon grid (the API's heatmap bins),
 * and Gi* hot/cold spots. It is drawn on plain cartesian axes (lon × lat with the latitude's aspect
 * ratio), so it needs neither network nor WebGL; when a tile URL is configured the full plotly bundle
 * is loaded on demand and the same layers are drawn over raster tiles (`densitymap`).
 */
import type { Data } from 'plotly.js-cartesian-dist-min';
import type { HeatmapResponse, HotspotResponse } from './api.js';
import { type Chart, plotText } from './charts.js';
import { fmtInt } from './dom.js';

export interface Boundary {
  sources: string[];
  joinField: string;
  licence: string;
  features: { id: string; name: string; rings: [number, number][][] }[];
}
interface BoundaryIndexEntry {
  file: string;
  sources: string[];
  joinField: string;
  licence: string;
}

let indexPromise: Promise<BoundaryIndexEntry[]> | null = null;
const cache = new Map<string, Promise<Boundary>>();

export async function boundaryFor(source: string): Promise<Boundary | null> {
  indexPromise ??= fetch('/boundaries/index.json').then((r) =>
    r.ok ? (r.json() as Promise<BoundaryIndexEntry[]>) : [],
  );
  const entry = (await indexPromise).find((e) => e.sources.includes(source));
  if (!entry) return null;
  let p = cache.get(entry.file);
  if (!p) {
    p = fetch(`/boundaries/${entry.file}`).then((r) => r.json() as Promise<Boundary>);
    cache.set(entry.file, p);
  }
  return p;
}

/** Equal-count (quantile) class breaks, at most `k` classes. */
export function classBreaks(values: number[], k: number): number[] {
  const v = [...values].filter((x) => x > 0).sort((a, b) => a - b);
  if (v.length === 0) return [];
  const breaks: number[] = [];
  for (let i = 1; i < k; i++) {
    const b = v[Math.min(v.length - 1, Math.floor((i * v.length) / k))]!;
    if (breaks.at(-1) !== b) breaks.push(b);
  }
  return breaks;
}

// cividis-like sequential classes, readable for every common colour-vision deficiency.
const CLASS_COLOURS = ['#fde73780', '#b5c75a80', '#7c9a7280', '#575d6d80', '#2c3e6e80', '#00204d80'];

export interface MapInput {
  source: string;
  heatmap: HeatmapResponse;
  hotspots: HotspotResponse | null;
  hotspotError?: string;
}

export async function drawMap(
  chart: Chart,
  input: MapInput,
  tileUrl: string | null,
  key?: string,
): Promise<void> {
  const boundary = await boundaryFor(input.source);
  const totals = new Map<string, number>();
  for (const r of input.heatmap.hourOfWeek) {
    const k = r.areaId.toUpperCase();
    totals.set(k, (totals.get(k) ?? 0) + r.events);
  }
  const bins = input.heatmap.grid.bins;
  if (bins.length === 0 && totals.size === 0) {
    chart.setState('empty', `No events with a location for ${input.source} in this filter.`);
    return;
  }
  const traces: Data[] = [];
  let lonMin = Number.POSITIVE_INFINITY;
  let lonMax = Number.NEGATIVE_INFINITY;
  let latMin = Number.POSITIVE_INFINITY;
  let latMax = Number.NEGATIVE_INFINITY;
  const extend = (lon: number, lat: number) => {
    lonMin = Math.min(lonMin, lon);
    lonMax = Math.max(lonMax, lon);
    latMin = Math.min(latMin, lat);
    latMax = Math.max(latMax, lat);
  };
  let matched = 0;
  if (boundary) {
    const counts = boundary.features.map((f) => totals.get(f.id) ?? 0);
    const breaks = classBreaks(counts, 5);
    const classOf = (n: number) => (n <= 0 ? 0 : 1 + breaks.filter((b) => n > b).length);
    const byClass = new Map<number, { x: (number | null)[]; y: (number | null)[] }>();
    const cx: number[] = [];
    const cy: number[] = [];
    const ctext: string[] = [];
    boundary.features.forEach((f, i) => {
      const n = counts[i] ?? 0;
      if (n > 0) matched++;
      const cls = classOf(n);
      const acc = byClass.get(cls) ?? { x: [], y: [] };
      byClass.set(cls, acc);
      let sx = 0;
      let sy = 0;
      let np = 0;
      for (const ring of f.rings) {
        for (const [lon, lat] of ring) {
          acc.x.push(lon);
          acc.y.push(lat);
          extend(lon, lat);
          sx += lon;
          sy += lat;
          np++;
        }
        acc.x.push(null);
        acc.y.push(null);
      }
      cx.push(sx / Math.max(np, 1));
      cy.push(sy / Math.max(np, 1));
      ctext.push(plotText(`${f.name} (${f.id}): ${fmtInt(n)} events`));
    });
    const lows = [0, ...breaks];
    for (const [cls, acc] of [...byClass].sort((a, b) => a[0] - b[0])) {
      const label =
        cls === 0
          ? 'no events'
          : cls > breaks.length
            ? `> ${fmtInt(lows[cls - 1] ?? 0)}`
            : `≤ ${fmtInt(breaks[cls - 1] ?? 0)}`;
      traces.push({
        type: 'scatter',
        mode: 'lines',
        x: acc.x,
        y: acc.y,
        fill: 'toself',
        fillcolor: cls === 0 ? '#ffffff00' : CLASS_COLOURS[Math.min(cls - 1, CLASS_COLOURS.length - 1)],
        line: { color: '#555555', width: 0.7 },
        name: `Areas: ${label}`,
        hoverinfo: 'skip',
      });
    }
    traces.push({
      type: 'scatter',
      mode: 'markers',
      x: cx,
      y: cy,
      text: ctext,
      hoverinfo: 'text',
      marker: { size: 6, opacity: 0 },
      showlegend: false,
      name: 'areas',
    });
  }
  if (bins.length > 0) {
    for (const b of bins) extend(b.lon, b.lat);
    const max = Math.max(...bins.map((b) => b.events));
    traces.push({
      type: 'scatter',
      mode: 'markers',
      name: `Event density (${input.heatmap.grid.cellDeg}° cells)`,
      x: bins.map((b) => b.lon),
      y: bins.map((b) => b.lat),
      text: bins.map((b) => `${fmtInt(b.events)} events`),
      hoverinfo: 'text',
      marker: {
        symbol: 'square',
        size: 6,
        color: bins.map((b) => b.events),
        colorscale: 'Viridis',
        cmin: 0,
        cmax: max,
        opacity: 0.75,
        colorbar: { title: { text: 'events' }, thickness: 10 },
      },
    });
  }
  const hs = input.hotspots?.items ?? [];
  for (const cls of ['hot', 'cold'] as const) {
    // The strongest 60 of each class: hundreds of markers would hide the areas and the density.
    const pts = hs
      .filter((p) => p.class === cls)
      .sort((a, b) => Math.abs(b.z) - Math.abs(a.z))
      .slice(0, 60);
    if (pts.length === 0) continue;
    traces.push({
      type: 'scatter',
      mode: 'markers',
      name: cls === 'hot' ? 'Hot spot (Gi*, q ≤ 0.05)' : 'Cold spot (Gi*, q ≤ 0.05)',
      x: pts.map((p) => p.lon),
      y: pts.map((p) => p.lat),
      text: pts.map(
        (p) => `${cls} spot: ${fmtInt(p.events)} events, z = ${p.z.toFixed(1)}, q = ${p.q.toPrecision(2)}`,
      ),
      hoverinfo: 'text',
      marker: {
        symbol: cls === 'hot' ? 'triangle-up' : 'triangle-down',
        size: 7,
        color: cls === 'hot' ? '#D55E00' : '#0072B2',
        line: { color: '#000', width: 0.5 },
      },
    });
  }
  const midLat = (latMin + latMax) / 2;
  const alt = `Map of ${input.source}: ${boundary ? `${matched} of ${boundary.features.length} areas (${boundary.joinField}) have events` : 'no area outlines for this source'}; ${bins.length} grid cells with events; ${hs.filter((p) => p.class === 'hot').length} hot spots and ${hs.filter((p) => p.class === 'cold').length} cold spots (the strongest 60 of each drawn).${input.hotspotError ? ` Hot spots unavailable: ${input.hotspotError}` : ''}`;
  if (tileUrl) {
    await drawTiled(chart, traces, tileUrl, { lat: midLat, lon: (lonMin + lonMax) / 2 }, alt);
    return;
  }
  await chart.draw(
    traces,
    {
      xaxis: {
        range: [lonMin - 0.01, lonMax + 0.01],
        showgrid: false,
        zeroline: false,
        title: { text: 'longitude' },
      },
      yaxis: {
        range: [latMin - 0.01, latMax + 0.01],
        showgrid: false,
        zeroline: false,
        title: { text: 'latitude' },
        scaleanchor: 'x',
        scaleratio: 1 / Math.cos((midLat * Math.PI) / 180),
      },
      legend: { orientation: 'h', y: -0.15 },
      height: 460,
    },
    alt,
    undefined,
    key,
  );
}

/** Same layers over raster tiles with the full plotly bundle (only fetched when a tile URL is set). */
async function drawTiled(
  chart: Chart,
  traces: Data[],
  tileUrl: string,
  center: { lat: number; lon: number },
  alt: string,
): Promise<void> {
  const P = (await import('plotly.js-dist-min')).default;
  const mapped = traces.map((t) => {
    const { x, y, fill, fillcolor, ...rest } = t as Record<string, unknown>;
    return { ...rest, type: 'scattermap', lon: x, lat: y, ...(fill ? { fill, fillcolor } : {}) };
  });
  await P.react(
    chart.plot,
    mapped,
    {
      margin: { l: 0, r: 0, t: 0, b: 0 },
      height: 460,
      map: {
        center,
        zoom: 10,
        style: {
          version: 8,
          sources: { tiles: { type: 'raster', tiles: [tileUrl], tileSize: 256 } },
          layers: [{ id: 'tiles', type: 'raster', source: 'tiles' }],
        },
      },
    },
    { responsive: true, displayModeBar: false },
  );
  chart.plot.setAttribute('aria-label', alt);
  chart.alt.textContent = alt;
  chart.setState('ready');
}
