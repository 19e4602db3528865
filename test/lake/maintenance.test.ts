import { existsSync } from 'node:fs';
import { copyFile, readFile, utimes } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import {
  activeFiles,
  appendRows,
  createTable,
  loadSnapshot,
  optimize,
  type Row,
  readTable,
  struct,
  vacuum,
} from '../../src/lake/index.js';
import { useTempDir } from './helpers.js';

const tempDir = useTempDir();
const SCHEMA = struct({ id: 'string', source: 'string', n: 'long', at: 'timestamp' });

async function tableWithSmallFiles(): Promise<string> {
  const table = join(await tempDir(), 't');
  await createTable(table, { schema: SCHEMA, partitionColumns: ['source'] });
  for (let i = 0; i < 6; i++)
    await appendRows(table, [
      { id: `a${i}`, source: 'chicago', n: i, at: `2024-01-0${i + 1}T00:00:00Z` },
      { id: `b${i}`, source: 'la', n: 100 + i, at: `2024-02-0${i + 1}T12:00:00.5Z` },
    ]);
  return table;
}

const sorted = (rows: Row[]) => [...rows].sort((a, b) => String(a.id).localeCompare(String(b.id)));

describe('activeFiles', () => {
  it('DuckDB read_parquet over activeFiles() gives the same rows as the reader', async () => {
    const table = await tableWithSmallFiles();
    const files = await activeFiles(table);
    expect(files).toHaveLength(12);
    expect(files.every((f) => existsSync(f.absPath) && f.numRecords === 1)).toBe(true);
    const db = await DuckDBInstance.create(':memory:');
    const c = await db.connect();
    const list = files.map((f) => `'${f.absPath}'`).join(', ');
    const r = await c.runAndReadAll(
      `SELECT id, source, n, strftime(timezone('UTC', "at"), '%Y-%m-%dT%H:%M:%S.%fZ') AS "at" FROM read_parquet([${list}], hive_partitioning = true) ORDER BY id`,
    );
    const viaDuck = r.getRowObjectsJS().map((o) => ({ ...o, n: Number(o.n) }));
    c.closeSync();
    db.closeSync();
    expect(viaDuck).toEqual(sorted((await readTable(table)).rows));
  });
});

describe('optimize and vacuum', () => {
  it('optimize compacts per partition with dataChange=false; vacuum then keeps the snapshot equal', async () => {
    const table = await tableWithSmallFiles();
    const before = sorted((await readTable(table)).rows);
    const res = await optimize(table);
    expect(res).toMatchObject({ filesRemoved: 12, filesAdded: 2, partitionsCompacted: 2 });
    const version = res.commit?.version ?? -1;
    const commit = (
      await readFile(join(table, '_delta_log', `${String(version).padStart(20, '0')}.json`), 'utf8')
    )
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l));
    const dataChanges = commit.flatMap((a) => ((a.add ?? a.remove) ? [(a.add ?? a.remove).dataChange] : []));
    expect(dataChanges).toHaveLength(14);
    expect(dataChanges.every((d) => d === false)).toBe(true);
    expect(commit.find((a) => a.commitInfo)?.commitInfo.operation).toBe('OPTIMIZE');
    const after = await readTable(table);
    expect(after.files).toHaveLength(2);
    expect(sorted(after.rows)).toEqual(before);
    // Stats of the compacted files cover their rows.
    const la = after.files.find((f) => f.partitionValues.source === 'la');
    expect(JSON.parse(String(la?.stats))).toMatchObject({
      numRecords: 6,
      minValues: { n: 100 },
      maxValues: { n: 105 },
    });

    // Within the retention nothing goes: the tombstones are still needed for time travel.
    const kept = await vacuum(table, 168);
    expect(kept.deleted).toEqual([]);
    expect((await readTable(table, { version: version - 1 })).rows).toHaveLength(12);

    // Retention 0: the 12 tombstoned files go, the snapshot stays equal.
    const gone = await vacuum(table, { retentionHours: 0 }, { clock: () => Date.now() + 1000 });
    expect(gone.deleted).toHaveLength(12);
    expect(sorted((await readTable(table)).rows)).toEqual(before);
    for (const f of await activeFiles(table)) expect(existsSync(f.absPath)).toBe(true);
    await expect(vacuum(table, -1)).rejects.toMatchObject({ code: 'CP_ERR_CONFIG_INVALID' });
    // Nothing left to compact.
    expect((await optimize(table)).commit).toBeUndefined();
  });

  it('vacuum deletes an old orphan, keeps a fresh one, never touches active files', async () => {
    const table = await tableWithSmallFiles();
    const [first] = await activeFiles(table);
    const dir = dirname(first?.absPath ?? '');
    const oldOrphan = join(dir, 'part-00000-00000000-0000-0000-0000-000000000001-c000.snappy.parquet');
    const newOrphan = join(dir, 'part-00000-00000000-0000-0000-0000-000000000002-c000.snappy.parquet');
    await copyFile(first?.absPath ?? '', oldOrphan);
    await copyFile(first?.absPath ?? '', newOrphan);
    const twoDaysAgo = new Date(Date.now() - 48 * 3_600_000);
    await utimes(oldOrphan, twoDaysAgo, twoDaysAgo);
    // Active files are old too: age does not matter for them.
    for (const f of await activeFiles(table)) await utimes(f.absPath, twoDaysAgo, twoDaysAgo);
    const dry = await vacuum(table, { retentionHours: 24, dryRun: true });
    expect(dry.deleted).toEqual([oldOrphan]);
    expect(existsSync(oldOrphan)).toBe(true);
    const res = await vacuum(table, { retentionHours: 24 });
    expect(res).toEqual({ deleted: [oldOrphan], keptRecent: 1 });
    expect(existsSync(oldOrphan)).toBe(false);
    expect(existsSync(newOrphan)).toBe(true);
    expect((await readTable(table)).rows).toHaveLength(12);
    expect((await loadSnapshot(table)).files).toHaveLength(12);
  });
});
