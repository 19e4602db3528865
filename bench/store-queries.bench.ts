/**
 * Read-query latency of the /v1 data routes on a large store. The store is the real Chicago + LA
 * samples through the real pipeline (test/api/helpers.ts), multiplied in DuckDB by bulk SQL: copy r
 * of every event gets `-r{r}` ids and times shifted by 4r whole weeks (local hour and weekday keep),
 * rows inserted in time order (as a replay writes them, so zone maps prune), then the window tables
 * recomputed from the events with SQL. Each route is called through fastify `inject` (routing,
 * validation, serialisation included) REPEAT times after one warm-up; p50/p95 per route.
 * Env: BENCH_EVENTS (default 1,000,000; comma list for several sizes, e.g. `1000000,10000000`),
 * BENCH_REPEAT (default 20). Writes bench/results/store-queries.json.
 * Run: node bin/run-ts.js bench/store-queries.bench.ts
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { buildApp } from '../src/api/index.js';
import { silentLogger } from '../src/core/logger.js';
import { SourceStatusBoard } from '../src/sources/status-board.js';
import { buildTestStore } from '../test/api/helpers.js';
import { scaleStore } from './lib/scale-store.js';

const SIZES = (process.env.BENCH_EVENTS ?? '1000000').split(',').map(Number);
const REPEAT = Number(process.env.BENCH_REPEAT ?? 20);
const TARGET_MS = 50;

const ROUTES: Array<[string, string]> = [
  ['stats', '/v1/stats'],
  ['stats-source', '/v1/stats?source=chicago'],
  ['heatmap', '/v1/heatmap'],
  ['events-limit10', '/v1/events?limit=10'],
  ['events-category', '/v1/events?limit=100&category=theft'],
  ['hotspots', '/v1/hotspots'],
  ['windows-day', '/v1/windows?granularity=day'],
  ['windows-hour-area', '/v1/windows?granularity=hour&source=chicago&area=25'],
];

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? Number.NaN;
}

const results: Array<Record<string, unknown>> = [];
const summary: Array<{ metric: string; value: number; unit: string; target?: number }> = [];
for (const n of SIZES) {
  const ts = await buildTestStore();
  try {
    const buildSeconds = await scaleStore(ts.store.reader, n);
    const app = await buildApp({
      log: silentLogger,
      board: new SourceStatusBoard(),
      store: ts.store,
      options: { rateLimitPerMinute: 1_000_000 },
    });
    for (const [name, url] of ROUTES) {
      const first = await app.inject({ url });
      if (first.statusCode !== 200)
        throw new Error(`${url}: ${first.statusCode} ${first.body.slice(0, 300)}`);
      const ms: number[] = [];
      for (let i = 0; i < REPEAT; i++) {
        const t = performance.now();
        await app.inject({ url });
        ms.push(performance.now() - t);
      }
      const row = { events: n, route: name, url, p50: pct(ms, 50), p95: pct(ms, 95) };
      results.push(row);
      console.log(JSON.stringify(row));
      const target = /^(events|windows)/.test(name) ? TARGET_MS : undefined;
      const label = n >= 1e6 ? `${n / 1e6}M` : `${n / 1e3}k`;
      summary.push({ metric: `${name} p50 @${label}`, value: Math.round(row.p50 * 10) / 10, unit: 'ms' });
      summary.push({
        metric: `${name} p95 @${label}`,
        value: Math.round(row.p95 * 10) / 10,
        unit: 'ms',
        ...(target ? { target } : {}),
      });
    }
    results.push({ events: n, buildSeconds });
    await app.close();
  } finally {
    await ts.close();
  }
}

mkdirSync('bench/results', { recursive: true });
writeFileSync(
  join('bench/results', 'store-queries.json'),
  `${JSON.stringify(
    {
      at: new Date().toISOString(),
      machine: { cpus: cpus().length, memGiB: Math.round(totalmem() / 2 ** 30) },
      repeat: REPEAT,
      summary,
      notes:
        'Route latency through fastify inject on a store of N events (Chicago+LA samples multiplied by SQL, time-ordered). Targets (issues): /v1/events and /v1/windows p95 < 50 ms at 10M.',
      results,
    },
    null,
    2,
  )}\n`,
);
