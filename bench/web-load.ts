/**
 * Dashboard load benchmark in headless Chromium (`node bin/run-ts.js bench/web-load.ts`).
 *
 * Store: the Chicago, LA and UK samples replayed through the real pipeline (test/web/start-app.ts),
 * then resampled to BENCH_EVENTS (default 1M) events: every event copied K times with new ids and
 * incident keys, and every window's counts multiplied by K, so events and windows stay consistent.
 *
 * Measured (performance marks set by web/src/main.ts):
 *   - first load: navigation start → all charts rendered (`cp:refresh-done`), and the shell
 *     (`cp:shell`, scripts parsed) → all charts rendered = "first data paint after the shell";
 *   - filter change: a change event on the filter form → all charts re-rendered (`cp:rendered`), for
 *     views not seen before in the page (every query goes to the API) and for views seen before
 *     (the page's response cache answers and unchanged charts are not redrawn);
 *   - bundle: gzip bytes of what the first load fetches (index.html, JS, CSS, plotly cartesian) and of
 *     the tile-map chunk that only a configured tile URL loads.
 * Targets: p95 < 250 ms first data paint after the shell; p95 < 100 ms per filter change.
 * Writes bench/results/web.json. `--smoke` (or BENCH_SMOKE=1): 60k events, few runs.
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { CHROMIUM_MISSING, ensureWebBuilt, haveChromium, launchBrowser } from '../test/web/browser.js';
import { startTestApp } from '../test/web/start-app.js';

const SMOKE = process.argv.includes('--smoke') || process.env.BENCH_SMOKE === '1';
const TARGET = Number(process.env.BENCH_EVENTS ?? (SMOKE ? 60_000 : 1_000_000));
const LOADS = SMOKE ? 3 : 15;

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? Number.NaN;
}
const summary = (xs: number[]) => ({
  n: xs.length,
  p50: Math.round(pct(xs, 50)),
  p95: Math.round(pct(xs, 95)),
  max: Math.round(Math.max(...xs)),
});

if (!haveChromium()) {
  console.error(CHROMIUM_MISSING);
  process.exit(1);
}
ensureWebBuilt();
const startedAt = new Date().toISOString();
const load0 = loadavg();
const t0 = Date.now();
const app = await startTestApp({ sources: ['chicago', 'la', 'uk-police'] });
const base = await app.settle();
const ingestMs = Date.now() - t0;
const K = Math.max(1, Math.ceil(TARGET / base));
const db = app.store.reader;
const t1 = Date.now();
if (K > 1) {
  await db.run(
    `INSERT INTO events SELECT e.* REPLACE (e.id || '#' || t.k AS id, e.source_key || '#' || t.k AS source_key, e.incident_key || '#' || t.k AS incident_key) FROM events e, range(1, ${K}) t(k)`,
  );
  for (const t of ['windows_hourly', 'windows_daily', 'windows_monthly']) {
    await db.run(
      `UPDATE ${t} SET event_count = event_count * ${K}, incident_count = incident_count * ${K}, arrest_count = arrest_count * ${K}, domestic_count = domestic_count * ${K}, arrest_known = arrest_known * ${K}, domestic_known = domestic_known * ${K}`,
    );
  }
  await db.run('CHECKPOINT');
}
const events = await app.count();
const resampleMs = Date.now() - t1;
console.log(
  `store: ${events} events (${base} replayed ×${K}) in ${((ingestMs + resampleMs) / 1000).toFixed(1)} s`,
);

const browser = await launchBrowser();
const firstLoad: number[] = [];
const afterShell: number[] = [];
const coldFirst: { total: number; afterShell: number }[] = [];
for (let i = 0; i < LOADS; i++) {
  const page = await browser.context.newPage();
  await page.goto(`${app.url}/`);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 120_000 });
  // Scripts as strings: tsx's keepNames would wrap inner functions with a `__name` the page lacks.
  const m = (await page.evaluate(`({
    shell: performance.getEntriesByName('cp:shell')[0]?.startTime ?? NaN,
    done: performance.getEntriesByName('cp:refresh-done')[0]?.startTime ?? NaN,
  })`)) as { shell: number; done: number };
  if (i === 0) coldFirst.push({ total: m.done, afterShell: m.done - m.shell });
  else {
    firstLoad.push(m.done);
    afterShell.push(m.done - m.shell);
  }
  await page.close();
}

// Filter changes: each page starts with an empty response cache; the 7 steps are distinct views
// (uncached: every query goes to the API), then the same views again in reverse (cached in the page).
const PAGES = SMOKE ? 1 : 4;
const steps: Record<string, string[]>[] = [
  { '#f-source': ['chicago'] },
  { '#f-category': ['theft'] },
  { '#f-granularity': ['hour'] },
  { '#f-source': ['la'] },
  { '#f-category': [] },
  { '#f-granularity': ['day'] },
  { '#f-category': ['burglary'] },
];
const changes: number[] = [];
const cachedChanges: number[] = [];
interface ChangeTiming {
  total: number;
  /** First /v1 request start → last /v1 response end (the API's share, network on loopback). */
  apiSpan: number;
  /** Longest request per route. */
  routes: Record<string, number>;
  /** Plotly drawing per chart (performance.measure `cp:draw:*`). */
  draws: Record<string, number>;
}
const routeTimes: Record<string, number[]> = {};
const drawTimes: Record<string, number[]> = {};
const apiSpans: number[] = [];
async function apply(
  page: import('playwright-core').Page,
  step: Record<string, string[]>,
  breakdown: boolean,
): Promise<number> {
  const [sel, values] = Object.entries(step)[0]!;
  const t = (await page.evaluate(`new Promise((resolve) => {
    const el = document.querySelector(${JSON.stringify(sel)});
    const values = ${JSON.stringify(values)};
    for (const o of Array.from(el.options)) o.selected = values.includes(o.value);
    performance.clearResourceTimings();
    performance.clearMeasures();
    const start = performance.now();
    document.addEventListener('cp:rendered', () => {
      const total = performance.now() - start;
      const res = performance.getEntriesByType('resource').filter((e) => e.name.includes('/v1/'));
      const routes = {};
      for (const e of res) {
        const r = new URL(e.name).pathname;
        routes[r] = Math.max(routes[r] ?? 0, e.duration);
      }
      const apiSpan = res.length ? Math.max(...res.map((e) => e.responseEnd)) - Math.min(...res.map((e) => e.startTime)) : 0;
      const draws = {};
      for (const m of performance.getEntriesByType('measure')) if (m.name.startsWith('cp:draw:')) draws[m.name.slice(8)] = m.duration;
      resolve({ total, apiSpan, routes, draws });
    }, { once: true });
    el.dispatchEvent(new Event('change', { bubbles: true }));
  })`)) as ChangeTiming;
  if (breakdown) {
    apiSpans.push(t.apiSpan);
    for (const [r, ms] of Object.entries(t.routes)) routeTimes[r] = [...(routeTimes[r] ?? []), ms];
    for (const [c, ms] of Object.entries(t.draws)) drawTimes[c] = [...(drawTimes[c] ?? []), ms];
  }
  return t.total;
}
// Reverse steps restore the previous state of the changed control.
const reverse: Record<string, string[]>[] = [
  { '#f-category': [] },
  { '#f-granularity': ['hour'] },
  { '#f-category': ['theft'] },
  { '#f-source': ['chicago'] },
  { '#f-granularity': ['day'] },
  { '#f-category': [] },
  { '#f-source': [] },
];
for (let p = 0; p < PAGES; p++) {
  const page = await browser.context.newPage();
  await page.goto(`${app.url}/`);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 120_000 });
  for (const step of steps.slice(0, SMOKE ? 4 : steps.length)) changes.push(await apply(page, step, true));
  if (!SMOKE) for (const step of reverse) cachedChanges.push(await apply(page, step, false));
  await page.close();
}
await browser.close();
await app.close();

const dist = 'web/dist';
const files = readdirSync(join(dist, 'assets'));
const gz = (f: string) => statSync(`${f}.gz`).size;
const html = readFileSync(join(dist, 'index.html'), 'utf8');
const initial = files
  .filter((f) => f.endsWith('.js') || f.endsWith('.css'))
  .filter((f) => !f.startsWith('plotly.min'));
const bundle = {
  initialGzipBytes:
    gz(join(dist, 'index.html')) +
    initial.reduce(
      (a, f) =>
        a +
        (statSync(join(dist, 'assets', f)).size < 1024
          ? statSync(join(dist, 'assets', f)).size
          : gz(join(dist, 'assets', f))),
      0,
    ),
  appGzipBytes: initial
    .filter((f) => f.startsWith('index'))
    .reduce((a, f) => a + gz(join(dist, 'assets', f)), 0),
  plotlyCartesianGzipBytes: initial
    .filter((f) => f.startsWith('plotly-cartesian'))
    .reduce((a, f) => a + gz(join(dist, 'assets', f)), 0),
  tileMapChunkGzipBytes: files
    .filter((f) => f.startsWith('plotly.min') && f.endsWith('.js'))
    .reduce((a, f) => a + gz(join(dist, 'assets', f)), 0),
  htmlReferencesPlotlyDirectly: html.includes('plotly'),
};
const result = {
  bench: 'web-load',
  startedAt,
  machine: {
    cores: cpus().length,
    loadAverageAtStart: load0.map((x) => Math.round(x * 100) / 100),
    loadAverageAtEnd: loadavg().map((x) => Math.round(x * 100) / 100),
    node: process.version,
  },
  smoke: SMOKE,
  store: {
    events,
    replayed: base,
    copies: K,
    sources: ['chicago', 'la', 'uk-police'],
    buildSeconds: Math.round((ingestMs + resampleMs) / 100) / 10,
  },
  browser: 'Debian chromium, headless, same machine as the server',
  firstLoadMs: { cold: coldFirst[0], warm: summary(firstLoad) },
  firstDataAfterShellMs: summary(afterShell),
  filterChangeMs: summary(changes),
  filterChangeCachedMs: cachedChanges.length ? summary(cachedChanges) : null,
  filterChangeBreakdown: {
    note: 'uncached changes: API span = first /v1 request start to last response end; routes = longest request of each route per change; draws = plotly time per chart',
    apiSpanMs: summary(apiSpans),
    routeMs: Object.fromEntries(Object.entries(routeTimes).map(([r, xs]) => [r, summary(xs)])),
    drawMs: Object.fromEntries(Object.entries(drawTimes).map(([c, xs]) => [c, summary(xs)])),
  },
  targets: { firstDataAfterShellP95Ms: 250, filterChangeP95Ms: 100 },
  met: { firstDataAfterShell: pct(afterShell, 95) < 250, filterChange: pct(changes, 95) < 100 },
  bundle,
  note: 'Times include the API queries (DuckDB on the resampled store) and plotly drawing; the server, the browser and other work share 2 cores. Warm loads reuse the browser cache (hashed assets are immutable).',
};
if (!SMOKE || process.argv.includes('--keep'))
  writeFileSync('bench/results/web.json', `${JSON.stringify(result, null, 2)}\n`);
console.log(JSON.stringify(result, null, 2));
