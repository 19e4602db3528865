/**
 * Ingestion throughput (issue 3): the real samples (samples/*, every built-in source and every mapped
 * Socrata city) normalised and published into the in-process bus, with a consumer draining and
 * committing, repeated until at least BENCH_ROWS rows (default 1M; `--smoke`: 30k). Each repetition
 * rewrites the rows' key fields (`<key>-r<k>`) so event ids stay unique, as a real stream's would.
 * Next to it, in the same run, DuckDB's own `read_csv` of the same files, the same number of times
 * (same row count), as the bulk-load yardstick. Also measured: csv-parse reading the samples once, and
 * the real replay path (`runIngest` in replay mode at full speed: read + normalise + order + publish)
 * over the samples once.
 *
 * Numbers: wall events/s (what the target is about) and events per CPU-second of this process (steadier
 * on a shared machine: the load average is recorded too), peak RSS of the ingest phase (before DuckDB
 * runs in the process). Writes bench/results/ingest.json.
 *
 * Run: node bin/run-ts.js bench/ingest.bench.ts [--smoke]
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { basename } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import type { OutgoingMessage } from '../src/bus/bus.js';
import { createInProcessBus, TOPICS } from '../src/bus/index.js';
import { eventKey } from '../src/core/crime-event.js';
import type { IncidentMessage } from '../src/core/incident-message.js';
import { silentLogger } from '../src/core/logger.js';
import type { SourceEntry } from '../src/sources/ingest-runner.js';
import { runIngest } from '../src/sources/ingest-runner.js';
import type { RawRow } from '../src/sources/normalise.js';
import { readRecordedRows } from '../src/sources/recorded-file.js';
import { loadRegistry } from '../src/sources/registry.js';
import { loadSocrataCityMappings } from '../src/sources/socrata-city/index.js';
import { SourceStatusBoard } from '../src/sources/status-board.js';

const SMOKE = process.argv.includes('--smoke') || process.env.BENCH_SMOKE === '1';
const TARGET_ROWS = Number(process.env.BENCH_ROWS ?? (SMOKE ? 30_000 : 1_000_000));
const PUBLISH_BATCH = 500;
const TARGET_EVENTS_PER_S = 100_000;

/** The row fields that make a row's id, per source; rewritten per repetition. */
const KEY_FIELDS: Record<string, string[]> = {
  chicago: ['id', 'case_number'],
  'nyc-complaints': ['cmplnt_num'],
  'nyc-arrests': ['arrest_key'],
  'nyc-shootings': ['incident_key', ':id'],
  la: ['dr_no'],
  // UK keys: the Crime ID, or (anti-social behaviour, no ID) month + force + index: the force name
  // (`reported_by`) is rewritten so those stay unique too.
  'uk-police': ['crime_id', 'reported_by'],
};
for (const city of await loadSocrataCityMappings('sources'))
  KEY_FIELDS[city.mapping.source] = [city.mapping.fields.key];

const entries = await loadRegistry({
  config: {
    sources: {},
    samplesDir: 'samples',
    socrataAppToken: undefined,
    userAgent: 'crimepulse-bench',
  } as never,
});

interface LoadedFile {
  source: string;
  path: string;
  batch: 'file' | number;
  rows: RawRow[];
  /** Original key values per key field, for the per-repetition rewrite. */
  originals: Map<string, unknown[]>;
}

// --- read every sample once (csv-parse, gunzip) -----------------------------------------------------
const files: LoadedFile[] = [];
const tRead = performance.now();
for (const entry of entries) {
  for (const sample of entry.samples) {
    const rows = await readRecordedRows(sample.path, sample.read);
    const originals = new Map<string, unknown[]>();
    for (const f of KEY_FIELDS[entry.id] ?? [])
      originals.set(
        f,
        rows.map((r) => r[f]),
      );
    files.push({ source: entry.id, path: sample.path, batch: sample.batch ?? 5000, rows, originals });
  }
}
const readSeconds = (performance.now() - tRead) / 1000;
const rowsPerPass = files.reduce((n, f) => n + f.rows.length, 0);
const reps = Math.max(1, Math.ceil(TARGET_ROWS / rowsPerPass));
const totalRows = rowsPerPass * reps;
const byId = new Map(entries.map((e) => [e.id, e]));
console.error(`${files.length} files, ${rowsPerPass} rows a pass, ${reps} passes = ${totalRows} rows`);

function rewriteKeys(file: LoadedFile, rep: number): void {
  if (rep === 0) return;
  for (const [field, values] of file.originals) {
    const rows = file.rows;
    for (let i = 0; i < rows.length; i++) {
      const v = values[i];
      // Empty stays empty (an absent Crime ID must stay absent); everything else gets the pass suffix.
      if (typeof v === 'string' && v !== '') (rows[i] as RawRow)[field] = `${v}-r${rep}`;
    }
  }
}

// --- normalise + publish into the in-process bus, consumer draining and committing ------------------
const bus = createInProcessBus();
const consumer = await bus.consumer({
  groupId: 'bench-ingest',
  topics: [TOPICS.incidents],
  maxBatchSize: PUBLISH_BATCH,
});
const stop = new AbortController();
let consumed = 0;
let consumedEvents = 0;
const draining = (async () => {
  for await (const batch of consumer.batches(stop.signal)) {
    for (const m of batch.messages) if ((m.value as IncidentMessage).kind === 'event') consumedEvents++;
    consumed += batch.messages.length;
    const last = batch.messages[batch.messages.length - 1];
    if (last)
      await consumer.commit([
        { topic: batch.topic, partition: batch.partition, offset: String(Number(last.offset) + 1) },
      ]);
    if (consumed >= totalRows) break;
  }
})();

let peakRss = process.memoryUsage().rss;
const rssTimer = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}, 100);

const perSource = new Map<string, { rows: number; events: number; rejected: number; ms: number }>();
let published = 0;
let events = 0;
let rejected = 0;
const cpu0 = process.cpuUsage();
const t0 = performance.now();
for (let rep = 0; rep < reps; rep++) {
  const ingestedAt = new Date().toISOString();
  for (const file of files) {
    const ts = performance.now();
    rewriteKeys(file, rep);
    const normaliser = (byId.get(file.source) as SourceEntry).normaliser;
    const size = file.batch === 'file' ? file.rows.length : file.batch;
    const stat = perSource.get(file.source) ?? { rows: 0, events: 0, rejected: 0, ms: 0 };
    for (let off = 0; off < file.rows.length; off += size) {
      const chunk = size >= file.rows.length ? file.rows : file.rows.slice(off, off + size);
      const results = normaliser.normaliseRows(chunk, { ingestedAt, origin: basename(file.path) });
      let out: OutgoingMessage[] = [];
      for (const r of results) {
        if (r.ok) {
          out.push({ key: eventKey(r.event), value: { kind: 'event', event: r.event } });
          stat.events++;
        } else {
          out.push({
            key: `${file.source}:reject`,
            value: { kind: 'reject', source: file.source, reason: r.reason, payload: r.payload },
          });
          stat.rejected++;
        }
        if (out.length >= PUBLISH_BATCH) {
          await bus.publish(TOPICS.incidents, out);
          published += out.length;
          out = [];
        }
      }
      if (out.length > 0) {
        await bus.publish(TOPICS.incidents, out);
        published += out.length;
      }
    }
    stat.rows += file.rows.length;
    stat.ms += performance.now() - ts;
    perSource.set(file.source, stat);
  }
}
await draining;
const ingestSeconds = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
const cpuSeconds = (cpu.user + cpu.system) / 1e6;
clearInterval(rssTimer);
peakRss = Math.max(peakRss, process.memoryUsage().rss);
for (const s of perSource.values()) {
  events += s.events;
  rejected += s.rejected;
}
stop.abort();
await consumer.close();
await bus.close();
if (consumed !== published) throw new Error(`consumer drained ${consumed} of ${published} messages`);
if (consumedEvents !== events) throw new Error(`consumer saw ${consumedEvents} of ${events} events`);
const eventsPerSecond = events / ingestSeconds;

// --- the real replay path once over the samples: read + normalise + order + publish -----------------
const replayBus = createInProcessBus();
const replayConsumer = await replayBus.consumer({ groupId: 'bench-replay', topics: [TOPICS.incidents] });
const replayStop = new AbortController();
let replayEvents = 0;
const replayDrain = (async () => {
  for await (const batch of replayConsumer.batches(replayStop.signal)) {
    for (const m of batch.messages) if ((m.value as IncidentMessage).kind === 'event') replayEvents++;
    const last = batch.messages[batch.messages.length - 1];
    if (last)
      await replayConsumer.commit([
        { topic: batch.topic, partition: batch.partition, offset: String(Number(last.offset) + 1) },
      ]);
  }
})();
const tReplay = performance.now();
await runIngest({
  entries,
  bus: replayBus,
  mode: 'replay',
  speed: Number.POSITIVE_INFINITY,
  backfillFraction: 1,
  cursors: {},
  board: new SourceStatusBoard(),
  log: silentLogger,
  signal: replayStop.signal,
});
const replayPublishedSeconds = (performance.now() - tReplay) / 1000;
while ((Object.values(await replayConsumer.lag())[0] ?? 0) > 0) await new Promise((r) => setTimeout(r, 5));
const replaySeconds = (performance.now() - tReplay) / 1000;
replayStop.abort();
await replayDrain;
await replayConsumer.close();
await replayBus.close();
const ingestPeakRssMiB = Math.max(peakRss, process.resourceUsage().maxRSS * 1024) / 2 ** 20;

// --- DuckDB read_csv of the same files, the same number of times --------------------------------------
const db = await DuckDBInstance.create(':memory:');
const conn = await db.connect();
const sql = (s: string) => `'${s.replace(/'/g, "''")}'`;
let duckRows = 0;
const tDuck = performance.now();
const bySource = new Map<string, string[]>();
for (const f of files) bySource.set(f.source, [...(bySource.get(f.source) ?? []), f.path]);
let t = 0;
for (const [, paths] of bySource) {
  const list = Array.from({ length: reps }, () => paths).flat();
  // all_varchar: the rows stay text, as the normalisers receive them (and no type sniffing can fail).
  await conn.run(
    `CREATE TABLE t${t} AS SELECT * FROM read_csv([${list.map(sql).join(', ')}], header = true, all_varchar = true)`,
  );
  duckRows += Number((await conn.runAndReadAll(`SELECT count(*) AS n FROM t${t}`)).getRowObjectsJS()[0]?.n);
  await conn.run(`DROP TABLE t${t}`);
  t++;
}
const duckSeconds = (performance.now() - tDuck) / 1000;
conn.closeSync();
db.closeSync();
const duckRowsPerSecond = duckRows / duckSeconds;

function git(args: string[]): string | undefined {
  try {
    return execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}

const round = (n: number, d = 0) => Math.round(n * 10 ** d) / 10 ** d;
const result = {
  benchmark: 'ingest',
  smoke: SMOKE,
  date: new Date().toISOString(),
  machine: {
    cpu: cpus()[0]?.model,
    cores: cpus().length,
    totalMemGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    loadavg: loadavg().map((x) => round(x, 2)),
  },
  git: { commit: git(['rev-parse', 'HEAD']), dirty: (git(['status', '--porcelain']) ?? '') !== '' },
  rows: { perPass: rowsPerPass, passes: reps, total: totalRows, files: files.length },
  ingest: {
    seconds: round(ingestSeconds, 3),
    events,
    rejected,
    published,
    eventsPerSecond: round(eventsPerSecond),
    cpuSeconds: round(cpuSeconds, 3),
    eventsPerCpuSecond: round(events / cpuSeconds),
    peakRssMiB: round(ingestPeakRssMiB),
    perSource: Object.fromEntries(
      [...perSource].map(([id, s]) => [
        id,
        {
          rows: s.rows,
          events: s.events,
          rejected: s.rejected,
          eventsPerSecond: round(s.events / (s.ms / 1000)),
        },
      ]),
    ),
  },
  readSamples: {
    seconds: round(readSeconds, 3),
    rows: rowsPerPass,
    rowsPerSecond: round(rowsPerPass / readSeconds),
  },
  replay: {
    seconds: round(replaySeconds, 3),
    publishSeconds: round(replayPublishedSeconds, 3),
    events: replayEvents,
    eventsPerSecond: round(replayEvents / replaySeconds),
  },
  duckdbReadCsv: { seconds: round(duckSeconds, 3), rows: duckRows, rowsPerSecond: round(duckRowsPerSecond) },
  ratioToDuckdb: round(eventsPerSecond / duckRowsPerSecond, 4),
  notes: [
    `Normalise + publish: ${totalRows.toLocaleString('en-US')} rows (${files.length} sample files of ${perSource.size} sources, ${reps} passes with rewritten keys) through each source's normaliser into the in-process bus, with a consumer draining and committing in the same process (one thread). The baseline is DuckDB's read_csv of the same files the same number of times (all columns as text), in the same run.`,
    'Events per CPU-second divides by the CPU time this process used, so it moves less than the wall rate when other work shares the machine (see the load average above). Peak RSS covers reading the samples, the bus run and the replay run (DuckDB runs afterwards).',
  ],
  summary: [
    {
      metric: 'normalise + publish (in-process bus, consumer committing)',
      value: round(eventsPerSecond),
      unit: 'events/s',
      target: TARGET_EVENTS_PER_S,
      baseline: round(duckRowsPerSecond),
      ratio: round(eventsPerSecond / duckRowsPerSecond, 4),
    },
    { metric: 'normalise + publish per CPU-second', value: round(events / cpuSeconds), unit: 'events/cpu-s' },
    { metric: 'peak RSS (ingest phase)', value: round(ingestPeakRssMiB), unit: 'MiB' },
    { metric: 'DuckDB read_csv, same files and rows', value: round(duckRowsPerSecond), unit: 'rows/s' },
    {
      metric: 'csv-parse of the samples (one pass)',
      value: round(rowsPerPass / readSeconds),
      unit: 'rows/s',
    },
    {
      metric: 'replay path (read + normalise + order + publish, one pass)',
      value: round(replayEvents / replaySeconds),
      unit: 'events/s',
    },
    { metric: 'rows', value: totalRows, unit: 'rows' },
  ],
};
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/ingest.json', `${JSON.stringify(result, null, 2)}\n`);
console.log(JSON.stringify(result, null, 2));
