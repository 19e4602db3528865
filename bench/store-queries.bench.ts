/**
 * Read-query latency of the /v1 data routes on a large store. The store is the real Chicago + LA
 * samples through the real pipeline (test/api/helpers.ts), multiplied in DuckDB by bulk SQL: copy r
 * of every event gets `-r{r}` ids and times shifted by r whole weeks (local hour and weekday keep),
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

const WINDOW_AGG = `count(*) AS event_count, count(DISTINCT incident_key) AS incident_count,
  count(*) FILTER (WHERE arrest) AS arrest_count, count(*) FILTER (WHERE domestic) AS domestic_count,
  count(arrest) AS arrest_known, count(domestic) AS domestic_known, 'bench' AS worker_id, 0 AS batch_seq`;

async function scaleTo(conn: import('@duckdb/node-api').DuckDBConnection, n: number): Promise<number> {
  const seed = Number((await conn.runAndReadAll('SELECT count(*) AS n FROM events')).getRowObjectsJS()[0]?.n);
  const copies = Math.ceil(n / seed);
  const t0 = performance.now();
  await conn.run('CREATE TEMP TABLE seed AS SELECT * FROM events');
  await conn.run('DELETE FROM events');
  // Whole weeks keep local hour and weekday; the seed spans < 4 weeks (Chicago 2015-01-23..02-08, LA 2020).
  await conn.run(`INSERT INTO events
    SELECT id || '-r' || r, source, source_key || '-r' || r, incident_key || '-r' || r,
      occurred_at + to_weeks(CAST(4 * r AS INTEGER)), time_zone, time_precision, time_flags, reported_at, updated_at, ingested_at,
      category, subcategory, source_type, source_code, lat, lon, location_status, area_id, area, attributes, arrest, domestic,
      hour_start + to_weeks(CAST(4 * r AS INTEGER)), day_start + to_weeks(CAST(4 * r AS INTEGER)),
      day_end + to_weeks(CAST(4 * r AS INTEGER)), local_day + to_weeks(CAST(4 * r AS INTEGER)),
      date_trunc('month', occurred_at + to_weeks(CAST(4 * r AS INTEGER))),
      date_trunc('month', occurred_at + to_weeks(CAST(4 * r AS INTEGER))) + INTERVAL 1 MONTH,
      strftime(occurred_at + to_weeks(CAST(4 * r AS INTEGER)), '%Y-%m'), local_hour, local_dow, worker_id, batch_seq
    FROM seed, range(${copies}) t(r)
    ORDER BY occurred_at + to_weeks(CAST(4 * r AS INTEGER))
    LIMIT ${n}`);
  await conn.run('DROP TABLE seed');
  for (const t of ['windows_hourly', 'windows_daily', 'windows_monthly']) await conn.run(`DELETE FROM ${t}`);
  await conn.run(`INSERT INTO windows_hourly SELECT source, area_id, category, hour_start, any_value(hour_start) + INTERVAL 1 HOUR,
    any_value(strftime(hour_start, '%Y-%m-%dT%H')), ${WINDOW_AGG} FROM events WHERE hour_start IS NOT NULL GROUP BY 1, 2, 3, 4 ORDER BY 4`);
  await conn.run(`INSERT INTO windows_daily SELECT source, area_id, category, day_start, max(day_end),
    any_value(CAST(local_day AS VARCHAR)), ${WINDOW_AGG} FROM events WHERE day_start IS NOT NULL GROUP BY 1, 2, 3, 4 ORDER BY 4`);
  await conn.run(`INSERT INTO windows_monthly SELECT source, area_id, category, month_start, max(month_end),
    any_value(local_month), ${WINDOW_AGG} FROM events GROUP BY 1, 2, 3, 4 ORDER BY 4`);
  await conn.run('CHECKPOINT');
  return (performance.now() - t0) / 1000;
}

const results: Array<Record<string, unknown>> = [];
const summary: Array<{ metric: string; value: number; unit: string; target?: number }> = [];
for (const n of SIZES) {
  const ts = await buildTestStore();
  try {
    const buildSeconds = await scaleTo(ts.store.reader, n);
    const app = await buildApp({
      log: silentLogger,
      board: new SourceStatusBoard(),
      store: ts.store, options: { rateLimitPerMinute: 1_000_000 } });
    for (const [name, url] of ROUTES) {
      const first = await app.inject({ url });
      if (first.statusCode !== 200) throw new Error(`${url}: ${first.statusCode} ${first.body.slice(0, 300)}`);
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
