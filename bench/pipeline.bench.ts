/**
 * Pipeline throughput: events/s through validation, window assignment, the store transaction
 * (dedup, upsert, window re-aggregation) on N events (default 1M, `BENCH_EVENTS`) built by
 * repeating the real Chicago sample with rewritten ids and times shifted by whole weeks, next to
 * DuckDB's own `read_csv` bulk load of the same rows in the same run. Writes bench/results/pipeline.json
 * (or pipeline-delta.json with `BENCH_SINK=delta`: the Delta lake sink behind the coalescing sink, as
 * `start` runs it, see src/cli/processing.ts).
 * Run: node bin/run-ts.js bench/pipeline.bench.ts
 */
import { createWriteStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import type { Bus, BusBatch, Consumer } from '../src/bus/bus.js';
import type { CrimeEvent } from '../src/core/crime-event.js';
import { eventKey } from '../src/core/crime-event.js';
import { silentLogger } from '../src/core/logger.js';
import { createDeltaSink } from '../src/lake/index.js';
import { coalescingSink, runPipeline } from '../src/pipeline/index.js';
import { openStore } from '../src/store/index.js';
import { chicagoEvents } from '../test/pipeline/helpers.js';

const N = Number(process.env.BENCH_EVENTS ?? 1_000_000);
const BATCH = Number(process.env.BENCH_BATCH ?? 20_000);
const SINK = process.env.BENCH_SINK === 'delta' ? 'delta' : 'none';
const WEEK = 7 * 24 * 3600 * 1000;
const base = await chicagoEvents();
const span =
  Math.ceil(
    (Date.parse(base[base.length - 1]?.occurredAt ?? '') - Date.parse(base[0]?.occurredAt ?? '')) / WEEK + 1,
  ) * WEEK;

/** The i-th synthetic event: copy r of the sample, shifted by r whole spans (weeks, so local hours keep their weekday). */
function synth(i: number): CrimeEvent {
  const r = Math.floor(i / base.length);
  const e = base[i % base.length] as CrimeEvent;
  const shift = (iso: string | undefined): string | undefined =>
    iso === undefined ? undefined : new Date(Date.parse(iso) + r * span).toISOString();
  const key = `${e.sourceKey}-r${r}`;
  return {
    ...e,
    id: `chicago:${key}`,
    sourceKey: key,
    incidentKey: `${e.incidentKey}-r${r}`,
    occurredAt: shift(e.occurredAt) as string,
    ...(e.updatedAt ? { updatedAt: shift(e.updatedAt) as string } : {}),
    ingestedAt: new Date().toISOString(),
  };
}

/** A bus that generates the stream on demand (so 1M events never sit in memory at once). */
const bus: Bus = {
  kind: 'in-process',
  capabilities: { seek: false, retention: false, durable: false },
  async publish() {},
  async consumer(): Promise<Consumer> {
    return {
      async *batches(): AsyncIterable<BusBatch> {
        for (let off = 0; off < N; off += BATCH) {
          const n = Math.min(BATCH, N - off);
          const messages = Array.from({ length: n }, (_, j) => {
            const e = synth(off + j);
            return {
              topic: 'crime-incidents',
              partition: 0,
              offset: String(off + j),
              key: eventKey(e),
              value: { kind: 'event', event: e },
              headers: {},
              timestamp: 0,
            };
          });
          yield { topic: 'crime-incidents', partition: 0, messages };
        }
      },
      async commit() {},
      async lag() {
        return {};
      },
      async close() {},
    };
  },
  async healthy() {
    return true;
  },
  async close() {},
};

const dir = mkdtempSync(join(tmpdir(), 'cp-bench-'));
let peakRss = 0;
const rssTimer = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}, 200);
const store = await openStore(join(dir, 'store.duckdb'), silentLogger);
const lake = SINK === 'delta' ? coalescingSink(createDeltaSink(join(dir, 'lake'))) : undefined;
let inserted = 0;
const t0 = performance.now();
await runPipeline({
  ...(lake ? { sinks: [lake] } : {}),
  bus,
  store,
  config: { allowedLatenessMs: 30 * 86400_000 },
  log: silentLogger,
  signal: new AbortController().signal,
  groupId: 'bench',
  onBatch: (s) => {
    inserted += s.inserted;
    if (s.seq % 10 === 0)
      console.error(
        `batch ${s.seq}: ${inserted} events, ${Math.round(inserted / ((performance.now() - t0) / 1000))}/s`,
      );
  },
});
await lake?.close();
const pipelineS = (performance.now() - t0) / 1000;
await store.close();

// DuckDB's own bulk rate on the same rows: a flat CSV of the same columns, read_csv into a table.
const csv = join(dir, 'events.csv');
const out = createWriteStream(csv);
out.write(
  'id,source,source_key,incident_key,occurred_at,category,source_type,source_code,lat,lon,area_id,arrest,domestic\n',
);
for (let i = 0; i < N; i++) {
  const e = synth(i);
  const q = (s: string | undefined): string => `"${(s ?? '').replace(/"/g, '""')}"`;
  const line = `${q(e.id)},${e.source},${q(e.sourceKey)},${q(e.incidentKey)},${e.occurredAt},${e.category},${q(e.sourceType)},${q(e.sourceCode)},${e.lat ?? ''},${e.lon ?? ''},${q(e.areaId)},${e.attributes.arrest},${e.attributes.domestic}\n`;
  if (!out.write(line)) await new Promise<void>((r) => out.once('drain', () => r()));
}
await new Promise((r) => out.end(r));
const db = await DuckDBInstance.create(join(dir, 'bulk.duckdb'));
const conn = await db.connect();
const t1 = performance.now();
await conn.run(`CREATE TABLE events AS SELECT * FROM read_csv('${csv.replace(/'/g, "''")}', header = true)`);
const bulkS = (performance.now() - t1) / 1000;
const bulkRows = Number(
  (await conn.runAndReadAll('SELECT count(*) AS n FROM events')).getRowObjectsJS()[0]?.n,
);
conn.closeSync();
db.closeSync();
clearInterval(rssTimer);

const result = {
  benchmark: 'pipeline',
  date: new Date().toISOString(),
  machine: {
    cpus: cpus().length,
    cpu: cpus()[0]?.model,
    totalMemGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
  },
  events: N,
  batchSize: BATCH,
  sink: SINK,
  inserted,
  pipeline: { seconds: pipelineS, eventsPerSecond: Math.round(N / pipelineS) },
  duckdbReadCsv: { seconds: bulkS, rowsPerSecond: Math.round(bulkRows / bulkS), rows: bulkRows },
  ratioToBulk: N / pipelineS / (bulkRows / bulkS),
  peakRssMiB: Math.round(peakRss / 2 ** 20),
  targets: { eventsPerSecond: 100_000, ratioToBulk: 0.33 },
};
writeFileSync(
  `bench/results/${SINK === 'delta' ? 'pipeline-delta' : 'pipeline'}.json`,
  `${JSON.stringify(result, null, 2)}\n`,
);
console.log(JSON.stringify(result, null, 2));
rmSync(dir, { recursive: true, force: true });
