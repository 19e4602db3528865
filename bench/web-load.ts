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
 *   - filter change: a change event on the filter form → all charts re-rendered (`cp:rendered`);
 *   - bundle: gzip bytes of what the first load fetches (index.html, JS, CSS, plotly cartesian) and of
 *     the tile-map chunk that only a configured tile URL loads.
 * Targets: p95 < 250 ms first data paint after the shell; p95 < 100 ms per filter change.
 * Writes bench/results/web.json. `--smoke` (or BENCH_SMOKE=1): 60k events, few runs.
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { ensureWebBuilt, haveChromium, CHROMIUM_MISSING, launchBrowser } from '../test/web/browser.js';
import { startTestApp } from '../test/web/start-app.js';

const SMOKE = process.argv.includes('--smoke') || process.env.BENCH_SMOKE === '1';
const TARGET = Number(process.env.BENCH_EVENTS ?? (SMOKE ? 60_000 : 1_000_000));
const LOADS = SMOKE ? 3 : 15;
const CHANGES = SMOKE ? 4 : 30;

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? Number.NaN;
}
const summary = (xs: number[]) => ({ n: xs.length, p50: Math.round(pct(xs, 50)), p95: Math.round(pct(xs, 95)), max: Math.round(Math.max(...xs)) });

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
  await db.run(`INSERT INTO events SELECT * REPLACE (id || '#' || k AS id, source_key || '#' || k AS source_key, incident_key || '#' || k AS incident_key) FROM events, range(1, ${K}) t(k)`);
  for (const t of ['windows_hourly', 'windows_daily', 'windows_monthly']) {
    await db.run(`UPDATE ${t} SET event_count = event_count * ${K}, incident_count = incident_count * ${K}, arrest_count = arrest_count * ${K}, domestic_count = domestic_count * ${K}, arrest_known = arrest_known * ${K}, domestic_known = domestic_known * ${K}`);
  }
  await db.run('CHECKPOINT');
}
const events = await app.count();
const resampleMs = Date.now() - t1;
console.log(`store: ${events} events (${base} replayed ×${K}) in ${((ingestMs + resampleMs) / 1000).toFixed(1)} s`);

const browser = await launchBrowser();
const firstLoad: number[] = [];
const afterShell: number[] = [];
const coldFirst: { total: number; afterShell: number }[] = [];
for (let i = 0; i < LOADS; i++) {
  const page = await browser.context.newPage();
  await page.goto(`${app.url}/`);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 120_000 });
  const m = await page.evaluate(() => {
    const get = (n: string) => performance.getEntriesByName(n)[0]?.startTime ?? Number.NaN;
    return { shell: get('cp:shell'), done: get('cp:refresh-done') };
  });
  if (i === 0) coldFirst.push({ total: m.done, afterShell: m.done - m.shell });
  else {
    firstLoad.push(m.done);
    afterShell.push(m.done - m.shell);
  }
  await page.close();
}

const page = await browser.context.newPage();
await page.goto(`${app.url}/`);
await page.waitForSelector('body[data-ready="true"]', { timeout: 120_000 });
const changes: number[] = [];
const steps: [string, string[]][] = [
  ['#f-source', ['chicago']],
  ['#f-category', ['theft']],
  ['#f-category', []],
  ['#f-source', ['la']],
  ['#f-granularity', ['hour']],
  ['#f-granularity', ['day']],
  ['#f-source', []],
];
for (let i = 0; i < CHANGES; i++) {
  const [sel, values] = steps[i % steps.length]!;
  const ms = await page.evaluate(
    ({ sel, values }) =>
      new Promise<number>((resolve) => {
        const el = document.querySelector(sel) as HTMLSelectElement;
        for (const o of Array.from(el.options)) o.selected = values.includes(o.value);
        const start = performance.now();
        document.addEventListener('cp:rendered', () => resolve(performance.now() - start), { once: true });
        el.dispatchEvent(new Event('change', { bubbles: true }));
      }),
    { sel, values },
  );
  changes.push(ms);
}
await page.close();
await browser.close();
await app.close();

const dist = 'web/dist';
const files = readdirSync(join(dist, 'assets'));
const gz = (f: string) => statSync(`${f}.gz`).size;
const html = readFileSync(join(dist, 'index.html'), 'utf8');
const initial = files.filter((f) => f.endsWith('.js') || f.endsWith('.css')).filter((f) => !f.startsWith('plotly.min'));
const bundle = {
  initialGzipBytes: gz(join(dist, 'index.html')) + initial.reduce((a, f) => a + (statSync(join(dist, 'assets', f)).size < 1024 ? statSync(join(dist, 'assets', f)).size : gz(join(dist, 'assets', f))), 0),
  appGzipBytes: initial.filter((f) => f.startsWith('index')).reduce((a, f) => a + gz(join(dist, 'assets', f)), 0),
  plotlyCartesianGzipBytes: initial.filter((f) => f.startsWith('plotly-cartesian')).reduce((a, f) => a + gz(join(dist, 'assets', f)), 0),
  tileMapChunkGzipBytes: files.filter((f) => f.startsWith('plotly.min') && f.endsWith('.js')).reduce((a, f) => a + gz(join(dist, 'assets', f)), 0),
  htmlReferencesPlotlyDirectly: html.includes('plotly'),
};
const result = {
  bench: 'web-load',
  startedAt,
  machine: { cores: cpus().length, loadAverageAtStart: load0.map((x) => Math.round(x * 100) / 100), loadAverageAtEnd: loadavg().map((x) => Math.round(x * 100) / 100), node: process.version },
  smoke: SMOKE,
  store: { events, replayed: base, copies: K, sources: ['chicago', 'la', 'uk-police'], buildSeconds: Math.round((ingestMs + resampleMs) / 100) / 10 },
  browser: 'Debian chromium, headless, same machine as the server',
  firstLoadMs: { cold: coldFirst[0], warm: summary(firstLoad) },
  firstDataAfterShellMs: summary(afterShell),
  filterChangeMs: summary(changes),
  targets: { firstDataAfterShellP95Ms: 250, filterChangeP95Ms: 100 },
  met: { firstDataAfterShell: pct(afterShell, 95) < 250, filterChange: pct(changes, 95) < 100 },
  bundle,
  note: 'Times include the API queries (DuckDB on the resampled store) and plotly drawing; the server, the browser and other work share 2 cores. Warm loads reuse the browser cache (hashed assets are immutable).',
};
if (!SMOKE || process.argv.includes('--keep')) writeFileSync('bench/results/web.json', `${JSON.stringify(result, null, 2)}\n`);
console.log(JSON.stringify(result, null, 2));
