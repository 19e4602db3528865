/**
 * The worked example of docs/data-lake.md: query CrimePulse's Delta tables with DuckDB where its
 * `delta` extension cannot be installed, by `read_parquet` over the active files that
 * `crimepulse lake files --json` lists (a Delta table's directory also holds files that later commits
 * removed, so globbing `**\/*.parquet` would double-count replaced rows).
 *
 * Run: `CRIMEPULSE_DATA_DIR=/tmp/cp node bin/run-ts.js scripts/lake-duckdb-example.ts`
 * (after e.g. `crimepulse replay --source chicago --file samples/chicago/... --speed max`).
 */
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

// 1. The active parquet files of each table, one JSON line per table.
const listing = execFileSync(
  process.execPath,
  [join(ROOT, 'bin', 'crimepulse.js'), 'lake', 'files', '--json'],
  {
    env: process.env,
    encoding: 'utf8',
  },
);
const files: Record<string, string[]> = {};
for (const line of listing.split('\n').filter(Boolean)) {
  const { table, files: f } = JSON.parse(line) as { table: string; files: string[] };
  files[table] = f;
}

const sqlList = (paths: string[]) => `[${paths.map((p) => `'${p.replaceAll("'", "''")}'`).join(', ')}]`;

// 2. One view per non-empty table. Partition columns (source, date, month) live in the directory
//    names, not in the files, as Delta writes them: hive_partitioning reads them back.
const db = await DuckDBInstance.create(':memory:');
const con = await db.connect();
for (const [table, paths] of Object.entries(files)) {
  if (paths.length === 0) {
    console.log(`${table}: no active files`);
    continue;
  }
  await con.run(
    `CREATE VIEW ${table} AS SELECT * FROM read_parquet(${sqlList(paths)}, hive_partitioning = true, union_by_name = true)`,
  );
}

async function show(title: string, sql: string): Promise<void> {
  const rows = (await con.runAndReadAll(sql)).getRowObjectsJson();
  console.log(`\n-- ${title}\n${sql}`);
  console.table(rows);
}

// 3. Queries.
await show(
  'events per table file set: rows, distinct ids (equal: replaced rows are not in active files)',
  'SELECT count(*) AS events, count(DISTINCT id) AS ids, min(occurred_at) AS first, max(occurred_at) AS last FROM events',
);
await show(
  'events by canonical category',
  'SELECT category, count(*) AS n FROM events GROUP BY category ORDER BY n DESC LIMIT 8',
);
await show(
  'busiest community areas (area_id), with the local date partition',
  `SELECT area_id, count(*) AS n, count(DISTINCT date) AS days FROM events
   WHERE source = 'chicago' GROUP BY area_id ORDER BY n DESC LIMIT 5`,
);
await show(
  'daily windows agree with the events (sum of event_count per local day)',
  `SELECT w.local_label AS day, sum(w.event_count) AS window_events,
          (SELECT count(*) FROM events e WHERE CAST(e.date AS VARCHAR) = w.local_label) AS events
   FROM windows_daily w GROUP BY w.local_label ORDER BY day LIMIT 5`,
);
await show(
  'closed flag as written (the store recomputes it from watermarks at read time)',
  'SELECT closed, count(*) AS windows FROM windows_daily GROUP BY closed ORDER BY closed',
);
con.closeSync();
db.closeSync();
